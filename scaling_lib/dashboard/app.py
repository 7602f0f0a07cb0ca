"""The Scaling Workbook dashboard: filters, tabs, live updates, serving and static reports.

Usage::

    panel serve dashboards/app.py --address 127.0.0.1 --port 5006   # or:
    scaling-lib serve [--results DIR] [--port N] [--address ADDR]
    scaling-lib report quick --html quick.html                      # works offline

    App(results="data/results", studies=["quick"])                  # in a notebook
    App(results="data/results").page().servable()                   # the served page

Served, the app is a page of title bar, the filters in a sidebar and the tabs beside it
(``App.page``), from Panel's own bundle served locally: it renders with no network.
Notebooks and the static report use the plain layout (``App.__panel__``).

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

from scaling_lib.dashboard.first_plots import FIRST_PLOTS
from scaling_lib.dashboard.state import StudyStore
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
    WhatIfView,
)
from scaling_lib.store.records import DEFAULT_RESULTS, ResultsStore

__all__ = [
    "EXAMPLE_RESULTS",
    "TABS",
    "TITLE",
    "VIEW_CLASSES",
    "App",
    "LazyViews",
    "default_results",
    "serve",
    "settle_heap",
    "write_report",
]

# The committed example studies, in a checkout (not package data: a wheel has none).
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
SIDEBAR_PX = 300


_HEAP_SETTLED = []


def settle_heap() -> None:
    """Once per server process, after its first session: move every object alive now
    (the imports, the loaded records, the fits) out of the garbage collector's view.

    They live as long as the server, yet each full collection walked them all: 160-180 ms
    pauses, two or three in a burst of ten new sessions, on the event loop every session
    shares. Objects made later are collected as usual.
    """
    if not _HEAP_SETTLED:
        import gc

        gc.collect()
        gc.freeze()
        _HEAP_SETTLED.append(True)


def default_results() -> str:
    """data/results when it holds studies, else the example studies of a checkout (an
    installed wheel has none: then data/results, empty or not)."""
    if ResultsStore(DEFAULT_RESULTS).studies() or not Path(EXAMPLE_RESULTS).is_dir():
        return DEFAULT_RESULTS
    return EXAMPLE_RESULTS


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

    def tabs(self, first_only: bool = False) -> pn.Tabs:
        """The tabs: the Overview is built at once, every other tab when first opened.

        Unopened tabs hold an empty Column, so a new session pays for one view instead
        of ten (building all ten was about a third of a session's server CPU); opening
        a tab puts its view in its Column. ``first_only`` leaves the other tabs out, for
        the served page to append once its first plot is drawn (``page``).
        """
        tabs = pn.Tabs(
            (TABS[0], self.views[TABS[0]]),
            *([] if first_only else _unopened_tabs()),
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

    def page(self) -> pn.Column:
        """The served page: a title bar, the filters in a sidebar, the tabs beside it.

        Built from plain Panel layouts rather than Panel's BootstrapTemplate: the
        template cost about 40 ms of server CPU per session, and every browser loaded
        its Bootstrap CSS and JavaScript. With ten visitors arriving at once the last
        one waited about a second longer for its first plot (``benchmarks/dashboard.py``).

        What a first plot does not need (the filter widgets, the headers of the tabs
        not yet opened) is added once the browser has drawn the page, after every other
        session waiting for its first plot has one (``first_plots``).
        """
        filters = pn.Column(sizing_mode="stretch_width", margin=0)
        sidebar = pn.Column(
            pn.pane.HTML("<h3 style='margin:0'>Filters</h3>"),
            filters,
            pn.pane.HTML(
                "<div style='color:#666;font-size:0.9em;overflow-wrap:anywhere'>"
                f"results: {html.escape(self.results)}</div>",
                sizing_mode="stretch_width",
            ),
            width=SIDEBAR_PX,
            margin=0,
            css_classes=["sw-sidebar"],
            styles={"background": "#f5f7f9", "min-height": "calc(100vh - 56px)"},
        )
        title = pn.pane.HTML(
            f"<div style='color:white;font-size:1.5em;padding:12px 20px'>{TITLE}</div>",
            sizing_mode="stretch_width",
            margin=0,
            css_classes=["sw-title"],
            styles={"background": HEADER_COLOR},
        )
        tabs = self.tabs(first_only=True)
        main = pn.Column(self._notice(), tabs, sizing_mode="stretch_width")

        def rest() -> None:
            filters.objects = [self.filters(pn.Column)]
            tabs.extend(_unopened_tabs())

        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            FIRST_PLOTS.started(doc)
        # Outside a server (a test, a notebook) onload runs at once.
        pn.state.onload(lambda: FIRST_PLOTS.drawn(doc, rest))
        return pn.Column(
            title,
            pn.Row(sidebar, main, sizing_mode="stretch_width", margin=0),
            sizing_mode="stretch_width",
            margin=0,
        )


def _unopened_tabs() -> list[tuple[str, pn.Column]]:
    """Every tab but the Overview, each an empty Column until first opened (``tabs``)."""
    return [(name, pn.Column(sizing_mode="stretch_width")) for name in TABS[1:]]


def write_report(study: str, results: str, path: str | Path) -> Path:
    """A self-contained HTML report of one study (inline JavaScript; opens from file://)."""
    from bokeh.resources import INLINE

    store = StudyStore(results=results, studies=[study])
    if not store.is_study(study):
        from scaling_lib.errors import StoreError

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
        page = App(results=results).page()
        settle_heap()
        return page

    pn.serve(
        {"/": app},
        address=address,
        port=port,
        show=show,
        websocket_origin=[f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
        title=TITLE,
        **kwargs,
    )
