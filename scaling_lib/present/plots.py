"""Plots of a study's records, as HoloViews objects (hvplot), for notebooks and the dashboard.

Usage::

    from scaling_lib.present import plots
    plots.strong_scaling(df)      # time and speedup vs workers, per size, with the ideal
    plots.speedup(df)             # just the speedup lines and the ideal (light)
    plots.data_scaling(df)        # log-log time vs size per worker count
    plots.time_breakdown(df)      # where the thread-seconds went, per point

Plots render on a canvas (not WebGL): software rendering in headless browsers shows
WebGL artifacts. Worker axes tick only at whole worker counts (``worker_ticks``), and
every axis is fitted to the data it shows, plus any reference line drawn on it.
"""

from __future__ import annotations

import pandas as pd

from scaling_lib.analysis.bottlenecks import time_shares
from scaling_lib.analysis.scaling import dask_runs, point_table
from scaling_lib.analysis.scaling import strong_scaling as strong_table
from scaling_lib.units import fmt_bytes, fmt_number

__all__ = [
    "CANVAS",
    "data_scaling",
    "log_axes",
    "log_range",
    "log_ticks",
    "memory_scaling",
    "speedup",
    "strong_scaling",
    "time_breakdown",
    "worker_ticks",
    "workers_label",
]

CANVAS = {"backend_opts": {"plot.output_backend": "canvas"}}


