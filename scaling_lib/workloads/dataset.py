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
``DatasetWorkload``. Each point's sample is the first whole partitions of production's
read (``dask.dataframe.read_parquet`` or ``read_csv`` with ``dataset.options``;
``spec/datasets.py`` plans them before any cluster starts). With ``read: timed`` (the
default) ``prepare`` reads the sample once, untimed, to measure the read alone
(``read_s``) and warm the files, and ``run`` hands ``fn`` the lazy sample: the
function's compute reads the data inside the timer, as the production job does. With
``read: untimed`` ``prepare`` persists the sample and waits (not timed) and ``fn`` gets
it in memory. ``run`` calls ``fn(client, ddf, **params)`` (timed). Its return value is
read as a FunctionWorkload's is: None counts the sample's rows, a number is rows, a
dict or WorkDone may say otherwise. The function's keyword defaults are its parameters.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping
from typing import Any

from scaling_lib.errors import SpecError
from scaling_lib.spec.datasets import (
    DatasetInfo,
    DatasetSpec,
    SamplePlan,
    check_sizes_against,
    describe_dataset,
    plan_samples,
    production_frame,
)
from scaling_lib.workloads.base import WorkDone, Workload
from scaling_lib.workloads.capture import capture_graph
from scaling_lib.workloads.graph_at import GraphAtSize, stand_in_frame
from scaling_lib.workloads.registry import FunctionWorkload, as_work_done

__all__ = [
    "DATASET_FIELDS",
    "DatasetWorkload",
    "check_dataset_workload",
    "dataset_fields",
    "read_sample",
]

# Record fields of a dataset study (None on every other study's records). A dataset
# study's ``size`` is the sample's real size; ``size_requested`` the spec's.
DATASET_FIELDS = (
    "dataset_path",
    "dataset_format",
    "dataset_rows",
    "dataset_bytes",
    "dataset_partitions",
    "dataset_options",
    "workload_file",
    "sample_rows",
    "sample_bytes",
    "sample_method",
    "sample_seed",
    "sample_partitions",
    "rows_per_partition",
    "size_requested",
    "read",
    "read_s",
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
        self._read_s: dict[float, float] = {}

    @classmethod
    def for_sizes(
        cls, inner: Workload, dataset: DatasetSpec, sizes: tuple[float, ...]
    ) -> DatasetWorkload:
        """Describe the dataset and plan every size against it (SpecError naming the
        field): what the sweep does before any cluster starts."""
        check_dataset_workload(inner, dataset)
        info = describe_dataset(dataset)
        check_sizes_against(info, sizes)
        workload = cls(inner, dataset, info)  # type: ignore[arg-type]
        workload._plans = dict(zip(sizes, plan_samples(info, sizes), strict=True))
        return workload

    def plan(self, size: float) -> SamplePlan:
        """The sample a point of ``size`` reads (planned once per size)."""
        if size not in self._plans:
            self._plans.update(zip([size], plan_samples(self.info, [size]), strict=True))
        return self._plans[size]

    def plan_lines(self) -> list[str]:
        """The plan in words, one line per size: what ``run`` prints before it starts."""
        info = self.info
        head = (
            f"dataset {info.dataset.path}: {info.rows:,} rows in {len(info.partitions)} "
            f"partitions of dask.dataframe.read_{info.dataset.format}"
            f"{'' if not info.dataset.options else f' with {info.dataset.options}'}; "
            f"reading is {'timed with' if info.dataset.read == 'timed' else 'outside'} the job"
        )
        return [head] + [f"  {p.describe(info, s)}" for s, p in self._plans.items()]

    def record_fields(self, size: float) -> dict[str, Any]:
        plan = self.plan(size)
        return {
            "size": plan.size(self.info),
            "size_requested": size,
            "dataset_path": self.dataset.path,
            "dataset_format": self.dataset.format,
            "dataset_rows": self.info.rows,
            "dataset_bytes": self.info.bytes,
            "dataset_partitions": len(self.info.partitions),
            "dataset_options": dict(self.dataset.options) or None,
            # Where the function lives: the what-if imports it again to capture its graph.
            "workload_file": _source_file(self.fn),
            "sample_rows": plan.rows,
            "sample_bytes": plan.bytes,
            "sample_method": plan.method,
            "sample_seed": None,
            "sample_partitions": len(plan.partitions),
            "rows_per_partition": plan.rows_per_partition,
            "read": self.dataset.read,
            "read_s": self._read_s.get(size),
        }

    def input_bytes(self, size: float, params: Mapping[str, Any]) -> int | None:
        return self.plan(size).bytes

    def task_graph(self, size: float, params: Mapping[str, Any]) -> GraphAtSize:
        """The graph the function submits over the sample at ``size`` (the full dataset at
        1.0), captured without reading or computing anything (``capture.capture_graph``;
        GraphNotCaptured where the function needs computed values)."""
        sample = read_sample(self.info, self.plan(size))
        inputs: tuple[Any, ...] = ()
        if self.dataset.read == "untimed":  # persisted before the timer, as measured
            sample = stand_in_frame(sample)
            inputs = (sample,)
        graph = capture_graph(self.fn, sample, {**self.defaults, **params})
        return GraphAtSize(result=graph, inputs=inputs)

    def prepare(self, client: Any, size: float, params: Mapping[str, Any]) -> Any:
        from distributed import wait

        sample = read_sample(self.info, self.plan(size))
        # Read once either way: untimed, it is the input; timed, the read alone is
        # measured (its share of the job) and the files are as warm as the repeats'.
        start = time.perf_counter()
        persisted = client.persist(sample)
        wait(persisted)
        self._read_s[size] = time.perf_counter() - start
        if self.dataset.read == "untimed":
            return persisted
        del persisted
        return sample

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
    """The planned sample as a lazy ``dask.dataframe``: production's read, its first
    ``len(plan.partitions)`` partitions."""
    frame = production_frame(info.dataset)
    if len(plan.partitions) == frame.npartitions:
        return frame
    return frame.partitions[list(plan.partitions)]


def _source_file(fn: Any) -> str | None:
    import inspect

    try:
        return inspect.getsourcefile(fn)
    except TypeError:
        return None
