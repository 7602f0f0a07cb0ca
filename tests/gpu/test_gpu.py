"""The dask-cuda path: array and train on CuPy under LocalCUDACluster, NVML in the record.

Marked ``gpu``: skipped (with the reason) where NVML finds no GPU, as in CI.
"""

from __future__ import annotations

import pytest

from scaling_lib.store import ResultsStore
from scaling_lib.sweep import run_study

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(
    ("workload", "size", "params"),
    [
        ("array", 1000, {}),
        ("array", 1000, {"precision": "float16"}),
        ("train", 20_000, {"hidden": 256, "steps": 3}),
    ],
)
def test_workload_runs_on_the_gpu_and_records_nvml(results_dir, workload, size, params):
    spec = {
        "study": "gpu-smoke",
        "workload": workload,
        "sizes": [size],
        "workers": [1],
        "params": params,
        "repeats": 2,
        "cluster": {"backend": "cuda"},
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 4}, summary
    df = ResultsStore(results_dir).load_study("gpu-smoke")
    gpu = df[df["runner"] == "dask"]
    assert (gpu["backend"] == "gpu").all()
    assert (gpu["param.device"] == "gpu").all()
    assert gpu["gpu_model"].notna().all()
    assert (gpu["gpu_memory_peak_bytes"] > 0).all()
    assert gpu["gpu_utilization"].between(0, 1).all()
    # dask-cuda's default device_memory_limit (most of the GPU) is far above these inputs.
    assert (gpu["gpu_bytes_spilled"] == 0).all()
    baseline = df[df["runner"] == "baseline"]["check"].median()
    # CuPy and NumPy multiply the same numbers; sums differ only by rounding order.
    rel = 1e-6 if params.get("precision", "float64") == "float64" else 1e-1
    assert gpu["check"].median() == pytest.approx(baseline, rel=rel)


def test_device_memory_limit_spills_and_the_record_counts_it(results_dir):
    # Two 128 MB float64 inputs against a 200 MB device limit: dask-cuda moves blocks
    # to host memory and back while the product runs.
    spec = {
        "study": "gpu-spill",
        "workload": "array",
        "sizes": [4000],
        "workers": [1],
        "repeats": 1,
        "baseline": False,
        "cluster": {"backend": "cuda", "kwargs": {"device_memory_limit": "200MB"}},
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 1}, summary
    run = ResultsStore(results_dir).load_study("gpu-spill").iloc[0]
    assert run["gpu_bytes_spilled"] > 0 and run["gpu_bytes_unspilled"] > 0
