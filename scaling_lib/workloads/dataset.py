"""A user's function over a sample of a user's dataset, measured like any workload.

Usage (a spec, a notebook or a cell magic: the function is registered or named by path)::

    from scaling_lib import run_study
    from scaling_lib.workloads.registry import FunctionWorkload, register

    def features(client, ddf, min_amount=0.0):      # ddf: the point's sample, persisted
        return ddf[ddf.amount > min_amount].groupby("user").amount.sum().compute()

    register(FunctionWorkload("features", features))
    run_study({"study": "events", "workload": "features",
               "dataset": {"path": "data/events/*.parquet", "format": "parquet"},
               "sizes": [0.125, 0.25, 0.5, 1.0], "workers": [1, 2]}, results="data/results")

With a ``dataset:`` section the sweep wraps the spec's function workload in
``DatasetWorkload``: ``prepare`` reads the point's planned sample (``plan_sample``)
into a ``dask.dataframe``, one partition per piece (Parquet row group, or CSV file),
persists it and waits (not timed); ``run`` calls ``fn(client, ddf, **params)`` (timed).
Its return value is read as a FunctionWorkload's is: None counts the sample's rows,
a number is rows, a dict or WorkDone may say otherwise. The function's keyword
defaults are its parameters. A seeded row sample of few pieces has few partitions:
repartition inside the function if the work should spread further.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

from scaling_lib.errors import SpecError
from scaling_lib.spec.datasets import (
    DatasetInfo,
    DatasetSpec,
    Piece,
    SamplePlan,
    check_sizes_against,
    describe_dataset,
    plan_sample,
    rows_wanted,
)
from scaling_lib.workloads.base import WorkDone, Workload
from scaling_lib.workloads.registry import FunctionWorkload, as_work_done

__all__ = ["DATASET_FIELDS", "DatasetWorkload", "check_dataset_workload", "dataset_fields"]

# Record fields of a dataset study (None on every other study's records).
DATASET_FIELDS = (
    "dataset_path",
    "dataset_format",
    "dataset_rows",
    "dataset_bytes",
    "sample_rows",
    "sample_bytes",
    "sample_method",
    "sample_seed",
)
_ANNOTATIONS_IGNORED = r"Dask annotations .* detected\. Annotations will be ignored"


def check_dataset_workload(workload: Workload, dataset: DatasetSpec | None) -> None:
    """With a dataset, the workload must be a plain function ``fn(client, ddf, **params)``."""
    if dataset is None:
        return
    if not isinstance(workload, FunctionWorkload):
        raise SpecError(
            "workload",
            f"{workload.name!r} is not a function: with a dataset, name a function "
            "fn(client, ddf, **params) ('module:function' or a registered one)",
        )
    if workload._prepare is not None:
        raise SpecError(
            "workload",
            f"{workload.name!r} has a prepare step: with a dataset the sample is its input",
        )


class DatasetWorkload(Workload):
    """``fn(client, ddf, **params)`` over deterministic samples of a dataset."""

    def __init__(self, inner: FunctionWorkload, dataset: DatasetSpec, info: DatasetInfo):
        check_dataset_workload(inner, dataset)
        self.inner = inner
        self.fn = inner.fn
        self.name = inner.name
        self.description = inner.description
        self.defaults = dict(inner.defaults)
        self.size_unit = dataset.size_unit
        self.dataset = dataset
        self.info = info
        self._plans: dict[float, SamplePlan] = {}

    @classmethod
    def for_sizes(
        cls, inner: Workload, dataset: DatasetSpec, sizes: tuple[float, ...]
    ) -> DatasetWorkload:
        """Describe the dataset and check every size against it (SpecError naming the
        field): what the sweep does before any cluster starts."""
        check_dataset_workload(inner, dataset)
        info = describe_dataset(dataset)
        check_sizes_against(info, sizes)
        return cls(inner, dataset, info)  # type: ignore[arg-type]

    def plan(self, size: float) -> SamplePlan:
        """The sample a point of ``size`` reads (planned once per size)."""
        if size not in self._plans:
            self._plans[size] = plan_sample(self.info, rows_wanted(self.info, size))
        return self._plans[size]

    def record_fields(self, size: float) -> dict[str, Any]:
        plan = self.plan(size)
        return {
            "dataset_path": self.dataset.path,
            "dataset_format": self.dataset.format,
            "dataset_rows": self.info.rows,
            "dataset_bytes": self.info.bytes,
            "sample_rows": plan.rows,
            "sample_bytes": plan.bytes,
            "sample_method": plan.method,
            "sample_seed": plan.seed if plan.method == "seeded-rows" else None,
        }

    def input_bytes(self, size: float, params: Mapping[str, Any]) -> int | None:
        return self.plan(size).bytes

    def prepare(self, client: Any, size: float, params: Mapping[str, Any]) -> Any:
        from distributed import wait

        ddf = client.persist(read_sample(self.info, self.plan(size)))
        wait(ddf)
        return ddf

    def run(self, client: Any, built: Any, size: float, params: Mapping[str, Any]) -> WorkDone:
        plan = self.plan(size)
        with warnings.catch_warnings():
            # The function builds dask.dataframe collections inside the measurement's span,
            # and dask-expr warns that it ignores annotations: the client still tags every
            # task it submits with the span, so the measurement is whole; the warning is noise.
            warnings.filterwarnings("ignore", _ANNOTATIONS_IGNORED, UserWarning)
            result = self.fn(client, built, **params)
        work = as_work_done(result, plan.rows, "rows")
        if work.bytes is None:
            work = dataclasses.replace(work, bytes=float(plan.bytes))
        return work


def dataset_fields(workload: Workload, size: float) -> dict[str, Any]:
    """The dataset fields of a record: the sample's facts, or None for other workloads."""
    if isinstance(workload, DatasetWorkload):
        return workload.record_fields(size)
    return dict.fromkeys(DATASET_FIELDS)


def read_sample(info: DatasetInfo, plan: SamplePlan) -> Any:
    """The planned sample as a lazy ``dask.dataframe``, one partition per piece."""
    import dask.dataframe as dd
    import pandas as pd

    meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in info.schema.items()})
    return dd.from_map(
        read_piece,
        list(plan.pieces),
        protocol=info.protocol,
        storage_options=dict(info.dataset.storage_options),
        fmt=info.dataset.format,
        dtypes=dict(info.schema),
        seed=plan.seed,
        meta=meta,
        label="read-sample",
        enforce_metadata=False,
    )


def read_piece(
    piece: Piece,
    *,
    protocol: str,
    storage_options: Mapping[str, Any],
    fmt: str,
    dtypes: Mapping[str, str],
    seed: int,
) -> Any:
    """One piece as pandas (runs on a worker): a row group or a CSV file, and, for a
    seeded row sample, ``piece.take`` of its rows drawn with ``[seed, piece.number]``."""
    import fsspec
    import numpy as np
    import pandas as pd

    fs = fsspec.filesystem(protocol, **storage_options)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with fs.open(piece.path, "rb") as fh:
            frame = pq.ParquetFile(fh).read_row_group(piece.row_group).to_pandas()
    else:
        with fs.open(piece.path, "rb", compression="infer") as fh:
            # The counted pass saw every chunk: its dtypes hold for the whole column.
            frame = pd.read_csv(fh).astype(dict(dtypes))
    if piece.take is not None and piece.take < len(frame):
        rng = np.random.default_rng([seed, piece.number])
        rows = np.sort(rng.choice(len(frame), size=piece.take, replace=False))
        frame = frame.iloc[rows].reset_index(drop=True)
    return frame
