"""Adaptive sweeps on real clusters: measure the advised point, refit, stop at the width
or the budget; a rerun resumes from what is recorded. And `scaling-lib advise --json`."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from scaling_lib.run.adaptive import ADAPTIVE_DOCUMENT, run_adaptive
from scaling_lib.store.records import ResultsStore
from tests.specs import TRACED_ARRAY

# The traced array study's shape, untraced, with 4 x 4 blocks at every size (few tasks,
# cheap larger sizes) and its own name.
SPEC = {
    **TRACED_ARRAY,
    "study": "adapt",
    "params": {"chunks": 0},
    "sizes": [200, 400],
    "trace": False,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("adaptive") / "results")


def _points(results: str) -> set[tuple[float, int]]:
    df = ResultsStore(results).load_study("adapt")
    return set(zip(df["size"], df["n_workers"], strict=True))


def test_a_spent_budget_stops_after_the_start_design(store):
    summary = run_adaptive(
        SPEC, until_width=1.001, budget_s=0.5, results=store, target_size=3200, log=None
    )
    assert summary.stopped.startswith("budget: the next measurement"), summary.stopped
    assert summary.steps == []
    assert _points(store) == {(200, 1), (400, 1), (200, 2), (400, 2)}  # the start design
    assert "stopped: budget" in str(summary)


def test_a_rerun_resumes_and_measures_the_advised_point(store):
    before = _points(store)
    summary = run_adaptive(
        SPEC, until_width=1.001, results=store, target_size=3200, max_steps=1, log=None
    )
    assert len(summary.steps) == 1, summary.stopped
    step = summary.steps[0]
    assert (step["size"], step["n_workers"]) in _points(store)
    assert sum(summary.statuses.values()) == SPEC["repeats"]  # one point, not the start again
    assert _points(store) >= before
    assert summary.stopped.startswith("1 step(s) taken, as asked")
    kept = ResultsStore(store).load_json("adapt", ADAPTIVE_DOCUMENT)
    assert [len(s["steps"]) for s in kept["sweeps"]] == [0, 1]


def test_a_reached_width_stops_once_confirmed(store):
    # Any interval is narrow enough, but one from fewer than 4 sizes, or with the largest
    # size on one worker count, is not stopped on: the sweep measures what confirms it
    # (advise.unconfirmed), then stops, and stops at once after.
    summary = run_adaptive(SPEC, until_width=1e6, results=store, target_size=3200, log=None)
    assert summary.stopped.startswith("reached:"), summary.stopped
    assert all(step["kind"] in ("new size", "new point") for step in summary.steps)
    points = _points(store)
    assert len({size for size, _ in points}) >= 4
    largest = max(size for size, _ in points)
    assert {p for size, p in points if size == largest} == {1, 2}
    n_before = len(ResultsStore(store).load_study("adapt"))
    again = run_adaptive(SPEC, until_width=1e6, results=store, target_size=3200, log=None)
    assert again.stopped.startswith("reached:") and again.steps == []
    assert len(ResultsStore(store).load_study("adapt")) == n_before


def test_advise_json_lists_each_candidate_with_cost_and_interval(store, cli, cli_env):
    out = subprocess.run(
        [*cli, "advise", "adapt", "--results", store, "--size", "3200", "--json"],
        capture_output=True, text=True, env=cli_env, timeout=300, check=True,
    )  # fmt: skip
    advice = json.loads(out.stdout)
    assert advice["target"] == {"size": 3200.0, "n_workers": 2}
    assert advice["candidates"]
    for c in advice["candidates"]:
        assert c["cost_s"] > 0 and 0 < c["expected_low"] <= c["expected_high"]
    text = subprocess.run(
        [*cli, "advise", "adapt", "--results", store, "--size", "3200"],
        capture_output=True, text=True, env=cli_env, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert "Next measurement:" in text
    # Advising reads the saved spec as data: a workload that no longer imports (a user's
    # module not on this shell's path) does not stop it.
    saved = ResultsStore(store)
    spec = yaml.safe_load(saved.read_file("adapt", "spec.yaml"))
    saved.save_spec("adapt", yaml.safe_dump({**spec, "workload": "not_here:features"}))
    again = subprocess.run(
        [*cli, "advise", "adapt", "--results", store, "--size", "3200", "--json"],
        capture_output=True, text=True, env=cli_env, timeout=300,
    )  # fmt: skip
    saved.save_spec("adapt", yaml.safe_dump(spec))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["candidates"]


def test_a_target_is_needed_and_a_bad_width_or_budget_is_refused(store, cli, cli_env, tmp_path):
    from scaling_lib.errors import SpecError

    with pytest.raises(SpecError, match="needs a target"):
        run_adaptive(SPEC, until_width=2, results=store, log=None)
    with pytest.raises(SpecError, match="until_width"):
        run_adaptive(SPEC, until_width=0.5, results=store, target_size=3200, log=None)
    spec = tmp_path / "adapt.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    bad = subprocess.run(
        [*cli, "run", str(spec), "--results", store, "--until-width", "2", "--budget", "soon"],
        capture_output=True, text=True, env=cli_env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "budget" in bad.stderr and "'soon'" in bad.stderr
