"""The `scaling-lib` command as a user runs it: run, ls, show."""

from __future__ import annotations

import json
import subprocess

import yaml

from scaling_lib.store import ResultsStore


def run(cli, env, *args, timeout=300):
    return subprocess.run([*cli, *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_run_3_sizes_x_2_worker_counts_x_3_repeats(tmp_path, results_dir, cli, cli_env):
    spec = tmp_path / "etl.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "study": "etl",
                "workload": "dataframe",
                "params": {"partitions": 6, "keys": 200},
                "sizes": [20_000, 40_000, 80_000],
                "workers": [1, 2],
                "repeats": 3,
                "warmup": 1,
                "baseline": False,
            }
        )
    )
    done = run(cli, cli_env, "run", str(spec), "--results", results_dir, "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "6 points measured (18 ok)" in done.stdout

    shown = run(cli, cli_env, "show", "etl", "--results", results_dir, "--json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert len(rows) == 6
    for row in rows:
        assert row["runs"] == 3 and row["status"] == "ok:3"
        assert row["compute_s_median"] > 0 and row["peak_mem_MB_median"] > 0
        if row["workers"] == 2:
            assert row["transfer_MB_median"] > 0

    listed = run(cli, cli_env, "ls", "--results", results_dir, "--json")
    (study,) = json.loads(listed.stdout)
    assert (study["study"], study["points"], study["runs"], study["ok"]) == ("etl", 6, 18, 18)

    table = run(cli, cli_env, "show", "etl", "--results", results_dir)
    assert "medians over repeats" in table.stdout and "rows/s" in table.stdout


def test_show_unknown_study_exits_2(results_dir, cli, cli_env):
    done = run(cli, cli_env, "show", "nope", "--results", results_dir)
    assert done.returncode == 2
    assert "no study 'nope'" in done.stderr


def test_show_refuses_path_tricks(results_dir, cli, cli_env):
    done = run(cli, cli_env, "show", "../../etc", "--results", results_dir)
    assert done.returncode == 2 and "invalid study name" in done.stderr


def test_analyze_and_recommend(tmp_path, results_dir, cli, cli_env):
    spec = tmp_path / "a.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "study": "an",
                "workload": "train",
                "params": {"features": 8, "steps": 2, "blocks": 4},
                "sizes": [4000, 8000, 16000],
                "workers": [1, 2],
                "repeats": 2,
                "warmup": 0,
            }
        )
    )
    assert (
        run(cli, cli_env, "run", str(spec), "--results", results_dir, "--no-progress").returncode
        == 0
    )

    analyzed = run(cli, cli_env, "analyze", "an", "--results", results_dir, "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    result = json.loads(analyzed.stdout)
    assert result["schema"] == "analysis/1" and result["runs"] == 18  # 12 dask + 6 baseline
    assert result["calibration"]["peak_flops_per_core"] > 1e8  # measured by this run
    assert result["roofline"] and all(r["fraction"] > 0 for r in result["roofline"])
    assert result["diagnosis"] and result["time_model"]["model"]

    text = run(
        cli,
        cli_env,
        "recommend",
        "an",
        "--results",
        results_dir,
        "--size",
        "64000",
        "--deadline",
        "60",
        "--budget",
        "1",
    )
    assert text.returncode == 0, text.stderr
    for words in (
        "time_s",
        "cost_USD",
        "[interval]",
        "Cheapest meeting the deadline",
        "Assumptions",
        "per second with a 60 s minimum",
    ):
        assert words in text.stdout, words

    bad = run(cli, cli_env, "recommend", "an", "--results", results_dir, "--size", "-5")
    assert bad.returncode == 2 and "--size: must be positive" in bad.stderr

    # Three sizes on one worker: too few points for a model, said plainly (no traceback).
    store = ResultsStore(results_dir)
    one_worker = [
        {**r, "study": "an-one-worker"} for r in store.records("an") if r["n_workers"] == 1
    ]
    store.append("an-one-worker", "all", one_worker)
    few = run(cli, cli_env, "recommend", "an-one-worker", "--results", results_dir, "--size", "1e5")
    assert few.returncode == 2, few.stderr
    assert "scaling-lib: error: CPU runs: a model of (n, p) needs at least 4" in few.stderr
    assert "Traceback" not in few.stderr
