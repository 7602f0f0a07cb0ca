"""XGBoost on the GPU: ``device: cuda`` under the ``cuda`` backend (LocalCUDACluster).

Marked ``gpu``: skipped (with the reason) where NVML finds no GPU, as in CI. Needs the
``gpu`` and ``ml`` extras (``make gpu-check`` installs both).
"""

from __future__ import annotations

import pytest

from scaling_lib.run.sweep import run_study
from scaling_lib.store.records import ResultsStore

pytestmark = pytest.mark.gpu


def test_xgboost_trains_on_the_gpu_and_its_model_matches_the_cpu_baseline(results_dir):
    pytest.importorskip("dask_cuda")
    pytest.importorskip("xgboost")
    spec = {
        "study": "gpu-xgboost",
        "workload": "xgboost",
        "sizes": [50_000],
        "workers": [1],
        "params": {"rounds": 10},  # device: the cuda backend sets it
        "repeats": 2,
        "calibrate": False,
        "cluster": {"backend": "cuda"},
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 4}, summary  # 2 on the GPU, 2 baseline (one CPU thread)
    df = ResultsStore(results_dir).load_study("gpu-xgboost")
    gpu = df[df["runner"] == "dask"]
    assert (gpu["backend"] == "gpu").all()
    assert (gpu["param.device"] == "cuda").all()
    assert gpu["gpu_model"].notna().all()
    # XGBoost's CUDA context and the training's device buffers.
    assert (gpu["gpu_memory_peak_bytes"] > 0).all()
    assert (gpu["work_unit"] == "row-rounds").all()
    baseline = df.loc[df["runner"] == "baseline", "metric.final_logloss"].median()
    # The GPU sums gradients rounded to fixed point, the CPU in floating point: close
    # models, not the same one (not measured on a GPU yet: 5 %, as for continuous features).
    assert gpu["metric.final_logloss"].median() == pytest.approx(baseline, rel=0.05)
