"""What the notebooks display, built without a kernel from the committed example study."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaling_lib import ResultsStore
from scaling_lib.analysis.ai_workloads import latency_table
from scaling_lib.analysis.report import analyze_study
from scaling_lib.notebook import views as nv
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
