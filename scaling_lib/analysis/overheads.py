"""What a job pays besides its run: starting the cluster and preparing the inputs.

Usage::

    overheads = fit_overheads(runs)                 # a study's successful Dask runs
    overheads.at(size=2e7, workers=16)              # (start_s, prepare_s) at a target

Both are measured on every point (``cluster_start_s``: opening the cluster of that
worker count; ``prepare_s``: generating or loading the inputs and persisting them on
the workers) and modelled as non-negative linear laws: start-up against the worker
count, preparation against the data each worker prepares (the workload's input bytes
per worker, else its size per worker). A cloud instance's boot is not in them (it
happens before Dask starts): the catalog's ``boot_s`` adds it where given.

Pure: DataFrames in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from scaling_lib.analysis.fit import PmnfModel, fit_pmnf

__all__ = ["JobOverheads", "fit_overheads"]


@dataclass(frozen=True)
class _Linear:
    """a + b * x, a and b >= 0 (NNLS on the medians per x)."""

    a: float
    b: float

    def __call__(self, x: float) -> float:
        return self.a + self.b * float(x)


@dataclass(frozen=True)
class JobOverheads:
    start: _Linear | None  # cluster start-up seconds against workers
    prepare: _Linear | None  # preparation seconds against data per worker
    input_of_size: PmnfModel | None  # input bytes at a size (None: the size is the measure)
    measured: str  # what they rest on, in words

    def at(self, size: float, workers: int) -> tuple[float, float]:
        start = self.start(workers) if self.start else 0.0
        amount = float(self.input_of_size.predict([size])[0]) if self.input_of_size else size
        prepare = self.prepare(amount / max(workers, 1)) if self.prepare else 0.0
        return start, prepare


def _fit(x: np.ndarray, y: np.ndarray) -> _Linear | None:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return None
    xs = np.unique(x)
    ys = np.array([np.median(y[x == v]) for v in xs])
    if len(xs) == 1:
        return _Linear(float(ys[0]), 0.0)
    (a, b), _ = optimize.nnls(np.column_stack([np.ones_like(xs), xs]), ys)
    return _Linear(float(a), float(b))


def fit_overheads(runs: pd.DataFrame) -> JobOverheads:
    """Fit start-up and preparation (see the module docstring); a part never measured
    (records from before they were) is None and costs nothing, which ``measured`` says."""
    start = prepare = input_of_size = None
    parts = []
    if "cluster_start_s" in runs and runs["cluster_start_s"].notna().any():
        start = _fit(runs["n_workers"].to_numpy(float), runs["cluster_start_s"].to_numpy(float))
        parts.append(f"cluster start-up {start.a:.2f} s + {start.b:.3f} s per worker")
    if "prepare_s" in runs and runs["prepare_s"].notna().any():
        size = runs["size"].to_numpy(float)
        amount = size
        inputs = runs.get("input_bytes")
        if (
            inputs is not None
            and inputs.notna().all()
            and (inputs > 0).all()
            and len(np.unique(size)) >= 2
        ):
            amount = inputs.to_numpy(float)
            input_of_size = fit_pmnf(size, amount)  # exact for the built-ins' n, n^2
        held = amount / runs["n_workers"].to_numpy(float)
        prepare = _fit(held, runs["prepare_s"].to_numpy(float))
        per = "input byte" if input_of_size else "size unit"
        parts.append(
            f"input preparation {prepare.a:.2f} s + {prepare.b:.3g} s per {per} per worker"
        )
    measured = "; ".join(parts) if parts else "no start-up or preparation times recorded"
    return JobOverheads(start, prepare, input_of_size, measured)
