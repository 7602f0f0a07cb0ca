"""The dask-cuda path: array and train on CuPy under LocalCUDACluster, the workers' GPU
figures (their system monitors' NVML samples) in the record, for any backend.

Marked ``gpu``: skipped (with the reason) where NVML finds no GPU, as in CI.
"""

from __future__ import annotations

import pytest

from scaling_lib.run.sweep import run_study
from scaling_lib.store.records import ResultsStore

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(
    ("workload", "size", "params"),
    [
        ("array", 1000, {}),
        ("array", 1000, {"precision": "float16"}),
        ("train", 20_000, {"hidden": 256, "steps": 3}),
    ],
)
def test_workload_runs_on_the_gpu_and_records_the_workers_gpu_figures(
    results_dir, workload, size, params
):
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


def _on_device(n: int) -> float:
    import cupy

    return float(cupy.arange(n, dtype=cupy.float64).sum())


def cupy_sum(client, size):
    """A custom workload that computes on its worker's GPU with CuPy."""
    return {"items": size, "check": client.submit(_on_device, int(size), pure=False).result()}


def test_a_gpu_cluster_given_by_class_records_its_workers_gpu_figures(results_dir):
    # Not the cuda backend: the sweep does not know these workers have GPUs. Their own
    # system monitors do, so the record has the GPU model, utilisation and device memory.
    spec = {
        "study": "gpu-class",
        "workload": f"{__name__}:cupy_sum",
        "sizes": [10_000_000],
        "workers": [1],
        "repeats": 2,
        "baseline": False,
        "cluster": {
            "backend": "class",
            "class_path": "dask_cuda.LocalCUDACluster",
            "kwargs": {"CUDA_VISIBLE_DEVICES": "0", "dashboard_address": ":0"},
        },
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 2}, summary
    df = ResultsStore(results_dir).load_study("gpu-class")
    assert df["gpu_model"].notna().all()
    # CuPy's pool keeps the 80 MB input on the device; the CUDA context is there too.
    assert (df["gpu_memory_peak_bytes"] > 80e6).all()
    assert df["gpu_utilization"].between(0, 1).all()
