"""What the notebooks display, built without a kernel from the committed example study."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from scaling_lib import ResultsStore, SpecError
from scaling_lib.analysis.ai_workloads import latency_table
from scaling_lib.analysis.report import analyze_study
from scaling_lib.notebook import adaptive_arguments
from scaling_lib.notebook import advice_views as av
from scaling_lib.notebook import views as nv
from scaling_lib.present.advice_command import DEFAULT_UNTIL_WIDTH, advice_command, until_width_for
from scaling_lib.present.analysis import fmt_throughput
from scaling_lib.store import HOST_LIMITS_DOCUMENT

EXAMPLE = str(Path(__file__).resolve().parents[2] / "data" / "example")
RAW_FLOAT = re.compile(r"\d\.\d{5,}|\de[+-]\d")  # 0.155900, 9.075619e+10: what people can't read


@pytest.fixture(scope="module")
def train():
    store = ResultsStore(EXAMPLE)
    df = store.load("train-blocks8")
    return df, analyze_study(df, store.load_json("train-blocks8", HOST_LIMITS_DOCUMENT))


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (9.075619e10, "flop", "90.8 Gflop/s"),
        (1.603592e6, "samples/s", "1.6 M samples/s"),
        (312.5, "rows", "312 rows/s"),
        (2.5e9, "bytes", "2.33 GiB/s"),
        (None, "flop", "-"),
        (float("nan"), "rows", "-"),
    ],
)
def test_fmt_throughput_uses_si_prefixes(value, unit, text):
    assert fmt_throughput(value, unit) == text


def test_tables_are_styled_with_units_and_no_raw_floats(train):
    _, analysis = train
    html = "".join(t.to_html() for t in nv.analysis_tables(analysis).items)
    assert "Strong scaling" in html and "0.626 s" in html and "63.9%" in html
    assert not RAW_FLOAT.search(html)
    summary = nv.summary_table(EXAMPLE, "train-blocks8").to_html()
    assert "275 MiB" in summary and "1.6 M samples/s" in summary
    assert not RAW_FLOAT.search(summary)


def test_findings_are_sentences_with_their_evidence(train):
    _, analysis = train
    text = nv.findings(analysis["diagnosis"]).data
    assert text.startswith("**Bottlenecks, by the time each costs**")
    # ranked by the seconds each fix would recover at 400,000 rows on 2 workers
    assert "1. **serial-section** (0.483 s lost)" in text
    assert "2. **not-worth-distributing** (0.355 s lost)" in text
    assert "*Time lost:* 32% of the one-worker time (3.07 s) x (1 - 1/2)" in text
    assert "*Evidence:* baseline 0.156 s vs Dask 0.626 s at size 50,000" in text
    assert "*Try:*" in text and "{" not in text  # no dict dumps
    assert "nothing stands out" in nv.findings([]).data


def test_time_model_and_recommendation(train):
    _, analysis = train
    model = nv.time_model(analysis).data
    assert "`T(n, p) = " in model and "cross-validation error 11.6%" in model
    assert "single process: 12.5% of the ceiling" in model
    views = nv.recommendation(EXAMPLE, "train-blocks8", size=1e6, deadline_s=60.0)
    head, options, notes = views.items
    assert "Cheapest meeting the deadline" in head.data
    assert "time [interval]" in options.to_html() and "Assumptions" in notes.data


def test_too_few_points_is_said_not_raised(train):
    df, _ = train
    one = df[(df["n_workers"] == 1) & (df["size"] == 50000)]
    (said,) = nv.recommendation(EXAMPLE, "train-blocks8", records=one, size=1e6).items
    assert said.data.startswith("**No recommendation yet:**")


def test_the_next_measurement_beside_the_forecast(train):
    df, _ = train
    advice = av.next_advice(df, size=3.2e6, workers=2, budget="10m")
    assert advice["target"] == {"size": 3.2e6, "n_workers": 2}
    assert all(c["cost_s"] <= 600 for c in advice["candidates"])  # those that fit 10m
    line, table, notes = av.next_measurement(advice).items
    assert line.data.startswith("**Next measurement: ")
    html = table.to_html()
    assert "narrowing / min" in html and not RAW_FLOAT.search(html)
    assert "Forecast now at 3.2 million on 2 workers" in notes.data
    assert "`scaling-lib run SPEC --until-width " in notes.data and "SPEC is the" in notes.data
    mine = av.next_measurement(advice, spec="examples/train.yaml").items[-1].data
    assert "`scaling-lib run examples/train.yaml " in mine and "SPEC is the" not in mine


def test_no_advice_for_a_young_study_is_said_not_raised(train):
    df, _ = train
    one_size = df[df["size"] == 50000]
    said = av.next_advice(one_size, size=1e6)
    assert isinstance(said, str) and "at least 4 distinct" in said
    assert av.next_measurement(said).data.startswith("**Next measurement:** none to advise yet")
    assert until_width_for(said) == DEFAULT_UNTIL_WIDTH


def test_adaptive_parameters_are_checked_and_unset_ones_left_to_the_defaults():
    assert adaptive_arguments(until_width=1.5, budget="", target_size=0.0, target_workers=0) == {
        "until_width": 1.5,
        "budget_s": math.inf,
        "target_size": None,
        "target_workers": None,
    }
    assert adaptive_arguments(until_width=2, budget="15m")["budget_s"] == 900
    with pytest.raises(SpecError, match="until_width: must be above 1"):
        adaptive_arguments(until_width=1.0)
    with pytest.raises(SpecError, match="measure_budget: 'soon' is not a duration"):
        adaptive_arguments(until_width=2, budget="soon", budget_name="measure_budget")


def test_the_advised_command_asks_for_the_width_its_point_should_leave():
    advice = {
        "target": {"size": 3.2e6, "n_workers": 2},
        "candidates": [{"expected_width": 1.6231}],
        "out_of_reach": None,
    }
    assert until_width_for(advice) == 1.63 and until_width_for(advice, asked=3) == 3
    assert advice_command(advice) == (
        "scaling-lib run SPEC --until-width 1.63 --steps 1 --target-size 3200000 --target-workers 2"
    )
    assert advice_command({**advice, "out_of_reach": "nothing this machine can measure"}) == ""


def test_serving_and_autoscale_views():
    store = ResultsStore(EXAMPLE)
    table = nv.serving_table(latency_table(store.load("serve-load"))).to_html()
    assert "p99" in table and "closed loop" in table and not RAW_FLOAT.search(table)
    head, table, verdict = nv.autoscale(store.load_json("serve-load", "autoscale")).items
    assert "adapt(1, 2) vs 2 fixed" in head.data and "burst p99" in table.to_html()
    assert "adaptive used 63.9% of the fixed cluster's worker-seconds" in verdict.data
    assert "not run" in nv.autoscale(None).data


def test_enable_plots_outside_a_kernel_does_nothing():
    assert nv.enable_plots() is None
