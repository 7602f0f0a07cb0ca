"""The Scaling Workbook dashboard: filters, tabs, live updates, serving and static reports.

Usage::

    panel serve dashboards/app.py --address 127.0.0.1 --port 5006   # or:
    scaling-lib serve [--results DIR] [--port N] [--address ADDR]
    scaling-lib report quick --html quick.html                      # works offline

    App(results="data/results", studies=["quick"])                  # in a notebook
    App(results="data/results").template().servable()               # the served layout

Served, the app is a Bootstrap template: title bar, the filters in the sidebar, the tabs
in the main area. Its CSS and JavaScript come from Panel's own bundle, served locally:
it renders with no network (FastListTemplate was not chosen: its design asks Google
Fonts for Open Sans). Notebooks and the static report use the plain layout
(``App.__panel__``), since a template cannot be embedded in either.

``?study=NAME`` in the URL picks the study; names are checked against the store's own
list, so a URL can neither read outside the results store nor inject markup.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping
from pathlib import Path

import panel as pn
import param
from panel.viewable import Viewer

from ..store import DEFAULT_RESULTS, ResultsStore
from .state import StudyStore
from .views import (
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
    WhatIfView,
)

__all__ = [
    "EXAMPLE_RESULTS",
    "TABS",
    "TITLE",
    "VIEW_CLASSES",
    "App",
    "LazyViews",
    "default_results",
    "serve",
    "write_report",
]

EXAMPLE_RESULTS = str(Path(__file__).resolve().parents[2] / "data" / "example")
VIEW_CLASSES = {
    "Overview": OverviewView,
    "Strong scaling": StrongScalingView,
    "Weak scaling": WeakScalingView,
    "Data scaling": DataScalingView,
    "Bottlenecks": BottlenecksView,
    "Roofline": RooflineView,
    "Recommendations": RecommendationsView,
    "Runs": RunsView,
    "Compare": CompareView,
    "AI workloads": AIWorkloadsView,
    "What-if": WhatIfView,
}
TABS = tuple(VIEW_CLASSES)
POLL_MS = 2000
TITLE = "Scaling Workbook"
HEADER_COLOR = "#2f4f6f"


def default_results() -> str:
    """data/results when it holds studies, else the committed example study."""
    return DEFAULT_RESULTS if ResultsStore(DEFAULT_RESULTS).studies() else EXAMPLE_RESULTS


class LazyViews(Mapping):
    """The tabs' views by tab name, each built on first access (then kept)."""

    def __init__(self, store: StudyStore):
        self._store = store
        self._built: dict[str, Viewer] = {}

    def __getitem__(self, name: str) -> Viewer:
        if name not in self._built:
            self._built[name] = VIEW_CLASSES[name](store=self._store)  # KeyError if unknown
        return self._built[name]

    @property
    def built(self) -> tuple[str, ...]:
        """The tabs whose views exist so far, in the order they were built."""
        return tuple(self._built)

    def __iter__(self):
        return iter(TABS)

    def __len__(self) -> int:
        return len(TABS)


