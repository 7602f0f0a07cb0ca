"""Sweeps on real clusters: failures recorded and survived, timeouts, resume after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

import pytest
import yaml

from scaling_lib import ResultsStore, load_results, run_study


def spec(**changes):
    base = {
        "study": "t",
        "workload": "tests.custom_workloads:square_sum",
        "sizes": [1000, 2000],
        "workers": [1],
        "repeats": 2,
        "warmup": 0,
        "baseline": False,
        "timeout_s": 60,
    }
    return {**base, **changes}


def test_failing_point_is_recorded_and_the_sweep_goes_on(results_dir):
    summary = run_study(
        spec(workload="tests.custom_workloads:fail_at_size", sizes=[1, 2, 3]),
        results=results_dir,
        progress=False,
    )
    df = load_results(results_dir, "t")
    failed = df[df.status == "failed"]
    assert list(failed["size"]) == [2]
    assert failed["error_type"].iloc[0] == "ValueError"
    assert "planted failure at size 2" in failed["error_message"].iloc[0]
    assert sorted(df.loc[df.status == "ok", "size"].unique()) == [1, 3]
    assert summary.statuses == Counter({"ok": 4, "failed": 1})


def test_point_past_its_memory_limit_is_recorded_as_oom_and_the_sweep_goes_on(results_dir):
    run_study(
        spec(
            workload="tests.custom_workloads:hog_memory",
            sizes=[20, 1500, 30],  # MiB allocated in one task
            memory_limit="400MiB",
            repeats=1,
        ),
        results=results_dir,
        progress=False,
    )
    df = load_results(results_dir, "t").set_index("size")
    assert df.loc[1500, "status"] == "oom", df[["status", "error_message"]]
    assert df.loc[1500, "error_type"] == "KilledWorker"
    assert df.loc[20, "status"] == "ok" and df.loc[30, "status"] == "ok"


def test_point_past_its_timeout_is_recorded_and_the_sweep_goes_on(results_dir):
    # The middle point sleeps an hour: the sweep can only finish inside the test's time
    # limit (300 s) by abandoning it at its 5 s timeout. The margin is two orders of
    # magnitude, so a loaded machine (cluster restarts of 5-30 s) cannot fail it. The
    # other points must fit their 5 s: a 0.1-0.2 s sleep and the run's few round trips
    # to the scheduler and workers, 25x over (2 s was 10x, tight on a busy machine).
    started = time.perf_counter()
    run_study(
        spec(
            workload="tests.custom_workloads:sleep_task",
            sizes=[0.1, 3600, 0.2],
            timeout_s=5,
            repeats=1,
        ),
        results=results_dir,
        progress=False,
    )
    assert time.perf_counter() - started < 3600 / 15
    df = load_results(results_dir, "t").set_index("size")
    assert df.loc[3600, "status"] == "timeout"
    assert "timeout of 5 s" in df.loc[3600, "error_message"]
    assert df.loc[0.1, "status"] == "ok" and df.loc[0.2, "status"] == "ok"


def test_rerun_skips_recorded_points_and_retry_failed_remeasures(results_dir):
    first = run_study(spec(), results=results_dir, progress=False)
    again = run_study(spec(sizes=[1000, 2000, 3000]), results=results_dir, progress=False)
    assert (first.measured, again.measured, again.skipped) == (2, 1, 2)
    assert len(load_results(results_dir, "t")) == 6

    run_study(
        spec(workload="tests.custom_workloads:fail_at_size", sizes=[1, 2], study="f"),
        results=results_dir,
        progress=False,
    )
    retried = run_study(
        spec(workload="tests.custom_workloads:fail_at_size", sizes=[1, 2], study="f"),
        results=results_dir,
        progress=False,
        retry_failed=True,
    )
    assert (retried.measured, retried.skipped) == (1, 1)


def test_gpu_fields_come_from_the_workers_monitors_none_without_a_gpu(results_dir):
    from distributed.diagnostics import nvml

    from scaling_lib.run.measure import GPU_FIELDS

    if nvml.device_get_count() > 0:  # what a worker's SystemMonitor asks before sampling
        pytest.skip("NVML sees a GPU here: the workers' monitors sample it")
    run_study(spec(sizes=[1000], repeats=1), results=results_dir, progress=False)
    df = load_results(results_dir, "t")
    assert (df["status"] == "ok").all()
    assert df[[*GPU_FIELDS, "gpu_model"]].isna().all().all()


def test_oversubscription_is_warned_and_recorded(results_dir):
    with pytest.warns(RuntimeWarning, match="oversubscribed"):
        run_study(
            spec(sizes=[100], threads_per_worker=os.cpu_count() + 1, repeats=1),
            results=results_dir,
            progress=False,
        )
    assert load_results(results_dir, "t")["oversubscribed"].all()


def test_resume_after_sigkill_records_every_point_exactly_once(tmp_path, results_dir, cli, cli_env):
    sizes = [0.4, 0.41, 0.42, 0.43, 0.44, 0.45]
    path = tmp_path / "resume.yaml"
    path.write_text(
        yaml.safe_dump(
            spec(
                study="resume",
                workload="tests.custom_workloads:sleep_task",
                sizes=sizes,
                workers=[1, 2],
                repeats=2,
            )
        )
    )
    command = [*cli, "run", str(path), "--results", results_dir, "--no-progress"]
    proc = subprocess.Popen(
        command,
        env=cli_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = ResultsStore(results_dir)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if store.has_study("resume") and len(store.point_ids("resume")) >= 3:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, mid-point
    proc.wait(timeout=10)
    killed_at = len(store.point_ids("resume"))
    assert 3 <= killed_at < 12

    done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert f"{killed_at} already recorded" in done.stdout

    df = load_results(results_dir, "resume")
    per_point = df.groupby("point_id").size()
    assert len(per_point) == 12  # 6 sizes x 2 worker counts
    assert (per_point == 2).all()  # each point once, with both of its repeats
    assert (df["status"] == "ok").all()
    assert sorted(df.groupby(["size", "n_workers"]).ngroups for _ in [0]) == [12]
