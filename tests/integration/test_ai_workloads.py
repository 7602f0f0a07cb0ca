"""Training strategies, precision, serving and autoscaling on real local clusters."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from scaling_lib import get_workload
from scaling_lib.errors import WorkloadError
from scaling_lib.run.clusters import open_cluster
from scaling_lib.run.measure import measure_dask_run
from scaling_lib.run.sweep import run_study
from scaling_lib.spec.study import ClusterSpec, load_spec
from scaling_lib.store.records import ResultsStore

TINY_TRAIN = {"features": 8, "hidden": 32, "outputs": 4, "steps": 2, "blocks": 4}


@pytest.fixture(scope="module")
def four_workers():
    """Four single-thread workers (oversubscribed on 2 cores: fine at tiny sizes), so the
    hybrid strategy has 2 data groups x 2 model shards."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the oversubscription warning
        session = open_cluster(ClusterSpec(), n_workers=4, threads_per_worker=1, memory_limit=2**30)
    yield session
    session.close()


def _measure(session, name, size, params):
    wl = get_workload(name)
    params = wl.check_params(params)
    inputs = wl.prepare(session.client, size, params)
    try:
        built = wl.build(session.client, inputs, size, params)
        return measure_dask_run(session.client, wl, built, size, params, workers=session.workers)
    finally:
        wl.release(inputs)


@pytest.mark.parametrize("strategy", ["data", "model", "hybrid"])
def test_each_strategy_trains_the_same_model_and_moves_what_the_formula_says(
    four_workers, strategy
):
    params = {**TINY_TRAIN, "strategy": strategy}
    m = _measure(four_workers, "train", 3000, params)
    wl = get_workload("train")
    checked = wl.check_params(params)
    baseline = wl.baseline(wl.baseline_inputs(3000, checked), 3000, checked)
    # Same data, same initial weights, same steps: every strategy computes the same loss.
    assert m["check"] == pytest.approx(baseline.check, rel=1e-9)
    metrics = m["metrics"]
    grid = {"data": (4, 1), "model": (1, 4), "hybrid": (2, 2)}[strategy]
    assert (metrics["data_groups"], metrics["model_shards"]) == grid
    assert metrics["analytic_bytes_per_step"] > 0
    assert 0.5 <= metrics["bytes_per_step"] / metrics["analytic_bytes_per_step"] <= 2


def test_one_worker_moves_nothing(four_workers):
    with open_cluster(ClusterSpec(), n_workers=1, threads_per_worker=1, memory_limit=2**30) as one:
        m = _measure(one, "train", 2000, {**TINY_TRAIN, "strategy": "model"})
    assert m["metrics"]["analytic_bytes_per_step"] == 0
    assert m["bytes_transferred"] == 0


@pytest.mark.parametrize("precision", ["float64", "float32", "float16"])
@pytest.mark.parametrize(
    ("name", "size", "params"), [("array", 120, {}), ("train", 2000, TINY_TRAIN)]
)
def test_each_cpu_precision_records_its_error_against_float64(
    four_workers, name, size, params, precision
):
    m = _measure(four_workers, name, size, {**params, "precision": precision})
    error = m["metrics"]["precision_error"]
    expected_max = {"float64": 0.0, "float32": 1e-5, "float16": 1e-1}[precision]
    assert 0 <= error <= expected_max
    if precision != "float64":
        assert error > 0  # rounding is real: the reduced type cannot be exact here
    assert m["check"] == m["check"]  # not NaN


def test_bfloat16_and_bad_strategies_are_refused_by_name():
    with pytest.raises(WorkloadError, match="bfloat16"):
        get_workload("array").check_params({"precision": "bfloat16"})
    with pytest.raises(WorkloadError, match="strategy"):
        get_workload("train").check_params({"strategy": "pipeline"})
    with pytest.raises(WorkloadError, match="multiple"):
        from scaling_lib.workloads.train import Grid

        Grid.for_strategy("hybrid", 3, 2)


def test_gpu_device_needs_the_cuda_backend():
    from scaling_lib.errors import SpecError

    with pytest.raises(SpecError, match=r"params\.device"):
        load_spec(
            {
                "study": "s",
                "workload": "array",
                "sizes": [10],
                "workers": [1],
                "params": {"device": "gpu"},
            }
        )


def test_serving_sweep_records_latency_percentiles(results_dir):
    spec = {
        "study": "serve-tiny",
        "workload": "serve",
        "sizes": [60],
        "workers": [1, 2],
        "params": {"concurrency": 4, "hidden": 128, "batch": 32},
        "repeats": 2,
        "warmup": 0,
        "memory_limit": "1GiB",
        "calibrate": False,
    }
    summary = run_study(spec, results=results_dir, progress=False)
    assert summary.statuses == {"ok": 6}
    df = ResultsStore(results_dir).load_study("serve-tiny")
    dask = df[df["runner"] == "dask"]
    for col in ("metric.latency_p50_s", "metric.latency_p95_s", "metric.latency_p99_s"):
        assert (dask[col] > 0).all()
    assert (dask["metric.latency_p50_s"] <= dask["metric.latency_p99_s"]).all()
    assert (dask["throughput"] > 0).all()

    from scaling_lib.analysis.ai_workloads import latency_table

    table = latency_table(df)
    assert set(table["n_workers"]) == {0, 1, 2}


