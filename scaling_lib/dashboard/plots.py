"""Plots of a study's records, as HoloViews objects (hvplot), for notebooks and the dashboard.

Usage::

    from scaling_lib.dashboard import plots
    plots.strong_scaling(df)      # time and speedup vs workers, per size, with the ideal
    plots.speedup(df)             # just the speedup lines and the ideal (light)
    plots.data_scaling(df)        # log-log time vs size per worker count
    plots.time_breakdown(df)      # where the thread-seconds went, per point

Plots render on a canvas (not WebGL): software rendering in headless browsers shows
WebGL artifacts.
"""

from __future__ import annotations

import pandas as pd

from ..analysis.bottlenecks import time_shares
from ..analysis.scaling import dask_runs, point_table
from ..analysis.scaling import strong_scaling as strong_table

__all__ = [
    "CANVAS",
    "data_scaling",
    "memory_scaling",
    "speedup",
    "strong_scaling",
    "time_breakdown",
]

CANVAS = {"backend_opts": {"plot.output_backend": "canvas"}}


def _hvplot():
    import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)


def _lines(table: pd.DataFrame, x: str, y: str, by: str, **opts):
    """Lines with a marker at each measured point."""
    title = opts.pop("title", "")
    lines = table.hvplot.line(x=x, y=y, by=by, **opts)
    dots = table.hvplot.scatter(x=x, y=y, by=by, size=40, legend=False, **opts)
    return (lines * dots).opts(title=title, **CANVAS)


def strong_scaling(df: pd.DataFrame):
    """Median time vs workers per size, and speedup vs workers with the ideal line."""
    _hvplot()
    import holoviews as hv

    table = strong_table(df)
    if table.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    table = table.assign(size=table["size"].map(lambda s: f"{s:g}"))
    time = _lines(
        table,
        "n_workers",
        "seconds",
        "size",
        title="Time vs workers",
        xlabel="workers",
        ylabel="seconds (median)",
        logy=True,
    )
    ideal = table[["n_workers", "ideal_speedup"]].drop_duplicates().sort_values("n_workers")
    speedup = _lines(
        table,
        "n_workers",
        "speedup",
        "size",
        title="Speedup vs workers",
        xlabel="workers",
        ylabel="speedup",
    ) * ideal.hvplot.line(
        x="n_workers", y="ideal_speedup", color="gray", line_dash="dashed", label="ideal"
    )
    return (time + speedup.opts(**CANVAS)).cols(2)


def speedup(df: pd.DataFrame):
    """Speedup vs workers per size beside the ideal: the Overview's one light plot
    (lines only, a handful of glyphs, so the first page draws fast)."""
    _hvplot()
    import holoviews as hv

    table = strong_table(df)
    if table.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    table = table.assign(size=table["size"].map(lambda s: f"{s:g}"))
    ideal = table[["n_workers", "ideal_speedup"]].drop_duplicates().sort_values("n_workers")
    lines = table.hvplot.line(
        x="n_workers", y="speedup", by="size", xlabel="workers", ylabel="speedup",
        title="Speedup vs workers (per size)",
    )  # fmt: skip
    ideal_line = ideal.hvplot.line(
        x="n_workers", y="ideal_speedup", color="gray", line_dash="dashed", label="ideal"
    )
    return (lines * ideal_line).opts(**CANVAS)


def data_scaling(df: pd.DataFrame):
    """Time and peak memory vs size (log-log), one line per worker count."""
    _hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    time = point_table(runs).assign(workers=lambda t: t["n_workers"].astype(str))
    memory = point_table(runs, "peak_memory_bytes").assign(
        workers=lambda t: t["n_workers"].astype(str), MiB=lambda t: t["median"] / 2**20
    )
    unit = str(runs["size_unit"].iloc[0])
    left = _lines(
        time,
        "size",
        "median",
        "workers",
        logx=True,
        logy=True,
        title="Time vs size",
        xlabel=unit,
        ylabel="seconds (median)",
    )
    right = _lines(
        memory,
        "size",
        "MiB",
        "workers",
        logx=True,
        logy=True,
        title="Peak memory per worker vs size",
        xlabel=unit,
        ylabel="MiB",
    )
    return (left + right).cols(2)


def memory_scaling(df: pd.DataFrame, limit_bytes: float | None = None):
    """Peak memory per worker vs size (log-log) per worker count, with the memory limit."""
    _hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    memory = point_table(runs, "peak_memory_bytes").assign(
        workers=lambda t: t["n_workers"].astype(str), MiB=lambda t: t["median"] / 2**20
    )
    plot = _lines(
        memory,
        "size",
        "MiB",
        "workers",
        logx=True,
        logy=True,
        title="Peak memory per worker vs size",
        xlabel=str(runs["size_unit"].iloc[0]),
        ylabel="MiB",
    )
    if limit_bytes:
        plot = plot * hv.HLine(limit_bytes / 2**20).opts(color="red", line_dash="dotted")
    return plot


def time_breakdown(df: pd.DataFrame):
    """Stacked shares of thread time per point: compute, non-CPU, transfer, disk, ..."""
    _hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    shares = time_shares(runs)
    shares["point"] = [
        f"{s:g} x {w}w" for s, w in zip(runs["size"], runs["n_workers"], strict=True)
    ]
    median = shares.groupby("point", sort=False).median()
    return median.hvplot.bar(
        stacked=True,
        rot=45,
        title="Where thread time went (share, median over repeats)",
        xlabel="size x workers",
        ylabel="share of thread-seconds",
        legend="right",
        height=350,
        width=700,
    ).opts(**CANVAS)
