"""The Overview tab: headline cards and the speedup curve, the first thing a visitor sees.

Usage::

    view = OverviewView(store=StudyStore(results="data/results", studies=["quick"]))
    view.cards()                       # {"runs": ..., "best_throughput": ..., ...}
    speedup_figure(speedup_lines(df))  # the plot as a plain Bokeh figure

Every session opens on this tab, so it is built to be cheap: the cards and the plot's
data are computed once per version of the records and shared by all sessions
(``store.memo``); each session then only draws a plain Bokeh figure from that data.
Going through hvplot/HoloViews here cost about 0.4 s of server CPU per session, the
largest single part of a session's start. Bokeh models cannot be shared between
documents, so the figure itself is built per session.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd
import panel as pn

from scaling_lib.analysis.bottlenecks import diagnose
from scaling_lib.analysis.findings import tie_note
from scaling_lib.analysis.scaling import dask_runs, point_table
from scaling_lib.analysis.scaling import strong_scaling as strong_table
from scaling_lib.dashboard.view_base import View, empty, guarded, lazy
from scaling_lib.present.plots import worker_ticks
from scaling_lib.units import fmt_number, fmt_rate

__all__ = ["OverviewView", "SpeedupLines", "speedup_figure", "speedup_lines"]

TITLE = "Speedup vs workers (per size)"
# Category10, as HoloViews colours the other tabs' lines.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
CARD = (
    "<div style='display:inline-block;margin:6px;padding:10px 14px;border:1px solid #ccc;"
    "border-radius:6px;min-width:180px'><div style='color:#666'>{}</div><b>{}</b></div>"
)


@dataclass(frozen=True)
class SpeedupLines:
    """What the speedup plot shows: per size, its label and (workers, speedup) points;
    the ideal line; the worker ticks (whole worker counts)."""

    lines: tuple[tuple[str, tuple[int, ...], tuple[float, ...]], ...]
    ideal: tuple[tuple[int, ...], tuple[float, ...]]
    ticks: tuple[int, ...]


def speedup_lines(records: pd.DataFrame) -> SpeedupLines | None:
    """The speedup plot's data from the records; None without successful Dask runs."""
    if not len(records) or not len(dask_runs(records)):
        return None
    table = strong_table(records)
    if table.empty:
        return None
    lines = tuple(
        (
            fmt_number(size),
            tuple(int(w) for w in g["n_workers"]),
            tuple(float(s) for s in g["speedup"]),
        )
        for size, g in table.sort_values(["size", "n_workers"]).groupby("size", sort=True)
    )
    ideal = table[["n_workers", "ideal_speedup"]].drop_duplicates("n_workers")
    ideal = ideal.sort_values("n_workers")
    return SpeedupLines(
        lines=lines,
        ideal=(tuple(int(w) for w in ideal["n_workers"]), tuple(ideal["ideal_speedup"])),
        ticks=tuple(worker_ticks(table["n_workers"])),
    )