class App(Viewer):
    results = param.String(default=DEFAULT_RESULTS)
    live = param.Boolean(default=True, doc="poll the store for new records when served")

    def __init__(self, studies: list[str] | None = None, **params):
        super().__init__(**params)
        requested = list(studies or [])
        self.notice = ""
        if pn.state.curdoc is not None and pn.state.session_args.get("study"):
            raw = pn.state.session_args["study"][0].decode(errors="replace")
            requested = [raw]
        self.store = StudyStore(results=self.results, studies=requested)
        refused = [s for s in requested if not self.store.is_study(s)]
        if refused:
            self.notice = f"No study named {refused[0]!r} in this results store."
        # Each tab's view is built the first time something asks for it (its tab opened,
        # a test, a notebook): a session that only looks at the Overview builds one view.
        self.views = LazyViews(self.store)
        if self.live and pn.state.curdoc is not None:
            self._start_polling()

    def _start_polling(self) -> None:
        """Poll the store every POLL_MS in this session (stopped when the session ends).

        A background callback: Panel marks every other callback "busy", which flips the
        busy indicator of every open session. With ten sessions polling every 2 s that
        was about a hundred indicator updates a second: a seventh of the server's time in
        a profile of ten concurrent sessions.
        """
        from panel.io.callbacks import PeriodicCallback

        PeriodicCallback(callback=self.store.poll, period=POLL_MS, background=True).start()

    def filters(self, layout=pn.Row, width: int | None = None) -> pn.layout.ListPanel:
        """The studies, workload, backend and status filters (a Row, or a Column for the
        sidebar, where ``width=None`` stretches them to its width)."""
        s = self.store

        def w(default: int) -> dict:
            return {"sizing_mode": "stretch_width"} if width is None else {"width": default}

        return layout(
            pn.widgets.MultiChoice.from_param(s.param.studies, label="Studies", **w(320)),
            pn.widgets.Select.from_param(s.param.workload, label="Workload", **w(160)),
            pn.widgets.Select.from_param(s.param.backend, label="Backend", **w(120)),
            pn.widgets.MultiChoice.from_param(s.param.status, label="Status", **w(320)),
            sizing_mode="stretch_width" if width is None else None,
        )

    def tabs(self) -> pn.Tabs:
        """The tabs: the Overview is built at once, every other tab when first opened.

        Unopened tabs hold an empty Column, so a new session pays for one view instead
        of ten (building all ten was about a third of a session's server CPU); opening
        a tab puts its view in its Column.
        """
        first, *others = TABS
        tabs = pn.Tabs(
            (first, self.views[first]),
            *[(name, pn.Column(sizing_mode="stretch_width")) for name in others],
            dynamic=True,
            sizing_mode="stretch_width",
            name="tabs",
        )

        def opened(event) -> None:
            holder = tabs[event.new]
            if isinstance(holder, pn.Column) and not holder.objects:
                holder.objects = [self.views[TABS[event.new]]]

        tabs.param.watch(opened, "active")
        return tabs

    def _notice(self) -> pn.viewable.Viewable:
        if not self.notice:
            return pn.Spacer(height=0)
        return pn.pane.HTML(
            f"<div style='color:#b00;font-weight:600'>{html.escape(self.notice)}</div>",
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        """The plain layout: header, a row of filters, the tabs (notebooks, tests)."""
        header = pn.pane.HTML(
            f"<h2 style='margin:4px 0'>{TITLE}</h2>"
            f"<div style='color:#666'>results: {html.escape(self.results)}</div>"
            + (f"<div style='color:#b00'>{html.escape(self.notice)}</div>" if self.notice else ""),
            sizing_mode="stretch_width",
        )
        return pn.Column(header, self.filters(width=320), self.tabs(), sizing_mode="stretch_width")

    def template(self) -> pn.template.BootstrapTemplate:
        """The served layout: title bar, filters in the sidebar, tabs in the main area."""
        sidebar = pn.Column(
            pn.pane.HTML("<h3 style='margin:0'>Filters</h3>"),
            self.filters(pn.Column),
            pn.pane.HTML(
                "<div style='color:#666;font-size:0.9em;overflow-wrap:anywhere'>"
                f"results: {html.escape(self.results)}</div>",
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        # One root per area: Bokeh walks the whole document on every root added, so
        # fewer roots make a session's document cheaper to build.
        main = pn.Column(self._notice(), self.tabs(), sizing_mode="stretch_width")
        return pn.template.BootstrapTemplate(
            title=TITLE,
            sidebar=[sidebar],
            main=[main],
            header_background=HEADER_COLOR,
            sidebar_width=300,
        )


def write_report(study: str, results: str, path: str | Path) -> Path:
    """A self-contained HTML report of one study (inline JavaScript; opens from file://)."""
    from bokeh.resources import INLINE

    store = StudyStore(results=results, studies=[study])
    if not store.is_study(study):
        from ..errors import StoreError

        raise StoreError(f"no study {study!r} in {results}")
    views = {
        "Overview": OverviewView(store=store),
        "Strong scaling": StrongScalingView(store=store),
        "Data scaling": DataScalingView(store=store),
        "Bottlenecks": BottlenecksView(store=store),
        "Roofline": RooflineView(store=store),
        "Runs": RunsView(store=store),
        "AI workloads": AIWorkloadsView(store=store),
    }
    # Static: each view's current content, with no widgets that would need a server.
    panes = [(name, view._render(None)) for name, view in views.items() if name != "Data scaling"]
    panes.insert(2, ("Data scaling", views["Data scaling"]._render(None, None)))
    panes = [(name, _static(p)) for name, p in panes]
    layout = pn.Column(
        pn.pane.HTML(f"<h2>Scaling Workbook: {html.escape(study)}</h2>"),
        pn.Tabs(*panes, sizing_mode="stretch_width"),
        sizing_mode="stretch_width",
    )
    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout.save(str(path), resources=INLINE, embed=False, title=f"Scaling Workbook: {study}")
    path.write_text(_inline_panel_css(path.read_text()))
    return path


def _inline_panel_css(text: str) -> str:
    """Point Panel's CDN stylesheets at data: URIs of the copies Panel ships.

    ``save(resources=INLINE)`` still leaves a few stylesheet URLs on Panel's CDN
    (holoviz/panel#6759), which an offline reader cannot load.
    """
    import base64
    import re

    dist = Path(pn.__file__).resolve().parent / "dist"

    def local(match: re.Match) -> str:
        file = dist / match.group(1)
        if not file.is_file():
            return match.group(0)
        return "data:text/css;base64," + base64.b64encode(file.read_bytes()).decode()

    text = re.sub(r"<link[^>]*https://cdn\.holoviz\.org[^>]*>", "", text)  # favicons
    return re.sub(
        r"https://cdn\.holoviz\.org/panel/[^/\"']+/dist/([^\"'?]+\.css)(\?v=[^\"']*)?", local, text
    )


def _static(obj):
    """Swap interactive tables for static HTML ones, recursively."""
    if isinstance(obj, pn.widgets.Tabulator):
        return pn.pane.DataFrame(obj.value.head(200), index=False, sizing_mode="stretch_width")
    if isinstance(obj, pn.widgets.FileDownload):
        return pn.Spacer(height=0)
    if isinstance(obj, pn.layout.ListLike):
        return type(obj)(*[_static(o) for o in obj], sizing_mode="stretch_width")
    return obj


def serve(
    results: str,
    *,
    address: str = "127.0.0.1",
    port: int = 5006,
    show: bool = False,
    basic_auth: str | None = None,
    cookie_secret: str | None = None,
) -> None:
    """Serve the dashboard (Bokeh server); blocks until stopped."""
    kwargs = {}
    if basic_auth:
        kwargs["basic_auth"] = basic_auth
        kwargs["cookie_secret"] = cookie_secret or __import__("secrets").token_hex(16)

    def app():
        pn.extension("tabulator")
        return App(results=results).template()

    pn.serve(
        {"/": app},
        address=address,
        port=port,
        show=show,
        websocket_origin=[f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
        title=TITLE,
        **kwargs,
    )
