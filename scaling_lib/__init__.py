"""Scaling Workbook: measure how Dask workloads scale, and keep every measurement.

Usage::

    import scaling_lib as sl

    summary = sl.run_study("examples/quick.yaml")       # measure, append to data/results
    df = sl.load_results("data/results", study="quick") # one row per measured run
    trace = sl.load_trace("quick", df.point_id[0], 0)   # the tasks and transfers of a run
    sim = sl.simulate_study("quick", workers=[16, 64])   # its graph replayed on more workers
    info = sl.describe_dataset(sl.DatasetSpec(path="data/events/*.parquet"))  # rows, bytes

Nothing here starts a cluster, a server or a GPU context at import time.
"""

from .datasets import DatasetSpec, describe_dataset
from .errors import ClusterError, ScalingLibError, SpecError, StoreError, WorkloadError
from .spec import ClusterSpec, StudySpec, load_spec
from .store import ResultsStore, load_results
from .sweep import SweepSummary, run_study
from .traces import TaskTrace, load_trace
from .what_if import simulate_study
from .workloads import WorkDone, Workload, available_workloads, get_workload, workload

__all__ = [
    "ClusterError",
    "ClusterSpec",
    "DatasetSpec",
    "ResultsStore",
    "ScalingLibError",
    "SpecError",
    "StoreError",
    "StudySpec",
    "SweepSummary",
    "TaskTrace",
    "WorkDone",
    "Workload",
    "WorkloadError",
    "available_workloads",
    "describe_dataset",
    "get_workload",
    "load_results",
    "load_spec",
    "load_trace",
    "run_study",
    "simulate_study",
    "workload",
]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext scaling_lib``: the ``%%scale`` cell magic (see ``scaling_lib.magic``)."""
    from .magic import load_ipython_extension as load

    load(ipython)
