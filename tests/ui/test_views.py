"""The dashboard's views built on the example study, driven through their parameters."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import pytest
from bokeh.models import FixedTicker, Plot

from scaling_lib import ResultsStore, StoreError
from scaling_lib.analysis.ai_workloads import latency_table
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.dashboard.app import TABS, App, write_report
from scaling_lib.dashboard.state import ALL, StudyStore
from scaling_lib.dashboard.views import (
    AIWorkloadsView,
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
from scaling_lib.present import ai_plots, plots


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
    # The band widens past the largest measured size: the forecast is less sure there.
    largest = view.store.records["size"].max()
    for _, series in curve.groupby("workers"):
        width = (series["high"] - series["low"]) / series["seconds"]
        assert width.iloc[-1] > width[series["size"] <= largest].iloc[-1]


def test_a_target_too_far_to_forecast_says_so_and_what_to_measure(example_results):
    view = DataScalingView(store=StudyStore(results=example_results, studies=["train-blocks8"]))
    largest = view.store.records["size"].max()
    view.target = largest  # a measured size: the interval is narrow, nothing to say
    assert view._too_wide(view._records()) == []
    view.target = 1e4 * largest
    (note,) = view._too_wide(view._records())
    assert "cannot forecast this target" in note and "measure a larger size" in note
    shown = view._render(None, None)
    assert any("cannot forecast this target" in str(getattr(o, "object", "")) for o in shown)


def test_data_scaling_names_a_point_off_the_trend_and_that_the_fit_left_it_out(tmp_path):
    from tests.unit.analysis.records import sampled_dataset_records

    df = sampled_dataset_records().assign(study="sampled", workload="features")
    store = ResultsStore(str(tmp_path / "results"))
    for point, g in df.groupby("point_id"):
        store.append("sampled", point, g.to_dict(orient="records"))
    view = DataScalingView(store=StudyStore(results=store.root, studies=["sampled"]))
    first, _ = view.off_trend()
    assert first == (
        "off the trend: 5% on 1 worker(s): 8x the cost per row of its neighbours, partition "
        "layout: 5,000 rows per partition vs 100,000; left out of the time model"
    )
    shown = view._render(None, None)
    assert any(first in str(getattr(o, "object", "")) for o in shown)


def advice_card(view) -> tuple[list[str], list[pd.DataFrame]]:
    """The texts and tables of the rendered "Next measurement" card."""
    rendered = pn.panel(view)
    rendered.get_root()  # renders the lazy card, as opening the tab does
    (card,) = [c for c in rendered.select(pn.Card) if c.title == "Next measurement"]
    texts = [str(p.object) for p in card.select(pn.pane.Markdown) if p.object]
    return texts, [t.object for t in card.select(pn.pane.DataFrame)]


def test_data_scaling_shows_the_next_measurement_beside_the_forecast(example_results):
    view = DataScalingView(store=StudyStore(results=example_results, studies=["train-blocks8"]))
    view.target_workers = 2
    advice = view.advice.advice("train-blocks8")
    assert advice["target"] == {"size": view.target, "n_workers": 2}
    assert view.advice.advice("train-blocks8") is advice  # kept per records and target
    texts, tables = advice_card(view)
    (line,) = [t for t in texts if t.startswith("Next measurement:")]
    assert "to narrow the forecast at 3.2 million on 2 workers from" in line
    (command,) = [t for t in texts if "scaling-lib run SPEC" in t]
    assert "--steps 1 --target-size 3200000 --target-workers 2" in command
    assert "SPEC is the study" in command
    assert any("narrowing / min" in t.columns and len(t) for t in tables)


def test_a_study_too_young_for_advice_says_what_to_measure(example_results):
    view = DataScalingView(store=StudyStore(results=example_results, studies=["etl-tight-memory"]))
    advice = view.advice.advice("etl-tight-memory")
    assert isinstance(advice, str) and "at least 4 distinct" in advice
    texts, tables = advice_card(view.advice)
    assert any(t.startswith("*No advice yet: ") for t in texts) and not tables


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


# --- Figures formatted for people -------------------------------------------------------

# A Python dict or list repr: an opening bracket followed by a quoted key or item.
REPR = re.compile(r"[\[{]\s*['\"]")
# A number as it would be read: not part of a word, an id, a date, a time, a path or a
# version ("train-blocks8", "c7i.2xlarge", "2026-11-24 14:17:35", "1.2.3" are not numbers).
NUMBER = re.compile(r"(?<![\w.:/+\-])[-+]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d_]|[-:/.]\d)")
MAX_DIGITS = 6


def significant_digits(token: str) -> int:
    """How many significant digits a number as written shows: '0.1559' 4, '50,000' 1,
    '400000.0' 7 (a raw float repr), '1.28e+07' 3."""
    mantissa = re.split("[eE]", token.lstrip("+-").replace(",", ""))[0]
    if "." in mantissa:  # zeros after the point were written, so they count
        return len(mantissa.replace(".", "").lstrip("0"))
    return len(mantissa.strip("0"))


def unreadable(value) -> list[str]:
    """Why a shown value is not formatted for people (empty when it is)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return []
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if np.isnan(v) or np.isinf(v):
            return []
        text = str(int(v)) if v.is_integer() else repr(v)
        return [] if significant_digits(text) <= MAX_DIGITS else [f"number {text}"]
    text = str(value)
    problems = [f"repr in {text[:80]!r}"] if REPR.search(text) else []
    for match in NUMBER.finditer(text):
        if significant_digits(match.group()) > MAX_DIGITS:
            problems.append(f"number {match.group()} in {text[:80]!r}")
    return problems


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        (0.15590003299985256, True),
        (0.156, False),
        (1234567, True),
        (1230000.0, False),
        (np.float64(0.8626000000000001), True),
        ("baseline_vs_dask_seconds={'50000': {'baseline': 0.1559}}", True),
        ("oom_sizes=['400000']", True),
        ("size=400000.0", True),
        ("baseline 0.156 s vs Dask 0.312 s at size 50,000", False),
        ("2026-11-24 14:17:35 UTC", False),
        ("2026-11-24T12:00:00.123456+00:00", False),
        ("train-blocks8 on c7i.2xlarge, 1.2.3, /tmp/pytest-0/results", False),
        ("sizes [50000, 100000]: -4.991e-14 + 1 * n, 1.28e+07", False),
        ("peak 0.15590003299985256s", True),
        ("1.04 million samples/s; 12.3%; 3.68x; 1,020 MiB", False),
        (True, False),
        (float("nan"), False),
    ],
)
def test_the_readability_checker_tells_raw_from_formatted(value, bad):
    assert bool(unreadable(value)) is bad