def worker_ticks(counts) -> list[int]:
    """Tick positions for a worker axis: the whole worker counts measured.

    A linear axis over 1-2 workers would otherwise tick at 1.2, 1.4, ... workers. Many
    counts (an adaptive timeline up to 40 workers) thin out to about ten whole numbers.
    """
    values = sorted({round(float(c)) for c in counts if pd.notna(c)})
    if len(values) <= 12:
        return values
    step = max(1, -(-(values[-1] - values[0]) // 10))  # ceiling division
    return list(range(values[0], values[-1] + 1, step))


def load_hvplot() -> None:
    """Register ``.hvplot`` on DataFrames (imported when a plot is first made)."""
    import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)


def _size_label(size) -> str:
    """A size as a legend or axis label: '50,000', '1.2 million'."""
    return fmt_number(size)


def _lines(table: pd.DataFrame, x: str, y: str, by: str, **opts):
    """Lines with a marker at each measured point."""
    title = opts.pop("title", "")
    lines = table.hvplot.line(x=x, y=y, by=by, **opts)
    dots = table.hvplot.scatter(x=x, y=y, by=by, size=40, legend=False, **opts)
    return (lines * dots).opts(title=title, **CANVAS)


def strong_scaling(df: pd.DataFrame):
    """Median time vs workers per size, and speedup vs workers with the ideal line."""
    load_hvplot()
    import holoviews as hv

    table = strong_table(df)
    if table.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    ticks = worker_ticks(table["n_workers"])
    table = table.assign(size=table["size"].map(_size_label))
    time = _lines(
        table,
        "n_workers",
        "seconds",
        "size",
        title="Time vs workers",
        xlabel="workers",
        ylabel="seconds (median)",
        logy=True,
        xticks=ticks,
        width=400,
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
        xticks=ticks,
        width=400,
    ) * ideal.hvplot.line(
        x="n_workers", y="ideal_speedup", color="gray", line_dash="dashed", label="ideal"
    )
    return (time + speedup.opts(title="Speedup vs workers", **CANVAS)).cols(2)


def speedup(df: pd.DataFrame):
    """Speedup vs workers per size beside the ideal: the Overview's one light plot
    (lines only, a handful of glyphs, so the first page draws fast)."""
    load_hvplot()
    import holoviews as hv

    table = strong_table(df)
    if table.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    ticks = worker_ticks(table["n_workers"])
    table = table.assign(size=table["size"].map(_size_label))
    ideal = table[["n_workers", "ideal_speedup"]].drop_duplicates().sort_values("n_workers")
    lines = table.hvplot.line(
        x="n_workers", y="speedup", by="size", xlabel="workers", ylabel="speedup",
        title="Speedup vs workers (per size)", xticks=ticks,
    )  # fmt: skip
    ideal_line = ideal.hvplot.line(
        x="n_workers", y="ideal_speedup", color="gray", line_dash="dashed", label="ideal"
    )
    return (lines * ideal_line).opts(xticks=ticks, **CANVAS)


def data_scaling(df: pd.DataFrame):
    """Time and peak memory vs size (log-log), one line per worker count."""
    load_hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    time = point_table(runs).assign(workers=lambda t: t["n_workers"].map(workers_label))
    memory = point_table(runs, "peak_memory_bytes").assign(
        workers=lambda t: t["n_workers"].map(workers_label), MiB=lambda t: t["median"] / 2**20
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
    sizes = log_range(time["size"])
    left = log_axes(left, sizes, log_range(time["median"]))
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
    right = log_axes(right, sizes, log_range(memory["MiB"]))
    return (left + right).cols(2)


def memory_scaling(df: pd.DataFrame, limit_bytes: float | None = None):
    """Peak memory per worker vs size (log-log) per worker count, with the memory limit."""
    load_hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    memory = point_table(runs, "peak_memory_bytes").assign(
        workers=lambda t: t["n_workers"].map(workers_label), MiB=lambda t: t["median"] / 2**20
    )
    limit = limit_bytes / 2**20 if limit_bytes else None
    title = "Peak memory per worker vs size"
    plot = _lines(
        memory,
        "size",
        "MiB",
        "workers",
        logx=True,
        logy=True,
        title=title,
        xlabel=str(runs["size_unit"].iloc[0]),
        ylabel="MiB",
    )
    sizes = log_range(memory["size"])
    if not limit:
        return log_axes(plot, sizes, log_range(memory["MiB"]))
    # An HLine does not widen the axis: fit the range to the data and the limit
    # together, or the limit sits off the top of the plot.
    line = hv.HLine(limit).opts(color="red", line_dash="dotted", line_width=2)
    plot = (plot * line).opts(title=f"{title} (red: the {fmt_bytes(limit_bytes)} memory limit)")
    return log_axes(plot, sizes, log_range([*memory["MiB"], limit]))


def log_range(values) -> tuple[float, float]:
    """A log-axis range holding every positive value, with a margin either side."""
    positive = [float(v) for v in values if pd.notna(v) and float(v) > 0]
    return min(positive) / 1.5, max(positive) * 1.5


def log_ticks(low: float, high: float) -> list[float]:
    """Ticks at 1, 2 and 5 x 10^k between ``low`` and ``high`` (at most about 8).

    Bokeh's own log ticker labels every minor step of a short range ('1.500e+6',
    '2.000e+6', ... run into each other); these read as round numbers.
    """
    import math

    low, high = min(low, high), max(low, high)
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        steps = (float(f"{m}e{e}") for e in decades for m in mantissas)  # exact: 3e-1, not 0.30..04
        ticks = [t for t in steps if low <= t <= high]
        if len(ticks) <= 8:
            break
    if len(ticks) < 2:
        ticks = [low, high]
    return [int(t) if t >= 1 and float(t).is_integer() else t for t in ticks]


def log_axes(plot, x_range: tuple[float, float], y_range: tuple[float, float]):
    """Round-number ticks with readable labels ('50,000', '0.5') on a log-log plot."""
    from bokeh.models import NumeralTickFormatter

    return plot.opts(
        xlim=x_range,
        ylim=y_range,
        xticks=log_ticks(*x_range),
        yticks=log_ticks(*y_range),
        xformatter=NumeralTickFormatter(format="0,0.[000]"),
        yformatter=NumeralTickFormatter(format="0,0.[000]"),
    )


def workers_label(n) -> str:
    """A legend entry for a worker count: '1 worker', '4 workers'."""
    n = int(n)
    return f"{n} worker" if n == 1 else f"{n} workers"


def time_breakdown(df: pd.DataFrame):
    """Stacked shares of thread time per point: compute, non-CPU, transfer, disk, ..."""
    load_hvplot()
    import holoviews as hv

    runs = dask_runs(df)
    if runs.empty:
        return hv.Div("<p>No successful Dask runs yet.</p>")
    shares = time_shares(runs)
    shares["point"] = [
        f"{_size_label(s)} x {w}w" for s, w in zip(runs["size"], runs["n_workers"], strict=True)
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