def test_open_loop_serving_sends_at_the_offered_rate(two_workers):
    m = _measure(two_workers, "serve", 40, {"rate": 40.0, "hidden": 64, "batch": 16})
    # 40 requests at 40/s take about a second to send, whatever the cluster does.
    assert m["wall_s"] >= 0.95
    assert m["metrics"]["offered_rate"] == 40.0


def test_worker_count_log_stamps_each_arrival_and_departure_on_the_scheduler():
    import time

    from distributed import Client, LocalCluster

    from scaling_lib.run.autoscale import WorkerCountLog, worker_timeline

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.register_plugin(WorkerCountLog())
        start = time.time()
        cluster.scale(2)
        client.wait_for_workers(2)
        up = time.time()
        cluster.scale(1)
        while len(client.scheduler_info(n_workers=-1)["workers"]) > 1:
            time.sleep(0.01)
        down = time.time()
        log_start, count, events = client.run_on_scheduler(WorkerCountLog.read)
    assert count == 1 and log_start <= start
    assert [delta for _, delta, _ in events] == [1, -1]
    (added, _, _), (removed, _, _) = events
    # Stamped when the scheduler's count changed: inside the calls that changed it.
    assert start <= added <= up <= removed <= down
    timeline = worker_timeline(count, events, since=start, until=down)
    assert [n for _, n in timeline] == [1, 2, 1, 1]


# make test keeps under CI's 20 minutes without it: notebook 05's test runs the same
# experiment (run_autoscale_experiment) and checks it scaled up; this one adds the CLI
# wrapper and the timeline's invariants (`pytest -m long`).
@pytest.mark.long
@pytest.mark.timeout(600)  # two loads of 6 s: minutes on a busy shared machine
def test_adapt_scales_the_local_cluster_up_under_a_burst_and_back_down(tmp_path, cli, cli_env):
    """What the experiment guarantees, not how fast this machine is (the worker-seconds
    saved by adapting are a benchmark's figure: benchmarks/autoscale.py)."""
    from scaling_lib.run.autoscale import worker_integral

    results = tmp_path / "results"
    out = subprocess.run(
        [*cli, "autoscale", "burst", "--results", str(results), "--profile", "1@10,4@80,1@10",
         "--min", "1", "--max", "2"],
        capture_output=True, text=True, env=cli_env, timeout=540, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "adaptive used" in out.stdout
    doc = json.loads((Path(results) / "burst" / "autoscale.json").read_text())
    adaptive, fixed = doc["adaptive"], doc["fixed"]
    for run in (adaptive, fixed):
        times = [t for t, _ in run["timeline"]]
        assert times[0] == 0 and times == sorted(times)
        # One step per worker that joined or left (the scheduler's events), not samples.
        counts = [n for _, n in run["timeline"]]
        assert all(abs(b - a) == 1 for a, b in itertools.pairwise(counts[:-1]))
        assert counts[-1] == counts[-2]  # the closing point repeats the last count
        assert run["worker_seconds"] == pytest.approx(
            worker_integral(run["timeline"], run["load_s"]), rel=1e-12
        )
        assert len(run["requests"]) == 10 + 320 + 10
    counts = [n for _, n in adaptive["timeline"]]
    assert counts[0] == 1 and max(counts) == 2  # it really scaled up
    up = adaptive["time_to_first_extra_worker_s"]
    assert up is not None and adaptive["time_to_maximum_s"] == up  # maximum is 2
    # The experiment waits (up to settle_s) for the return to the minimum after the load.
    down = adaptive["time_to_scale_down_s"]
    assert down is not None and counts[-1] == 1
    # The reported times are read off the timeline: the step function agrees with them.
    timeline, eps = adaptive["timeline"], 1e-6  # times are saved to 0.1 ms
    up_at = adaptive["burst_start_s"] + up
    if up > 0:
        assert set(_counts_between(timeline, adaptive["burst_start_s"], up_at - eps)) == {1}
    assert _counts_between(timeline, up_at + eps, up_at + eps) == [2]
    down_at = adaptive["burst_end_s"] + down
    assert set(_counts_between(timeline, down_at + eps, timeline[-1][0])) == {1}  # for good
    if down > 0:
        assert 2 in _counts_between(timeline, adaptive["burst_end_s"], down_at - eps)
    assert {n for _, n in fixed["timeline"]} == {2}
    assert fixed["worker_seconds"] == pytest.approx(2 * fixed["load_s"], rel=1e-12)


def _counts_between(timeline, start, end):
    """The worker counts a step timeline takes from ``start`` to ``end`` seconds."""
    at_start = [n for t, n in timeline if t <= start][-1]
    return [at_start] + [n for t, n in timeline if start < t <= end]
