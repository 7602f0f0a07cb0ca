"""07_ml_training executed through papermill on a real kernel, against a real LocalCluster,
and the comparison table it shows (``ml_views``)."""

from __future__ import annotations

import pandas as pd
import pytest

from scaling_lib import load_results
from scaling_lib.notebook import ml_views as mv
from scaling_lib.run.batch import execute_notebook

from .test_notebooks import assert_clean_with_plots, shown

WORKLOADS = ["xgboost", "lightgbm", "train"]


def test_07_compares_xgboost_lightgbm_and_the_mlp_against_one_process(two_workers, tmp_path):
    pytest.importorskip("xgboost", reason='the ml extra: pip install -e ".[ml]"')
    pytest.importorskip("lightgbm", reason='the ml extra: pip install -e ".[ml]"')
    results = str(tmp_path / "results")
    executed = tmp_path / "07.ipynb"
    execute_notebook(
        "07_ml_training",
        executed,
        {
            "sizes": [3000],
            "workers": [1, 2],
            "rounds": 3,
            "repeats": 1,
            # The test's 2-worker cluster: its workers import the libraries once.
            "scheduler": two_workers.client.scheduler.address,
            "results": results,
        },
    )
    assert_clean_with_plots(executed, plots=1)
    for workload in WORKLOADS:
        df = load_results(results, f"ml-{workload}")
        assert (df["status"] == "ok").all() and len(df) == 3, workload  # 1, 2 workers, baseline
    table = shown(executed, "text/html")
    for words in ("row-rounds/s", "samples/s", "1 process", "(log loss)", "(MSE)"):
        assert words in table, words
    agreement = shown(executed, "text/markdown")
    for workload in WORKLOADS:
        assert f"**{workload}**: yes" in agreement, agreement


def _records(workload, rows):
    return pd.DataFrame(
        [
            {"status": s, "runner": r, "size": 1000, "n_workers": w, "wall_s": t,
             "throughput": 1000 / t if t else None, "work_unit": "row-rounds", "check": c}
            for s, r, w, t, c in rows
        ]
    )  # fmt: skip


def test_comparison_table_puts_each_run_beside_its_baseline():
    frames = {
        "xgboost": _records(
            "xgboost",
            [
                ("ok", "dask", 2, 0.5, 0.40),
                ("ok", "baseline", 0, 1.0, 0.40),
                ("ok", "dask", 1, 0.8, 0.40),
                ("failed", "dask", 4, None, None),
            ],
        ),
        "lightgbm": _records(
            "lightgbm", [("ok", "dask", 2, 1.0, 0.44), ("ok", "baseline", 0, 2.0, 0.40)]
        ),
    }
    table = mv.comparison_table(frames)
    xgb = table[table["workload"] == "xgboost"]
    assert list(xgb["runner"]) == ["baseline", "dask", "dask"]
    assert list(xgb["n_workers"]) == [0, 1, 2]  # the failed run is not there
    assert list(xgb["speedup_vs_baseline"]) == pytest.approx([1.0, 1.25, 2.0])
    lgb = table[(table["workload"] == "lightgbm") & (table["runner"] == "dask")].iloc[0]
    assert lgb["metric_difference"] == pytest.approx(0.1)
    text = mv.metric_agreement(table).data
    assert "**xgboost**: yes, at most 0 apart" in text
    assert "**lightgbm**: **no**: 10% apart at 1,000 rows on 2 workers" in text
