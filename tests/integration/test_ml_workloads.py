"""XGBoost and LightGBM on real LocalClusters through ``run_study``, checked against their
single-process baselines (the ``ml`` extra; ``make test`` installs it)."""

from __future__ import annotations

import pytest

from scaling_lib import get_workload
from scaling_lib.errors import SpecError, WorkloadError
from scaling_lib.run.sweep import run_study
from scaling_lib.spec.study import load_spec
from scaling_lib.store.records import ResultsStore
from scaling_lib.workloads import lgbm, tabular, xgb

ROWS, ROUNDS = 5000, 5

# The tolerances, and why, are the workloads' own (their docstrings give the figures):
# XGBoost's Dask model is the single-process model on the default data (exact sketches),
# so its log loss agrees to 1e-6; LightGBM's data-parallel trees differ now and then
# from the serial ones (up to 1.5 % measured at 5,000 rows), so 5 %.
TOLERANCE = {"xgboost": xgb.LOGLOSS_TOLERANCE, "lightgbm": lgbm.LOGLOSS_TOLERANCE}


@pytest.mark.parametrize("name", ["xgboost", "lightgbm"])
def test_trains_on_1_and_2_workers_and_matches_the_single_process_model(
    two_workers, results_dir, name
):
    pytest.importorskip(name, reason='the ml extra: pip install -e ".[ml]"')
    # One real 2-worker LocalCluster for both libraries and both worker counts (the
    # 1-worker points are confined to one of its workers): each worker process imports
    # XGBoost and LightGBM once, seconds each, instead of once per cluster.
    address = two_workers.client.scheduler.address
    spec = {
        "study": f"ml-{name}",
        "workload": name,
        "sizes": [ROWS],
        "workers": [1, 2],
        "params": {"rounds": ROUNDS},
        "repeats": 1,
        "warmup": 0,
        "baseline": True,
        "calibrate": False,
        "cluster": {"backend": "address", "address": address},
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 3}, summary
    df = ResultsStore(results_dir).load_study(f"ml-{name}")
    assert sorted(df["runner"]) == ["baseline", "dask", "dask"]
    assert (df["work_unit"] == "row-rounds").all()
    assert (df["work_items"] == ROWS * ROUNDS).all()
    assert (df["throughput"] > 0).all()
    # The metric is recorded (as metric.final_logloss and as the check), and learned:
    # below log 2, the loss of a coin flip.
    assert (df["metric.final_logloss"] == df["check"]).all()
    assert df["check"].between(0.1, 0.69).all()
    baseline = df.loc[df["runner"] == "baseline", "check"].item()
    dask = df[df["runner"] == "dask"].set_index("n_workers")["check"]
    assert dask[1] == pytest.approx(baseline, rel=1e-9)  # one worker: the same model
    assert dask[2] == pytest.approx(baseline, rel=TOLERANCE[name])


def test_both_workloads_train_on_the_same_rows_whatever_the_split():
    params = {"seed": 3, "features": 6, "resolution": tabular.RESOLUTION}
    x, y = tabular.local_rows(9000, params)
    bounds = tabular.partition_bounds(9000, 4)
    parts = [tabular.make_rows(3, a, b, 6) for a, b in bounds]
    assert [b - a for a, b in bounds] == [2250] * 4
    assert (x == [r for p in parts for r in p[0]]).all()
    assert (y == [v for p in parts for v in p[1]]).all()
    assert 0.3 < y.mean() < 0.7  # both classes, in a learnable mix
    assert len(set(x[:, 0].tolist())) <= 6 / tabular.RESOLUTION + 1  # fewer values than bins


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("xgboost", {"device": "tpu"}, "device"),
        ("xgboost", {"rounds": 0}, "rounds"),
        ("lightgbm", {"learning_rate": 1.5}, "learning_rate"),
        ("lightgbm", {"device": "cuda"}, "device"),  # LightGBM has no device parameter
    ],
)
def test_bad_parameters_are_refused_naming_the_field(name, params, field):
    with pytest.raises(WorkloadError, match=field):
        get_workload(name).check_params(params)
    with pytest.raises(SpecError, match=field):
        load_spec(
            {"study": "bad", "workload": name, "sizes": [1000], "workers": [1], "params": params}
        )


def test_the_cuda_backend_runs_xgboost_on_the_gpu():
    # The backend sets device 'gpu' (as for array and train), which XGBoost calls cuda.
    spec = load_spec(
        {
            "study": "g",
            "workload": "xgboost",
            "sizes": [1000],
            "workers": [1],
            "cluster": {"backend": "cuda"},
        }
    )
    assert spec.params["device"] == "cuda"
    assert get_workload("xgboost").check_params({})["device"] == "cpu"