def shown_tables_and_text(obj) -> tuple[list[pd.DataFrame], list[str]]:
    """Every table a rendered view shows, and the text of its other panes."""
    tables = [t.value for t in obj.select(pn.widgets.Tabulator)]
    tables += [t.object for t in obj.select(pn.pane.DataFrame)]
    texts = [
        str(p.object)
        for p in obj.select(pn.pane.Markdown) + obj.select(pn.pane.HTML)
        if not isinstance(p, pn.pane.DataFrame) and p.object
    ]
    return tables, texts


@pytest.mark.parametrize(
    "studies",
    [["train-blocks8"], ["etl-tight-memory"], ["serve-load"], ["train-blocks8", "train-blocks2"]],
)
def test_every_table_is_formatted_for_people(example_results, studies):
    app = App(results=example_results, studies=studies, live=False)
    app.store.studies = studies
    problems, cells, with_tables = [], 0, set()
    for name, view in app.views.items():
        rendered = pn.panel(view)
        rendered.get_root()  # renders the lazy tab contents, as opening the tab does
        tables, texts = shown_tables_and_text(rendered)
        with_tables |= {name} if any(len(t) for t in tables) else set()
        for table in tables:
            assert len(table.columns) == 0 or all(isinstance(c, str) for c in table.columns)
            for column in table.columns:
                problems += [f"{name} / {column}: {p}" for p in unreadable(column)]
                for value in table[column]:
                    cells += 1
                    problems += [f"{name} / {column}: {p}" for p in unreadable(value)]
        for text in texts:
            problems += [f"{name} (text): {p}" for p in unreadable(text)]
    # The walk reached the tables: every record's row in Runs, and the fitted tables.
    assert {"Runs", "Bottlenecks", "Strong scaling", "Compare"} <= with_tables
    assert cells > len(app.store.records) * 10
    assert problems == []


