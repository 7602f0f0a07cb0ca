"""``dataframe``: a feature-pipeline ETL step on dask.dataframe.

Size is the number of input rows. The step: filter rows, derive a column, a
groupby-aggregate into per-key features, a shuffle join with a per-key dimension
table, and a final aggregate per group. With ``source: parquet`` the inputs are
written to Parquet first (not timed) and read back inside the timed run, so disk
reads are part of the work. Partitions are generated from per-partition seeds, so
the pandas baseline processes the very same rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads.base import WorkDone, Workload

# Seed stream for data shared by all blocks (block streams use their index).
_SHARED_STREAM = 2**32 - 1

__all__ = ["DataFrameWorkload"]

_ROW_BYTES = 8 * 4  # key, x, y, flag: four 8-byte columns


def _partition_rows(rows: int, partitions: int) -> list[int]:
    base, extra = divmod(rows, partitions)
    return [base + (1 if i < extra else 0) for i in range(partitions)]


def _make_partition(seed: int, index: int, rows: int, keys: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, index])
    return pd.DataFrame(
        {
            "key": rng.integers(0, keys, rows, dtype=np.int64),
            "x": rng.random(rows),
            "y": rng.standard_normal(rows),
            "flag": rng.integers(0, 4, rows, dtype=np.int64),
        }
    )


def _make_dimension(seed: int, keys: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, _SHARED_STREAM])
    return pd.DataFrame(
        {
            "key": np.arange(keys, dtype=np.int64),
            "weight": rng.random(keys),
            "group": rng.integers(0, 16, keys, dtype=np.int64),
        }
    )


def _pipeline_pandas(facts: pd.DataFrame, dim: pd.DataFrame) -> float:
    kept = facts[facts.x > 0.1].assign(z=lambda d: d.x * d.y)
    features = kept.groupby("key").agg(x_mean=("x", "mean"), z_sum=("z", "sum"))
    joined = kept.merge(dim, on="key", how="inner")
    by_group = joined.assign(wz=joined.z * joined.weight).groupby("group").wz.sum()
    return float(by_group.sum() + features.z_sum.sum())


class DataFrameWorkload(Workload):
    name = "dataframe"
    size_unit = "rows"
    description = "filter, groupby-aggregate and shuffle join on dask.dataframe"
    defaults: Mapping[str, Any] = {
        "partitions": 0,  # 0: about 250,000 rows a partition, at least 4
        "keys": 1000,
        "source": "memory",  # memory | parquet
        "shuffle": "tasks",  # tasks | p2p
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        if out["source"] not in ("memory", "parquet"):
            raise WorkloadError(
                f"parameter 'source' must be memory or parquet, got {out['source']!r}"
            )
        if out["shuffle"] not in ("tasks", "p2p"):
            raise WorkloadError(f"parameter 'shuffle' must be tasks or p2p, got {out['shuffle']!r}")
        if out["keys"] <= 0 or out["partitions"] < 0:
            raise WorkloadError("parameters 'keys' must be positive and 'partitions' >= 0")
        return out

    def input_bytes(self, size, params):
        return int(size) * _ROW_BYTES

    def _partitions(self, size, params) -> list[int]:
        rows = int(size)
        count = params["partitions"] or max(4, rows // 250_000)
        return _partition_rows(rows, min(count, max(rows, 1)))

    def _frames(self, size, params):
        """The fact table (one partition per piece of ``_partitions``) and the dimension
        table, lazy: what ``prepare`` persists and ``task_graph`` stands in for."""
        import dask.dataframe as dd

        rows = self._partitions(size, params)
        facts = dd.from_map(
            _make_partition,
            [params["seed"]] * len(rows),
            range(len(rows)),
            rows,
            [params["keys"]] * len(rows),
        )
        dim = dd.from_pandas(
            _make_dimension(params["seed"], params["keys"]), npartitions=max(2, len(rows) // 2)
        )
        return facts, dim

    def prepare(self, client, size, params):
        from distributed import wait

        facts, dim = self._frames(size, params)
        directory = None
        if params["source"] == "parquet":
            directory = tempfile.mkdtemp(prefix="scaling-lib-parquet-")
            facts.to_parquet(directory, write_index=False)
            facts = None
        else:
            facts = client.persist(facts)
        dim = client.persist(dim)
        wait([d for d in (facts, dim) if d is not None])
        return {"facts": facts, "dim": dim, "directory": directory}

    def build(self, client, inputs, size, params):
        import dask.dataframe as dd

        facts = inputs["facts"]
        if facts is None:
            facts = dd.read_parquet(inputs["directory"])
        kept = facts[facts.x > 0.1]
        kept = kept.assign(z=kept.x * kept.y)
        features = kept.groupby("key").agg(x_mean=("x", "mean"), z_sum=("z", "sum"))
        joined = kept.merge(inputs["dim"], on="key", how="inner", shuffle_method=params["shuffle"])
        joined = joined.assign(wz=joined.z * joined.weight)
        by_group = joined.groupby("group").wz.sum()
        return by_group.sum() + features.z_sum.sum()

    def run(self, client, built, size, params):
        return self._work(size, float(client.compute(built).result()))

    def task_graph(self, size, params):
        """The pipeline's graph at ``size`` on placeholder partitions, lowered as a
        distributed ``compute`` lowers it (no blockwise fusion: its trace has one task
        per step). A shuffle the size calls for (the groupby's, once its output needs
        several partitions) uses the join's method, ``shuffle``; a client's default for
        it would be p2p, which runs outside the task graph and is not simulated. None
        for ``source: parquet``, whose reads are tasks of the run itself."""
        if params["source"] != "memory":
            return None
        import dask

        from scaling_lib.workloads.graph_at import GraphAtSize, stand_in_frame

        facts, dim = (stand_in_frame(f) for f in self._frames(size, params))
        inputs = {"facts": facts, "dim": dim, "directory": None}
        with dask.config.set({"dataframe.shuffle.method": params["shuffle"]}):
            result = self.build(None, inputs, size, params).optimize(fuse=False)
        return GraphAtSize(result=result, inputs=(facts, dim))

    def release(self, inputs):
        if inputs and inputs.get("directory"):
            shutil.rmtree(inputs["directory"], ignore_errors=True)

    def baseline_inputs(self, size, params):
        rows = self._partitions(size, params)
        facts = pd.concat(
            [_make_partition(params["seed"], i, r, params["keys"]) for i, r in enumerate(rows)],
            ignore_index=True,
        )
        return facts, _make_dimension(params["seed"], params["keys"])

    def baseline(self, inputs, size, params):
        facts, dim = inputs
        return self._work(size, _pipeline_pandas(facts, dim))

    @staticmethod
    def _work(size: float, check: float) -> WorkDone:
        rows = int(size)
        return WorkDone(items=float(rows), unit="rows", bytes=float(rows * _ROW_BYTES), check=check)
