"""What a new session builds: the Overview at once (a plain Bokeh figure from data shared
by every session), every other tab only when opened, and the views' public names where
notebooks and the app import them."""

from __future__ import annotations

import panel as pn
from bokeh.models import FixedTicker, MultiLine, Plot

from scaling_lib.analysis.scaling import dask_runs, strong_scaling
from scaling_lib.dashboard import views
from scaling_lib.dashboard.app import TABS, VIEW_CLASSES, App
from scaling_lib.dashboard.overview_view import OverviewView, speedup_figure, speedup_lines
from scaling_lib.dashboard.state import StudyStore


def test_overview_plot_shows_every_size_and_the_ideal_on_whole_worker_ticks(example_results):
    records = StudyStore(results=example_results, studies=["train-blocks8"]).records
    data = speedup_lines(records)
    table = strong_scaling(records)
    assert len(data.lines) == table["size"].nunique()
    for _, workers, speedups in data.lines:
        assert list(workers) == sorted(workers) and len(workers) == len(speedups)
    fig = speedup_figure(data)
    assert fig.title.text.startswith("Speedup vs workers")
    assert fig.output_backend == "canvas"  # WebGL shows artifacts in headless browsers
    assert isinstance(fig.xaxis[0].ticker, FixedTicker)
    ticks = list(fig.xaxis[0].ticker.ticks)
    assert set(dask_runs(records)["n_workers"].astype(int)) <= set(ticks)
    assert all(float(t).is_integer() for t in ticks)
    (source,) = {line.data_source for line in fig.renderers if isinstance(line.glyph, MultiLine)}
    assert source.data["size"] == [label for label, _, _ in data.lines] + ["ideal"]
    assert source.data["dash"][-1] == "dashed" and set(source.data["dash"][:-1]) == {"solid"}
    # The legend: one entry per size, then the ideal (grouped by the browser from the
    # "size" column, in order).
    (item,) = fig.legend[0].items
    assert item.label.field == "size"


def test_overview_without_runs_says_so(example_results):
    store = StudyStore(results=example_results, studies=["train-blocks8"])
    store.status = ["timeout"]  # no record has it
    assert speedup_lines(store.records) is None
    root = pn.panel(OverviewView(store=store)).get_root()
    assert not list(root.select({"type": Plot}))


def test_sessions_share_the_overview_data(example_results):
    a = StudyStore(results=example_results, studies=["train-blocks8"])
    b = StudyStore(results=example_results, studies=["train-blocks8"])
    assert a.memo("overview_speedup", speedup_lines) is b.memo("overview_speedup", speedup_lines)
    assert OverviewView(store=a).cards() == OverviewView(store=b).cards()
    # Each session still gets Bokeh models of its own (they cannot be shared).
    figs = [pn.panel(OverviewView(store=s)).get_root().select_one({"type": Plot}) for s in (a, b)]
    assert figs[0] is not None and figs[0] is not figs[1]


def test_a_tab_builds_its_view_only_when_opened(example_results):
    app = App(results=example_results, studies=["train-blocks8"], live=False)
    tabs = app.tabs()
    assert list(tabs._names) == list(TABS)
    data = TABS.index("Data scaling")
    assert tabs[data].objects == []  # nothing built before the tab is opened
    assert app.views.built == ("Overview",)
    tabs.active = data
    (shown,) = tabs[data].objects
    assert app.views.built == ("Overview", "Data scaling")
    root = tabs.get_root()  # the opened tab renders its plots
    titles = {p.title.text for p in root.select({"type": Plot}) if p.title is not None}
    assert any(t.startswith("Time vs size") for t in titles), titles
    tabs.active = 0
    tabs.active = data  # reopening keeps what was built (and its widgets' state)
    assert tabs[data].objects == [shown]


def test_views_are_built_once_and_on_demand(example_results):
    app = App(results=example_results, studies=["train-blocks8"], live=False)
    assert list(app.views) == list(TABS) and len(app.views) == len(TABS)
    first = app.views["Compare"]
    assert first is app.views["Compare"] and isinstance(first, VIEW_CLASSES["Compare"])


def test_view_names_import_from_where_they_always_did():
    assert set(views.__all__) == {cls.__name__ for cls in VIEW_CLASSES.values()}
    for name in views.__all__:
        assert getattr(views, name) in VIEW_CLASSES.values()