def test_evidence_reads_as_a_sentence(example_results):
    table = BottlenecksView(
        store=StudyStore(results=example_results, studies=["train-blocks8"])
    ).findings()
    row = table[table["bottleneck"] == "not-worth-distributing"].iloc[0]
    assert re.search(r"^baseline \d[\d.]* m?s vs Dask \d[\d.]* m?s at size 50,000;", row["figures"])


def figures(plot) -> list:
    return list(hv.render(plot).select({"type": Plot}))


def assert_whole_worker_ticks(axis, measured) -> None:
    assert isinstance(axis.ticker, FixedTicker), axis.ticker
    ticks = list(axis.ticker.ticks)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert set(measured) <= set(ticks)


def test_worker_axes_tick_at_whole_worker_counts(example_results):
    train = StudyStore(results=example_results, studies=["train-blocks8"]).records
    serve = StudyStore(results=example_results, studies=["serve-load"])
    for df, plot in [
        (train, plots.strong_scaling(train)),
        (train, plots.speedup(train)),
        (train, ai_plots.strategy_time(train)),
        (serve.records, ai_plots.latency(serve.records)),
    ]:
        measured = set(dask_runs(df)["n_workers"].astype(int))
        worker_axes = [f.xaxis[0] for f in figures(plot) if f.xaxis[0].axis_label == "workers"]
        assert worker_axes, plot
        for axis in worker_axes:
            assert_whole_worker_ticks(axis, measured)
    doc = serve.autoscale("serve-load")
    shown = figures(ai_plots.autoscale_timeline(doc))
    timeline = next(f for f in shown if f.title.text == "Workers over time")
    assert_whole_worker_ticks(timeline.yaxis[0], {1, 2})
    assert plots.worker_ticks(range(1, 41))[:3] == [1, 5, 9]  # many counts thin out, whole


def bokeh_figures(view) -> dict[str, Plot]:
    root = pn.panel(view).get_root()  # as served: Panel links axes across panes here
    return {f.title.text: f for f in root.select({"type": Plot}) if f.title is not None}


def test_latency_axis_fits_the_latencies(example_results):
    store = StudyStore(results=example_results, studies=["serve-load"])
    table = latency_table(store.records)
    highest = float(table.loc[table["runner"] == "dask", "latency_p99_s"].max())
    y = bokeh_figures(AIWorkloadsView(store=store))["Request latency vs workers"].y_range
    # Was 0-12 s: Panel linked this "seconds" axis to the 12 s autoscaling timeline.
    assert highest <= y.end < 2 * highest


def test_memory_limit_line_is_inside_the_axis(example_results):
    store = StudyStore(results=example_results, studies=["train-blocks8"])
    runs = dask_runs(store.records)
    limit_mib = float(runs["memory_limit_bytes"].max()) / 2**20
    peak_mib = float(runs["peak_memory_bytes"].max()) / 2**20
    assert limit_mib > 2 * peak_mib  # the case that hid it: the limit far above the data
    shown = bokeh_figures(DataScalingView(store=store))
    memory = next(f for title, f in shown.items() if title.startswith("Peak memory"))
    assert memory.y_range.start < peak_mib and memory.y_range.end > limit_mib
    time = next(f for title, f in shown.items() if title.startswith("Time vs size"))
    assert time.y_range.start > 0.01  # fitted to the figures, not the band's floor


def test_the_served_page_has_a_title_bar_filters_in_the_sidebar_and_every_tab(example_results):
    page = App(results=example_results, studies=["train-blocks8"], live=False).page()
    titles = [p.object for p in page.select(pn.pane.HTML) if "sw-title" in p.css_classes]
    assert len(titles) == 1 and "Scaling Workbook" in titles[0]
    (sidebar,) = [c for c in page.select(pn.Column) if "sw-sidebar" in c.css_classes]
    labels = {w.name for w in sidebar.select(pn.widgets.Widget)}
    assert {"Studies", "Workload", "Backend", "Status"} <= labels
    tabs = page.select(pn.Tabs)
    assert len(tabs) == 1 and list(tabs[0]._names) == list(TABS)


def test_the_page_escapes_a_refused_study_name(example_results):
    app = App(results=example_results, studies=["<img src=x onerror=alert(1)>"], live=False)
    main = app.page()
    notices = [p.object for p in main.select(pn.pane.HTML) if "No study" in p.object]
    assert notices and "<img" not in notices[0] and "&lt;img" in notices[0]
