"""The What-if tab on a study measured here with task traces (about 20 s to measure),
driven through its parameters and served to a real browser."""

from __future__ import annotations

import panel as pn
import pytest
from bokeh.models import Plot, Quad

from scaling_lib.dashboard import what_if_view
from scaling_lib.dashboard.app import TABS, VIEW_CLASSES, App
from scaling_lib.dashboard.state import StudyStore
from scaling_lib.dashboard.what_if_view import SIMULATIONS, WhatIfView
from scaling_lib.run.sweep import run_study
from tests.specs import TRACED_ARRAY

from .conftest import ARTIFACTS
from .test_browser import VISIBLE_S, click_tab, open_page

SPEC = TRACED_ARRAY


@pytest.fixture(scope="module")
def traced_results(tmp_path_factory) -> str:
    """A results store with the traced study "wi" and the same study untraced."""
    results = str(tmp_path_factory.mktemp("what-if") / "results")
    run_study(SPEC, results=results, progress=False, log=lambda _: None)
    untraced = dict(SPEC, study="wi-untraced", trace=False)
    run_study(untraced, results=results, progress=False, log=lambda _: None)
    return results


@pytest.fixture
def example_results(traced_results) -> str:
    """Overrides conftest's: ``served`` then serves the traced study."""
    return traced_results


def view_on(results: str, study: str) -> WhatIfView:
    return WhatIfView(store=StudyStore(results=results, studies=[study]))


def titled(root, prefix: str) -> Plot:
    return next(
        p for p in root.select({"type": Plot}) if p.title and p.title.text.startswith(prefix)
    )


def drawn_workers(root) -> set[int]:
    """The workers the rendered task-stream plot has bars on."""
    stream = titled(root, "Simulated task stream")
    (bars,) = [r for r in stream.renderers if isinstance(getattr(r, "glyph", None), Quad)]
    return {round(y) for y in bars.data_source.data["worker"]}


def test_the_tab_is_registered():
    assert "What-if" in TABS and VIEW_CLASSES["What-if"] is WhatIfView


def test_the_tab_shows_the_replay_the_law_and_a_row_per_target(traced_results):
    app = App(results=traced_results, studies=["wi"], live=False)
    view = app.views["What-if"]
    assert view.study == "wi"
    assert view.target_workers() == [1, 2, 4, 8, 16, 32, 64]
    assert view.stream_workers == 64  # the largest target by default
    rendered = pn.panel(view)
    root = rendered.get_root()  # renders the lazy panes, as opening the tab does
    speedup = titled(root, "Speedup vs workers at size 1,000")
    labels = {item.label.value for item in speedup.legend[0].items}
    assert {"simulated (replay)", "simulated interval", "measured", "ideal"} <= labels
    (table,) = [t.object for t in rendered.select(pn.pane.DataFrame)]
    assert list(table["workers"]) == [f"{p} x 1" for p in view.target_workers()]
    text = " ".join(str(p.object) for p in rendered.select(pn.pane.Markdown))
    assert "size **1,000** on **2 worker(s)**" in text  # the replayed point
    assert "replays the measured task graph" in text and "assumes a shape" in text

    view.targets = "4, 2"  # 1 is always simulated: speedups are relative to it
    (table,) = [t.object for t in rendered.select(pn.pane.DataFrame)]
    assert list(table["workers"]) == ["1 x 1", "2 x 1", "4 x 1"]
    assert view.param.stream_workers.objects == [1, 2, 4] and view.stream_workers == 4


def test_choosing_the_worker_count_redraws_the_task_stream(traced_results):
    view = view_on(traced_results, "wi")
    rendered = pn.panel(view)
    root = rendered.get_root()
    view.stream_workers = 1
    stream, total = view.stream_frame()
    assert stream["worker"].nunique() == 1 and len(stream) == total
    one = drawn_workers(rendered.get_root())
    view.stream_workers = 8
    assert view.stream_frame()[0]["worker"].nunique() > 1
    eight = drawn_workers(rendered.get_root())
    assert one == {0} and len(eight) > 1 and eight <= set(range(8))
    assert root is not None


def test_a_long_task_stream_is_capped_and_says_so(traced_results, monkeypatch):
    monkeypatch.setattr(what_if_view, "STREAM_CAP", 10)
    view = view_on(traced_results, "wi")
    stream, total = view.stream_frame()
    assert len(stream) == 10 and total > 10
    assert stream["start"].is_monotonic_increasing  # the first tasks to start
    rendered = pn.panel(view)
    rendered.get_root()
    text = " ".join(str(p.object) for p in rendered.select(pn.pane.Markdown))
    assert "Showing the first 10 to start" in text and f"{total} tasks" in text


def test_sessions_share_one_simulation(traced_results):
    first = view_on(traced_results, "wi").simulation()
    misses = SIMULATIONS.misses
    second = view_on(traced_results, "wi")
    assert second.simulation() is first and SIMULATIONS.misses == misses
    second.bandwidth_gbps = 1  # another network is another simulation
    assert second.simulation() is not first
    assert "(set here)" in second.caption(second.simulation())


def test_a_study_without_traces_says_how_to_get_them(traced_results):
    rendered = pn.panel(view_on(traced_results, "wi-untraced"))
    root = rendered.get_root()
    notices = [str(p.object) for p in rendered.select(pn.pane.HTML) if "No what-if" in p.object]
    assert len(notices) == 1
    assert "has no task traces" in notices[0] and "<code>trace: false</code>" in notices[0]
    assert not list(root.select({"type": Plot}))  # no empty plot


def test_bad_target_workers_say_why(traced_results):
    view = view_on(traced_results, "wi")
    rendered = pn.panel(view)
    rendered.get_root()
    view.targets = "2, x"
    notices = [str(p.object) for p in rendered.select(pn.pane.HTML) if "No what-if" in p.object]
    assert notices and "whole numbers" in notices[0]
    assert view.param.stream_workers.objects == [1, 2, 4, 8, 16, 32, 64]  # kept


def test_the_served_tab_draws_the_speedup_and_the_task_stream(browser, served):
    url, _ = served
    page, problems = open_page(browser, url + "?study=wi")
    click_tab(page, "What-if")
    page.locator("text=Simulated task stream on").first.wait_for(state="visible", timeout=VISIBLE_S)
    canvases = page.locator(".bk-Canvas:visible, canvas:visible")
    canvases.first.wait_for(state="visible", timeout=VISIBLE_S)
    plots = page.locator("div.bk-Figure:visible")
    deadline_ms = VISIBLE_S
    while plots.count() < 2 and deadline_ms > 0:
        page.wait_for_timeout(200)
        deadline_ms -= 200
    assert plots.count() >= 2  # the speedup plot and the task stream
    body = page.locator("body").inner_text()
    assert "No what-if simulation" not in body and "Traceback" not in body
    assert "Error" not in body
    page.set_viewport_size({"width": 1400, "height": 2000})  # the task stream too
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tab-what-if.png"), full_page=True)
    page.context.close()
    assert problems == []
