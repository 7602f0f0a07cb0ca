"""The public API is explicit, and importing it does no work."""

from __future__ import annotations

import subprocess
import sys

import scaling_lib

EXPECTED = {
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
}


def test_public_names_are_exactly_the_intended_ones():
    assert set(scaling_lib.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(scaling_lib, name) is not None


def test_import_starts_nothing_and_loads_no_gpu_stack():
    code = (
        "import sys, threading, scaling_lib, scaling_lib.cli;"
        "bad = [m for m in ('distributed', 'dask_cuda', 'pynvml', 'cupy') if m in sys.modules];"
        "print(bad, threading.active_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] 1"


def test_exception_tree():
    for name in ("SpecError", "WorkloadError", "ClusterError", "StoreError"):
        assert issubclass(getattr(scaling_lib, name), scaling_lib.ScalingLibError)
