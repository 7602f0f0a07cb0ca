"""One recommendation everywhere: ``scaling-lib recommend``, the notebook's view and the
dashboard's Recommendations tab rank a real traced study's options identically, beyond
the measured workers from the simulation, which keeps the fit's warnings; a new process
reads the simulated figures the store kept."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.run.sweep import run_study
from scaling_lib.simulate import study_recommendation as one
from scaling_lib.simulate.option_figures import FIGURES_DOCUMENT
from scaling_lib.store.records import ResultsStore
from scaling_lib.store.traces import CorruptTraceWarning

STUDY = "one"
SIZE = 2_000_000  # 10x the largest measured size: the work is extrapolated
SPEC = {
    "study": STUDY,
    # Four tasks and a sum: the graph stays small at every worker count simulated.
    "workload": "tests.custom_workloads:square_sum",
    "params": {"tasks": 4},
    "sizes": [100_000, 200_000],
    "workers": [1, 2],
    "repeats": 2,
    "warmup": 0,
    "baseline": False,
    "calibrate": False,
}


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> str:
    results = str(tmp_path_factory.mktemp("one-recommendation") / "results")
    run_study(SPEC, results=results, progress=False)
    return results


def fresh(results: str) -> None:
    """Nothing kept: neither this process's caches nor the store's figures."""
    one.clear_caches()
    (Path(results) / STUDY / f"{FIGURES_DOCUMENT}.json").unlink(missing_ok=True)


def ranked_by_the_cli(results: str, cli, cli_env) -> list[dict]:
    done = subprocess.run(
        [*cli, "recommend", STUDY, "--results", results, "--size", str(SIZE), "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["options"]


def test_the_cli_the_notebook_and_the_dashboard_rank_the_options_identically(traced, cli, cli_env):
    from scaling_lib.dashboard.recommendations_view import RecommendationsView
    from scaling_lib.dashboard.state import StudyStore
    from scaling_lib.notebook import views as nv

    fresh(traced)
    options = ranked_by_the_cli(traced, cli, cli_env)
    by_cli = [(o["instance"], o["count"]) for o in options]
    # Beyond the 2 workers measured, the simulation times the options.
    assert {o["source"] for o in options} == {"fitted", "simulated"}

    fresh(traced)
    shown = nv.recommendation(traced, STUDY, size=SIZE, top=len(by_cli)).items[1].data
    by_notebook = [(i, int(c)) for i, c in zip(shown["instance"], shown["count"], strict=True)]

    fresh(traced)
    view = RecommendationsView(store=StudyStore(results=traced, studies=[STUDY]))
    view.target = SIZE
    table = view.table()
    by_dashboard = list(zip(table["instance"], table["count"].astype(int), strict=True))

    assert by_notebook == by_cli
    assert by_dashboard == by_cli


def test_a_simulated_option_keeps_the_fits_extrapolation_warnings(traced):
    fresh(traced)
    rec = one.study_recommendation(traced, STUDY, size=SIZE)
    model = fit_time_model(ResultsStore(traced).load_study(STUDY), draws=one.DRAWS)
    simulated = [o for o in rec.options if o.source == "simulated"]
    assert simulated and all(o.workers > 2 for o in simulated)
    for option in simulated:
        fit = model.predict(SIZE, option.workers)
        # Every warning of the fit at this point, its too-wide sentence said again for
        # the simulated interval (the fit's figures are not this interval's).
        assert {w for w in fit.warnings if w != fit.too_wide} <= set(option.warnings)
        assert any(w.startswith("the work at this size is") for w in option.warnings)
        assert any("beyond the measured worker counts" in w for w in option.warnings)
        # The interval carries the model's relative error at this point, not only replays.
        assert option.seconds_high / option.seconds >= fit.high / fit.seconds * (1 - 1e-9)
        assert option.seconds_low <= option.seconds <= option.seconds_high
    assert any("added in quadrature" in a for a in rec.assumptions)


def test_a_new_process_reads_the_kept_figures_and_new_records_replace_them(traced, tmp_path):
    results = str(tmp_path / "copy")
    shutil.copytree(traced, results)
    fresh(results)
    first = one.study_recommendation(results, STUDY, size=SIZE)
    assert (Path(results) / STUDY / f"{FIGURES_DOCUMENT}.json").is_file()
    # Without its traces, only the kept figures can time the simulated options.
    shutil.rmtree(Path(results) / STUDY / "traces")
    one.clear_caches()
    again = one.study_recommendation(results, STUDY, size=SIZE)
    assert again == first
    # A new record names other data: the figures kept for the old are not used.
    store = ResultsStore(results)
    store.append(STUDY, "extra", [store.records(STUDY)[0]])
    with pytest.warns(CorruptTraceWarning, match="is missing"):
        after = one.study_recommendation(results, STUDY, size=SIZE)
    assert {o.source for o in after.options} == {"fitted"}
    assert any(a.startswith("no simulation beyond the measured workers") for a in after.assumptions)