def speedup_figure(data: SpeedupLines):
    """Speedup vs workers, one line (with markers) per size and the dashed ideal, as a
    Bokeh figure drawn on a canvas (no WebGL), its worker axis ticked at whole counts."""
    from bokeh.models import (
        ColumnDataSource,
        FixedTicker,
        GlyphRenderer,
        HoverTool,
        Legend,
        LegendItem,
        MultiLine,
        Scatter,
    )
    from bokeh.plotting import figure

    fig = figure(
        title=TITLE,
        x_axis_label="workers",
        y_axis_label="speedup",
        output_backend="canvas",
        sizing_mode="stretch_width",
        height=360,
        tools="pan,wheel_zoom,box_zoom,reset,save",
    )
    # Two renderers whatever the number of sizes: every line (the sizes', then the
    # ideal, dashed) in one, every marker in the other. Each renderer is a handful of
    # Bokeh models that every session builds and sends, and `figure`'s glyph methods
    # add selection and muted copies of each glyph that a plot without selections
    # never shows; renderers built here leave them to the browser's defaults.
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(data.lines))]
    lines = ColumnDataSource(
        {
            "xs": [list(w) for _, w, _ in data.lines] + [list(data.ideal[0])],
            "ys": [list(s) for _, _, s in data.lines] + [list(data.ideal[1])],
            "color": [*colors, "gray"],
            "dash": ["solid"] * len(data.lines) + ["dashed"],
            "size": [label for label, _, _ in data.lines] + ["ideal"],
        }
    )
    glyph = MultiLine(xs="xs", ys="ys", line_color="color", line_dash="dash", line_width=2)
    drawn = GlyphRenderer(data_source=lines, glyph=glyph)
    points = ColumnDataSource(
        {
            "workers": [w for _, ws, _ in data.lines for w in ws],
            "speedup": [s for _, _, ss in data.lines for s in ss],
            "size": [label for label, ws, _ in data.lines for _ in ws],
            "color": [c for c, (_, ws, _) in zip(colors, data.lines, strict=True) for _ in ws],
        }
    )
    marker = Scatter(x="workers", y="speedup", size=6, fill_color="color", line_color="color")
    dots = GlyphRenderer(data_source=points, glyph=marker)
    fig.renderers.extend([drawn, dots])
    legend = Legend(
        items=[LegendItem(label={"field": "size"}, renderers=[drawn])],
        location="top_left",
        title="size",
    )
    fig.add_layout(legend)
    fig.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[("size", "@size"), ("workers", "@workers"), ("speedup", "@speedup{0.00}")],
        )
    )
    fig.xaxis.ticker = FixedTicker(ticks=list(data.ticks))
    fig.toolbar.logo = None
    return fig


def overview_cards(records: pd.DataFrame, findings) -> dict:
    """The headline figures, as text: runs, best throughput, parallel efficiency at the
    most workers, and the top bottleneck (from ``findings``, the ranked diagnosis)."""
    df = records
    runs = dask_runs(df) if len(df) else df
    out = {"runs": len(df), "ok": int((df["status"] == "ok").sum()) if len(df) else 0}
    if len(runs):
        best = runs.loc[runs["throughput"].idxmax()]
        out["best_throughput"] = fmt_rate(best["throughput"], str(best["work_unit"]))
        table = point_table(runs)
        top = table[table["n_workers"] == table["n_workers"].max()]
        base = table[table["n_workers"] == table["n_workers"].min()]
        both = top.merge(base, on="size", suffixes=("", "_base"))
        if len(both) and top["n_workers"].max() > base["n_workers"].min():
            ratio = top["n_workers"].max() / base["n_workers"].min()
            eff = (both["median_base"] / both["median"] / ratio).iloc[-1]
            out["efficiency"] = f"{eff:.0%} at {int(top['n_workers'].max())} workers"
    if findings:
        top = findings[0]
        tie = f", {note}" if (note := tie_note(top)) else ""
        out["top_bottleneck"] = f"{top.name}{tie}: {top.summary}"
    return out


def cards_html(cards: dict) -> str:
    items = [
        ("Runs (ok)", f"{cards['runs']} ({cards['ok']})"),
        ("Best throughput", cards.get("best_throughput", "-")),
        ("Parallel efficiency", cards.get("efficiency", "-")),
        ("Top bottleneck", cards.get("top_bottleneck", "-")),
    ]
    return "".join(CARD.format(html.escape(k), html.escape(str(v))) for k, v in items)


class OverviewView(View):
    """Headline cards and the main scaling curve."""

    def cards(self) -> dict:
        df = self._records()
        findings = self.store.memo("diagnose", diagnose) if len(df) else []
        # A copy: the memoised dict is shared by every session.
        return dict(self.store.memo("overview_cards", lambda d: overview_cards(d, findings)))

    def __panel__(self):
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        cards = pn.pane.HTML(cards_html(self.cards()), sizing_mode="stretch_width")
        data = self.store.memo("overview_speedup", speedup_lines)
        plot = (
            pn.pane.Bokeh(speedup_figure(data), sizing_mode="stretch_width", height=360)
            if data is not None
            else empty()
        )
        return pn.Column(cards, plot, sizing_mode="stretch_width")
