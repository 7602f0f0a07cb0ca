"""Plots of the AI dimensions (hvplot): strategies, precision, serving latency, autoscaling.

Usage::

    from scaling_lib.present import ai_plots
    ai_plots.strategy_bytes(df)      # measured vs analytic bytes per step, per strategy
    ai_plots.strategy_time(df)       # time vs workers per strategy and model width
    ai_plots.precision(df)           # time and error against float64 per precision
    ai_plots.latency(df)             # p50/p95/p99 latency vs workers
    ai_plots.autoscale_timeline(doc) # workers over time, adaptive vs fixed, with latency

Each returns a HoloViews object, or a Div saying what is missing. Worker axes tick at
whole worker counts; dimensions are named for what they hold (``latency_s``,
``elapsed_s``), never a bare "seconds", so two plots of different quantities can never
share (and stretch) one axis range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from scaling_lib.analysis.ai_workloads import latency_table, precision_table, strategy_table
from scaling_lib.present.plots import CANVAS, load_hvplot, worker_ticks
from scaling_lib.units import fmt_number

__all__ = ["autoscale_timeline", "latency", "precision", "strategy_bytes", "strategy_time"]


def _empty(text: str):
    import holoviews as hv

    return hv.Div(f"<p>{text}</p>")


def strategy_time(df: pd.DataFrame):
    """Median time vs workers, one line per strategy x hidden width."""
    load_hvplot()
    table = strategy_table(df)
    if table.empty:
        return _empty("No training-strategy runs (workload train) in these studies.")
    ticks = worker_ticks(table["n_workers"])
    table = table.assign(
        run=table["strategy"] + ", hidden " + table["hidden"].astype(str)
        + ", " + table["size"].map(fmt_number) + " samples"
    )  # fmt: skip
    return (table.hvplot.line(
        x="n_workers", y="wall_s", by="run", title="Training time vs workers per strategy",
        xlabel="workers", ylabel="seconds (median)", logy=True, height=300, width=460,
        xticks=ticks,
    ) * table.hvplot.scatter(
        x="n_workers", y="wall_s", by="run", size=40, legend=False, xticks=ticks
    )).opts(xticks=ticks, **CANVAS)  # fmt: skip


def strategy_bytes(df: pd.DataFrame):
    """Bytes per step between workers: measured beside analytic, per strategy and width."""
    load_hvplot()
    table = strategy_table(df)
    table = table[table["n_workers"] > 1] if not table.empty else table
    if table.empty:
        return _empty("No multi-worker training-strategy runs in these studies.")
    label = (
        table["strategy"] + " h" + table["hidden"].astype(str) + " n" + table["size"].map(
            fmt_number) + " x" + table["n_workers"].astype(str)
    )  # fmt: skip
    long = pd.concat(
        [
            pd.DataFrame({"run": label, "workers": table["n_workers"].astype(str),
                          "kind": "measured", "MiB": table["bytes_per_step"] / 2**20}),
            pd.DataFrame({"run": label, "workers": table["n_workers"].astype(str),
                          "kind": "analytic", "MiB": table["analytic_bytes_per_step"] / 2**20}),
        ]
    )  # fmt: skip
    return long.hvplot.bar(
        x="run", y="MiB", by="kind", title="Bytes between workers per step",
        ylabel="MiB per step", rot=30, height=300, width=520, legend="top_right",
    ).opts(**CANVAS)  # fmt: skip


def _dask_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The Dask runs of a summary table (an empty table has no runner column)."""
    return table[table["runner"] == "dask"] if not table.empty else table


def precision(df: pd.DataFrame):
    """Time and relative error against float64, per precision."""
    load_hvplot()
    table = _dask_rows(precision_table(df))
    if table.empty:
        return _empty("No runs with a precision error recorded (array or train workloads).")
    table = table.assign(
        point=table["workload"] + " " + table["size"].map(fmt_number)
        + " x" + table["n_workers"].astype(str),
        error=table["precision_error"].clip(lower=1e-18),
    )  # fmt: skip
    time = table.hvplot.bar(
        x="point", y="wall_s", by="precision", title="Time by precision",
        ylabel="seconds (median)", rot=30, height=300, width=460,
    ).opts(**CANVAS)  # fmt: skip
    error = table.hvplot.scatter(
        x="point", y="error", by="precision", title="Error against float64",
        ylabel="relative error", logy=True, rot=30, size=60, height=300, width=460,
    ).opts(**CANVAS)  # fmt: skip
    return (time + error).cols(2)


def latency(df: pd.DataFrame):
    """Latency percentiles vs workers (closed or open loop as recorded)."""
    load_hvplot()
    table = _dask_rows(latency_table(df))
    if table.empty:
        return _empty("No serving runs (workload serve) in these studies.")
    ticks = worker_ticks(table["n_workers"])
    long = table.melt(
        id_vars=["n_workers", "size"],
        value_vars=["latency_p50_s", "latency_p95_s", "latency_p99_s"],
        var_name="percentile",
        value_name="latency_s",
    )
    long["line"] = (
        long["percentile"].str.extract(r"_(p\d+)_")[0]
        + ", " + long["size"].map(fmt_number) + " requests"
    )  # fmt: skip
    lines = long.hvplot.line(
        x="n_workers", y="latency_s", by="line", title="Request latency vs workers",
        xlabel="workers", ylabel="seconds", height=300, width=460, xticks=ticks,
    ).opts(**CANVAS)  # fmt: skip
    table = table.assign(requests=table["size"].map(fmt_number))
    rate = table.hvplot.line(
        x="n_workers", y="requests_per_s", by="requests", title="Throughput vs workers",
        xlabel="workers", ylabel="requests / s", height=300, width=460, xticks=ticks,
    ).opts(**CANVAS)  # fmt: skip
    return (lines + rate).cols(2)


def autoscale_timeline(doc: Mapping[str, Any] | None):
    """Workers over time for the adaptive and the fixed cluster, and request latency."""
    load_hvplot()
    if not doc:
        return _empty(
            "No autoscaling experiment in this study (scaling-lib autoscale STUDY, or notebook "
            "05_serving_load)."
        )
    workers = pd.concat(
        [pd.DataFrame(doc[m]["timeline"], columns=["elapsed_s", "workers"]).assign(cluster=m)
         for m in ("fixed", "adaptive")]
    )  # fmt: skip
    counts = worker_ticks(workers["workers"])
    ticks = list(range(0, counts[-1] + 1)) if counts and counts[-1] <= 12 else counts
    requests = pd.concat(
        [pd.DataFrame(doc[m]["requests"], columns=["sent_s", "request_latency_s"]).assign(cluster=m)
         for m in ("fixed", "adaptive")]
    )  # fmt: skip
    steps = workers.hvplot.step(
        x="elapsed_s", y="workers", by="cluster", where="post", title="Workers over time",
        xlabel="seconds since the load started", height=300, width=460, yticks=ticks,
        ylim=(0, max(ticks, default=1) + 0.5),
    ).opts(**CANVAS)  # fmt: skip
    lat = requests.hvplot.scatter(
        x="sent_s", y="request_latency_s", by="cluster", size=6, alpha=0.5,
        title="Latency of each request", xlabel="sent at (s)", ylabel="seconds",
        height=300, width=460,
    ).opts(**CANVAS)  # fmt: skip
    return (steps + lat).cols(2)
