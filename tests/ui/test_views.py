"""The dashboard's views built on the example study, driven through their parameters."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import panel as pn
import pytest

from scaling_lib import ResultsStore, StoreError
from scaling_lib.dashboard.app import App, write_report
from scaling_lib.dashboard.state import ALL, StudyStore
from scaling_lib.dashboard.views import (
    BottlenecksView,
    CompareView,
    DataScalingView,
    OverviewView,
    RecommendationsView,
    RooflineView,
    RunsView,
    StrongScalingView,
    WeakScalingView,
)


def test_store_loads_and_filters(example_results):
    store = StudyStore(results=example_results, studies=["etl-tight-memory"])
    assert store.studies == ["etl-tight-memory"]
    total = len(store.records)
    assert total > 0 and set(store.records["study"]) == {"etl-tight-memory"}
    store.status = ["ok"]
    assert len(store.records) < total
    store.status = ["ok", "failed", "oom", "timeout", "worker-lost"]
    store.studies = ["train-blocks8", "train-blocks2"]
    assert set(store.records["study"]) == {"train-blocks8", "train-blocks2"}
    assert store.workload == ALL


def test_every_view_renders(example_results):
    store = StudyStore(results=example_results, studies=["train-blocks8"])
    for cls in (
        OverviewView,
        StrongScalingView,
        WeakScalingView,
        DataScalingView,
        BottlenecksView,
        RooflineView,
        RecommendationsView,
        RunsView,
        CompareView,
    ):
        pn.panel(cls(store=store)).get_root()  # builds the Bokeh models, as serving does


def test_overview_cards(example_results):
    cards = OverviewView(
        store=StudyStore(results=example_results, studies=["train-blocks8"])
    ).cards()
    assert cards["runs"] > 0 and "samples/s" in cards["best_throughput"]
    assert "workers" in cards["efficiency"] and cards["top_bottleneck"]


def test_data_scaling_extends_to_the_target(example_results):
    view = DataScalingView(store=StudyStore(results=example_results, studies=["train-blocks8"]))
    assert view.target == 8 * view.store.records["size"].max()
    view.target = 1e7
    curve = view.curve()
    assert curve["size"].max() == pytest.approx(1e7)
    assert (curve["low"] <= curve["seconds"]).all() and (curve["seconds"] <= curve["high"]).all()


def test_recommendations_follow_the_widgets(example_results):
    view = RecommendationsView(store=StudyStore(results=example_results, studies=["train-blocks8"]))
    before = view.table()
    view.target = view.target * 10
    after = view.table()
    assert not before["seconds"].equals(after["seconds"])
    view.deadline = 1e-6
    assert not view.table()["meets_deadline"].any()
    view.pricing = "committed"
    assert view.table()["cost_USD"].min() < after["cost_USD"].min()


def test_runs_table_shows_failures_with_reasons_and_downloads_csv(example_results):
    view = RunsView(store=StudyStore(results=example_results, studies=["etl-tight-memory"]))
    table = view.table()
    failed = table[table["status"] != "ok"]
    assert len(failed) and failed["error_message"].notna().all()
    csv = pd.read_csv(view.csv())
    assert len(csv) == len(table)


def test_compare_flags_a_planted_regression(example_results):
    root = Path(example_results)
    shutil.copytree(root / "train-blocks8", root / "slower")
    for path in (root / "slower" / "records").glob("*.json"):
        doc = json.loads(path.read_text())
        for rec in doc["records"]:
            rec["study"] = "slower"
            if rec["size"] == 400000 and rec.get("wall_s"):  # the largest size
                rec["wall_s"] *= 3
        path.write_text(json.dumps(doc))
    store = StudyStore(results=example_results, studies=["train-blocks8"])
    view = CompareView(store=store, baseline="train-blocks8", candidate="slower")
    table = view.table()
    assert table["regression"].any()
    assert (table.loc[table["regression"], "ratio"] > 2).all()
    assert not table.loc[~table["regression"], "ratio"].gt(1.5).any()


def test_live_poll_picks_up_new_records(example_results):
    store = StudyStore(results=example_results, studies=["train-blocks8"])
    before = len(store.records)
    assert store.poll() is False
    record = store.all_records.iloc[0].to_dict()
    raw = {k: v for k, v in record.items() if not k.startswith(("param.", "version."))}
    raw.update(repeat=99, timestamp="2026-11-24T12:00:00+00:00", params={}, versions={})
    ResultsStore(example_results).append("train-blocks8", "live-point", [raw])
    assert store.poll() is True
    assert len(store.records) == before + 1


@pytest.mark.parametrize("name", ["../../etc", "<script>alert(1)</script>", "..", "a/b"])
def test_study_names_cannot_escape_or_inject(example_results, name):
    store = StudyStore(results=example_results, studies=[name])
    assert name not in store.studies and store.studies  # refused; falls back to a real study
    assert not store.is_study(name)
    with pytest.raises(StoreError):
        write_report(name, example_results, Path(example_results) / "r.html")


def test_app_escapes_a_refused_study_name(example_results, monkeypatch):
    app = App(results=example_results, studies=["<img src=x onerror=alert(1)>"])
    html = app.__panel__()[0].object
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_report_is_self_contained(example_results, tmp_path):
    out = write_report("train-blocks8", example_results, tmp_path / "report.html")
    text = out.read_text()
    head = text.split("</head>")[0]
    assert "Bokeh" in text and "https://cdn.holoviz.org" not in head
    assert not re.search(r"https://cdn\.holoviz\.org/panel/[^\"']+\.css", text)
    assert out.stat().st_size > 500_000  # the JavaScript is inline
