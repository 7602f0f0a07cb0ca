"""The `scaling-lib` command as a user runs it: run, ls, show."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from scaling_lib.store.records import ResultsStore


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


# A hang guard over its six commands (each has its own 300 s): 153 s with one core
# kept busy and another test file running, too near pytest's default 300 s.
@pytest.mark.timeout(600)
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
    assert result["host_limits"]["peak_flops_per_core"] > 1e8  # measured by this run
    assert result["roofline"] and all(r["fraction"] > 0 for r in result["roofline"])
    assert result["diagnosis"] and result["time_model"]["model"]

    analyzed = run(cli, cli_env, "analyze", "an", "--results", results_dir)
    assert analyzed.returncode == 0, analyzed.stderr
    for words in ("time (median)", "efficiency", "evidence:", "fix:", "of the ceiling"):
        assert words in analyzed.stdout, words

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
        "time [interval]",
        "cost [interval] USD",
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


def test_analyze_and_show_name_a_point_off_the_trend(results_dir, cli, cli_env):
    """A seeded row sample at 8x the cost per row of its neighbours, planted in a store (no
    cluster, no timing): both commands name it, its cause, and that the fit left it out."""
    from tests.unit.analysis.records import sampled_dataset_records

    df = sampled_dataset_records().assign(study="sampled", error_message=None)
    store = ResultsStore(results_dir)
    for point, g in df.groupby("point_id"):
        store.append("sampled", point, g.to_dict(orient="records"))

    analyzed = run(cli, cli_env, "analyze", "sampled", "--results", results_dir)
    assert analyzed.returncode == 0, analyzed.stderr
    assert (
        "  5% on 1 worker(s): 8x the cost per row of its neighbours, partition layout: "
        "5,000 rows per partition vs 100,000; left out of the time model"
    ) in analyzed.stdout
    assert "left out: 5% on 1 worker(s) left out of the fit (8x" in analyzed.stdout

    shown = run(cli, cli_env, "show", "sampled", "--results", results_dir)
    assert shown.returncode == 0, shown.stderr
    assert "off trend" in shown.stdout and "8x, left out" in shown.stdout
    assert "Off the trend" in shown.stdout and "5% on 2 worker(s): 8x" in shown.stdout


# A figure in the CLI's text: digits with optional separators, decimals and exponent.
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


def significant_digits(token: str) -> int:
    mantissa = token.split("e")[0].replace(",", "")
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")  # trailing zeros of a whole number are not significant
    return len(digits)


def test_show_prints_human_units_and_few_digits(tmp_path, results_dir, cli, cli_env):
    spec = tmp_path / "small.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "study": "small",
                "workload": "array",
                "params": {"chunks": 50},
                "sizes": [100, 200],
                "workers": [1, 2],
                "repeats": 2,
                "warmup": 0,
                "calibrate": False,
            }
        )
    )
    done = run(cli, cli_env, "run", str(spec), "--results", results_dir, "--no-progress")
    assert done.returncode == 0, done.stderr

    shown = run(cli, cli_env, "show", "small", "--results", results_dir)
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.splitlines()[1:]
    assert "time (median)" in header and "peak memory" in header
    assert len(rows) == 6  # 2 sizes x (2 worker counts + the single-process baseline)
    for row in rows:
        assert re.search(r"\d s\b|\d ms\b|\d µs\b", row), row  # durations carry a unit
        assert re.search(r"\d (KiB|MiB|GiB)\b", row), row  # peak memory in binary units
        assert re.search(r"\d [kMGT]flop/s\b", row), row  # flop/s with an SI prefix
        assert "e+" not in row and "e-" not in row, row
        too_long = [t for t in NUMBER.findall(row) if significant_digits(t) > 4]
        assert not too_long, (too_long, row)

    # ls: counts only, no raw floats either.
    listed = run(cli, cli_env, "ls", "--results", results_dir)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"small\s+array\s+6\s+12\s+12\b", listed.stdout), listed.stdout
