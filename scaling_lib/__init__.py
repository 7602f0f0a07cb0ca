"""Scaling Workbook: measure how Dask workloads scale, and keep every measurement.

Usage::

    import scaling_lib as sl

    summary = sl.run_study("examples/quick.yaml")       # measure, append to data/results
    df = sl.load_results("data/results", study="quick") # one row per measured run
    trace = sl.load_trace("quick", df.point_id[0], 0)   # the tasks and transfers of a run
    sim = sl.what_if_study("quick", workers=[16, 64])   # its graph replayed on more workers
    info = sl.describe_dataset(sl.DatasetSpec(path="data/events/*.parquet"))  # rows, bytes

Nothing here starts a cluster, a server or a GPU context at import time.
"""

import sys

from scaling_lib import _moved
from scaling_lib.errors import ClusterError, ScalingLibError, SpecError, StoreError, WorkloadError
from scaling_lib.run.sweep import SweepSummary, run_study
from scaling_lib.simulate.what_if import what_if_study
from scaling_lib.spec import ClusterSpec, DatasetSpec, StudySpec, describe_dataset, load_spec
from scaling_lib.store import ResultsStore, TaskTrace, load_results, load_trace
from scaling_lib.workloads import WorkDone, Workload, available_workloads, get_workload, workload

_moved.install()  # old module paths (before the layout by stage) still import, with a warning

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
    "what_if_study",
    "workload",
]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext scaling_lib``: the ``%%scale`` cell magic (``notebook.magic``)."""
    from scaling_lib.notebook.magic import load_ipython_extension as load

    load(ipython)


def __getattr__(name: str):
    return _moved.old_name(sys.modules[__name__], name)
