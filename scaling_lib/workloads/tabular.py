"""Synthetic tabular data for the gradient-boosting workloads (``xgboost``, ``lightgbm``).

A binary classification problem with a known signal: standard-normal features, and a
label from a fixed rule (a linear term over half the features, an interaction and a
kink, plus logistic noise), so a boosted model has something real to learn and its
training loss falls from ``log 2`` but not to 0.

Usage::

    x, y = make_rows(seed=0, start=0, stop=10_000, features=16)   # float32, y in {0, 1}
    x, y = local_rows(10_000, params)            # the whole range, for a baseline
    x, y = persisted_arrays(client, 10_000, params)  # dask arrays, one chunk per worker
    log_loss(y, p)                               # the metric both workloads record

``params`` are a workload's checked parameters (``seed``, ``features``, ``resolution``,
``partitions``). Rows are generated in fixed chunks with their own seeds, so any split
of the rows (one partition per worker, or the whole range for the single-process
baseline) holds the same numbers: a study compares the same data at every worker
count. Features are recorded at ``resolution`` (0.125: 49 distinct values, clipped to
+-3), fewer than the libraries' histogram bins, so each worker's quantile sketch is
exact and the bins do not depend on how the rows are split; ``resolution: 0`` leaves
them continuous (then the sketches merge approximately, and the Dask model differs a
little more from the single-process one).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads.base import point_workers

__all__ = [
    "CHUNK_ROWS",
    "RESOLUTION",
    "check_tabular_params",
    "dask_log_loss",
    "import_on_workers",
    "local_rows",
    "log_loss",
    "make_rows",
    "partition_bounds",
    "persisted_arrays",
    "require_installed",
    "require_library",
    "row_bytes",
]

CHUNK_ROWS = 4096
RESOLUTION = 0.125
_CLIP = 3.0
_RULE_STREAM = 2**32 - 1


def make_rows(
    seed: int, start: int, stop: int, features: int, resolution: float = RESOLUTION
) -> tuple[np.ndarray, np.ndarray]:
    """Features (float32, ``stop - start`` x ``features``) and 0/1 labels of rows ``[start, stop)``.

    Features are rounded to ``resolution`` and clipped to +-3 (0: left continuous).
    """
    if stop <= start:
        return np.empty((0, features), np.float32), np.empty(0, np.float32)
    first, last = start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS
    xs, us = [], []
    for c in range(first, last + 1):
        rng = np.random.default_rng([seed, c])
        xs.append(rng.standard_normal((CHUNK_ROWS, features)))
        us.append(rng.random(CHUNK_ROWS))
    offset = slice(start - first * CHUNK_ROWS, stop - first * CHUNK_ROWS)
    x, u = np.concatenate(xs)[offset], np.concatenate(us)[offset]
    informative = max(1, features // 2)
    weights = np.random.default_rng([seed, _RULE_STREAM]).standard_normal(informative)
    logit = x[:, :informative] @ weights / np.sqrt(informative)
    if features >= 3:
        # A pairwise interaction and a kink: what trees find and a linear model does not.
        logit += 1.5 * x[:, 0] * x[:, 1] - np.abs(x[:, 2]) + np.sqrt(2 / np.pi)
    # Logistic noise: the Bayes error is well above zero, so the training loss stays
    # away from 0 and a few rounds of boosting leave a metric worth comparing.
    u = np.clip(u, 1e-12, 1 - 1e-12)
    logit += np.log(u / (1 - u))
    if resolution > 0:
        # Recorded at a fixed resolution, as sensor readings and rounded amounts are: fewer
        # distinct values than histogram bins, so every worker's quantile sketch is exact
        # and the bins do not depend on how the rows are split. The label keeps the
        # unrounded signal, so the data still has its noise.
        x = np.clip(np.round(x / resolution) * resolution, -_CLIP, _CLIP)
    return x.astype(np.float32), (logit > 0).astype(np.float32)


def partition_bounds(rows: int, partitions: int) -> list[tuple[int, int]]:
    """``partitions`` contiguous row ranges of near-equal length covering ``[0, rows)``."""
    edges = np.linspace(0, rows, partitions + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def local_rows(rows: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """All ``rows`` in this process (a baseline's input)."""
    return make_rows(params["seed"], 0, rows, params["features"], params["resolution"])


def persisted_arrays(client: Any, rows: int, params: Mapping[str, Any]) -> tuple[Any, Any]:
    """Features and labels as dask arrays, one chunk per partition, persisted.

    The partitions (``params["partitions"]``, 0: one per worker of the point) are
    generated on the workers, pinned round-robin: both libraries train only on the
    workers that hold data, so pinning is what makes every worker of the point train.
    """
    from distributed import wait

    workers = point_workers(client)
    count = min(params["partitions"] or len(workers), max(rows, 1))
    parts = []
    for i, (start, stop) in enumerate(partition_bounds(rows, count)):
        where = [workers[i % len(workers)]]
        pair = client.submit(
            make_rows, params["seed"], start, stop, params["features"], params["resolution"],
            workers=where, pure=False,
        )  # fmt: skip
        x = client.submit(_item, pair, 0, workers=where, pure=False)
        y = client.submit(_item, pair, 1, workers=where, pure=False)
        parts.append((x, y, stop - start))
    x, y = client.persist(list(_as_dask_arrays(parts, params["features"])))
    wait([x, y])
    return x, y


def _item(pair: tuple[Any, Any], index: int) -> Any:
    return pair[index]


def _as_dask_arrays(parts: Sequence[tuple[Any, Any, int]], features: int) -> tuple[Any, Any]:
    """Dask arrays over partition futures: each chunk is computed where its future lives."""
    import dask.array as da

    xs = [da.from_delayed(x, (n, features), dtype=np.float32) for x, _, n in parts]
    ys = [da.from_delayed(y, (n,), dtype=np.float32) for _, y, n in parts]
    return da.concatenate(xs), da.concatenate(ys)


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary cross-entropy, probabilities clipped as both libraries clip them."""
    p = np.clip(np.asarray(p, np.float64), 1e-15, 1 - 1e-15)
    y = np.asarray(y, np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def dask_log_loss(y: Any, p: Any) -> Any:
    """``log_loss`` over dask arrays: a lazy scalar, computed where the chunks live."""
    import dask.array as da

    p = da.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
    y = y.astype(np.float64)
    return -(y * da.log(p) + (1 - y) * da.log1p(-p)).mean()


def row_bytes(features: int) -> int:
    """Bytes of one row in memory: float32 features and label."""
    return 4 * (features + 1)


def check_tabular_params(workload: str, params: Mapping[str, Any]) -> None:
    """The parameters both boosting workloads share; raises WorkloadError naming one."""
    for key in ("rounds", "features", "max_depth"):
        if params[key] <= 0:
            raise WorkloadError(
                f"parameter {key!r} of workload {workload!r} must be positive, got {params[key]!r}"
            )
    if params["partitions"] < 0:
        raise WorkloadError(
            f"parameter 'partitions' of workload {workload!r} must be >= 0 (0: one per "
            f"worker), got {params['partitions']!r}"
        )
    if params["resolution"] < 0:
        raise WorkloadError(
            f"parameter 'resolution' of workload {workload!r} must be >= 0 (0: continuous "
            f"features), got {params['resolution']!r}"
        )
    if not 0 < params["learning_rate"] <= 1:
        raise WorkloadError(
            f"parameter 'learning_rate' of workload {workload!r} must be in (0, 1], "
            f"got {params['learning_rate']!r}"
        )


def import_on_workers(client: Any, module: str) -> None:
    """Import ``module`` on the point's workers now, untimed: a first import of XGBoost
    or LightGBM takes seconds, which would otherwise land in the first timed run."""
    import importlib

    client.run(importlib.import_module, module, workers=point_workers(client))


def require_installed(library: str, workload: str) -> None:
    """Raise WorkloadError naming the extra if ``library`` is not installed; imports
    nothing (seconds for XGBoost), so a spec is checked before any cluster starts."""
    import importlib.util

    if importlib.util.find_spec(library) is None:
        raise WorkloadError(_missing(library, workload))


def require_library(module: str, workload: str) -> Any:
    """Import an optional library, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise WorkloadError(f"{_missing(module.split('.')[0], workload)} ({exc})") from exc


def _missing(library: str, workload: str) -> str:
    return f"workload {workload!r} needs {library}, in the 'ml' extra: pip install -e \".[ml]\""
