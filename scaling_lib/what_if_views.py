"""What the what-if notebook displays: a trace summarised, the constants, the simulation.

Usage (in a notebook)::

    from scaling_lib import what_if_views as wv

    sim = simulate_study(study, results, workers=[1, 4, 16, 64])
    wv.trace_views(trace)             # tasks per prefix, transfers (the replayed run)
    wv.constants_table(sim.calibration)
    wv.speedup_plot(sim)              # simulated [interval] vs measured vs fitted T(n, p)
    wv.simulation_findings(sim)       # Markdown sentences computed from the rows
    wv.task_stream_plot(sim, 16)      # x time, y worker, colour prefix

The figures come from ``what_if.StudySimulation`` (or its ``to_dict()``, what
``scaling-lib simulate --json`` prints) and from a ``TaskTrace``; each view has a pure
counterpart returning plain numbers (``prefix_summary``, ``speedup_frame``, ``findings``)
that the tests check. Pure: pandas and hvplot/HoloViews, no cluster, no store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from .formatting import MISSING, fmt_bytes, fmt_number, fmt_percent, fmt_seconds
from .presentation import Columns
from .what_if_findings import as_dict, findings, is_missing, workers_text

__all__ = [
    "PREFIXES",
    "TRANSFERS",
    "constants_frame",
    "constants_table",
    "findings",
    "has_traces",
    "prefix_summary",
    "prefix_table",
    "replayed_run",
    "simulation_findings",
    "simulation_overview",
    "simulation_table",
    "speedup_frame",
    "speedup_plot",
    "task_stream_plot",
    "trace_views",
    "transfer_summary",
]

PREFIXES: Columns = {
    "prefix": ("task prefix", str),
    "tasks": ("tasks", fmt_number),
    "median_s": ("duration (median)", fmt_seconds),
    "total_s": ("thread time", fmt_seconds),
    "share": ("share of thread time", fmt_percent),
    "median_nbytes": ("output (median)", fmt_bytes),
    "total_nbytes": ("output (total)", fmt_bytes),
}
TRANSFERS: Columns = {
    "transfers": ("transfers", fmt_number),
    "links": ("worker pairs", fmt_number),
    "total_nbytes": ("bytes moved", fmt_bytes),
    "median_nbytes": ("transfer size (median)", fmt_bytes),
    "median_s": ("transfer time (median)", fmt_seconds),
    "total_s": ("transfer time (total)", fmt_seconds),
}
_CONSTANTS = {
    "task_overhead_s": ("per-task overhead", "Dask's cost per task on the worker"),
    "message_latency_s": (
        "scheduler round trip",
        "worker - scheduler - worker, before a released task starts",
    ),
    "scheduler_overhead_s": ("scheduler CPU per task", "upper bound (includes the tracer)"),
    "latency_s": ("transfer latency", "fixed cost of one transfer between workers"),
    "bandwidth_Bps": ("bandwidth", "bytes per second into one worker, shared by its transfers"),
}


def _markdown(text: str) -> Any:
    from IPython.display import Markdown

    return Markdown(text)


# -- which run, and whether there is one ---------------------------------------------------


def _traced(records: pd.DataFrame) -> pd.DataFrame:
    needed = {"status", "runner", "trace_file"}
    if records.empty or not needed <= set(records.columns):
        return records.iloc[0:0]
    ok = records[(records["status"] == "ok") & (records["runner"] == "dask")]
    return ok[ok["trace_file"].map(lambda v: isinstance(v, str) and bool(v))]


def has_traces(records: pd.DataFrame) -> bool:
    """Whether any successful Dask run of these records carries a task trace."""
    return not _traced(records).empty


def replayed_run(records: pd.DataFrame, sim: Any) -> tuple[str, int]:
    """(point_id, repeat) of the first traced repeat of the point the simulation replays."""
    doc = as_dict(sim)
    runs = _traced(records)
    runs = runs[(runs["size"] == doc["size"]) & (runs["n_workers"] == doc["source_workers"])]
    if runs.empty:
        raise ValueError(
            f"no traced run at size {doc['size']:g} on {doc['source_workers']} worker(s)"
        )
    first = runs.sort_values("repeat").iloc[0]
    return str(first["point_id"]), int(first["repeat"])


# -- one trace -----------------------------------------------------------------------------


def prefix_summary(trace: Any) -> pd.DataFrame:
    """Per task prefix: tasks, median and total duration, share of thread time, output
    bytes (median, total); the prefix holding the most thread time first."""
    tasks = trace.tasks.assign(duration=trace.tasks["stop"] - trace.tasks["start"])
    nbytes = pd.to_numeric(tasks["nbytes"], errors="coerce")
    grouped = tasks.assign(nbytes=nbytes).groupby("prefix", sort=False)
    out = pd.DataFrame(
        {
            "tasks": grouped.size(),
            "median_s": grouped["duration"].median(),
            "total_s": grouped["duration"].sum(),
            "median_nbytes": grouped["nbytes"].median(),
            "total_nbytes": grouped["nbytes"].sum(),
        }
    )
    total = out["total_s"].sum()
    out["share"] = out["total_s"] / total if total > 0 else float("nan")
    out = out.sort_values(["total_s", "tasks"], ascending=False).reset_index()
    return out[["prefix", "tasks", "median_s", "total_s", "share", "median_nbytes", "total_nbytes"]]


def transfer_summary(trace: Any) -> pd.DataFrame:
    """One row: transfers between workers, worker pairs, bytes, sizes and times."""
    rows = trace.transfers
    duration = rows["stop"] - rows["start"]
    nbytes = pd.to_numeric(rows["nbytes"], errors="coerce")
    empty = rows.empty
    return pd.DataFrame(
        [
            {
                "transfers": len(rows),
                "links": 0 if empty else len(rows[["source", "worker"]].drop_duplicates()),
                "total_nbytes": 0 if empty else float(nbytes.sum()),
                "median_nbytes": None if empty else float(nbytes.median()),
                "median_s": None if empty else float(duration.median()),
                "total_s": 0.0 if empty else float(duration.sum()),
            }
        ]
    )


def _trace_sentence(trace: Any) -> str:
    tasks = trace.tasks
    span = float(tasks["stop"].max()) - float(trace.meta.get("submitted", tasks["start"].min()))
    workers = trace.meta.get("workers") or {}
    threads = sorted(set(workers.values()))
    shape = f"{len(workers)} worker(s) x {'/'.join(map(str, threads)) or '?'} thread(s)"
    inputs = trace.inputs
    text = (
        f"**The replayed run:** {fmt_number(len(tasks))} tasks in "
        f"{fmt_number(tasks['prefix'].nunique())} prefixes on {shape}, "
        f"{fmt_seconds(span)} from submission to the last task"
    )
    if len(inputs):
        held = pd.to_numeric(inputs["nbytes"], errors="coerce").sum()
        text += f"; {fmt_number(len(inputs))} inputs ({fmt_bytes(held)}) in memory before it"
    text += "."
    if trace.meta.get("truncated"):
        text += " *The trace was truncated: it holds only the first tasks of the run.*"
    return text


def prefix_table(trace: Any) -> Any:
    """``prefix_summary`` for people."""
    from .notebook_views import styled

    return styled(prefix_summary(trace), PREFIXES, caption="Tasks per prefix (one trace)")


def trace_views(trace: Any) -> Any:
    """A sentence about the run, its tasks per prefix and its transfers."""
    from .notebook_views import Views, styled

    transfers = styled(transfer_summary(trace), TRANSFERS, caption="Transfers between workers")
    return Views([_markdown(_trace_sentence(trace)), prefix_table(trace), transfers])


# -- the calibrated constants --------------------------------------------------------------


def constants_frame(calibration: Any) -> pd.DataFrame:
    """One row per constant of the simulated cluster: value, low, high, samples, source."""
    cal = calibration.to_dict() if hasattr(calibration, "to_dict") else calibration
    rows = []
    for name, (label, meaning) in _CONSTANTS.items():
        est = cal[name]
        rows.append({"constant": name, "label": label, "meaning": meaning, **est})
    return pd.DataFrame(rows)


def _rate(bps: float) -> str:
    return f"{fmt_bytes(bps)}/s ({fmt_number(bps * 8 / 1e9)} Gbit/s)"


def constants_table(calibration: Any) -> Any:
    """The calibrated constants for people, with the client's overhead below them."""
    from .notebook_views import Views, styled

    cal = calibration.to_dict() if hasattr(calibration, "to_dict") else calibration
    frame = constants_frame(cal)
    rows = []
    for r in frame.itertuples(index=False):
        fmt = _rate if r.constant == "bandwidth_Bps" else fmt_seconds
        rows.append(
            {
                "constant": r.label,
                "value": fmt(r.value),
                "spread (low - high)": f"{fmt(r.low)} - {fmt(r.high)}",
                "samples": fmt_number(r.n),
                "source": r.source,
                "what it is": r.meaning,
            }
        )
    a, b = cal.get("client_overhead_s", (0.0, 0.0))
    note = (
        f"Client overhead (graph submission, gathering the result), fitted across runs: "
        f"{fmt_seconds(a)} + {fmt_seconds(b)} per task. "
        "*low / high* are the extremes of the per-run medians: each target is replayed "
        "with every constant at its fast end and at its slow end too."
    )
    table = styled(pd.DataFrame(rows), caption="Calibrated constants")
    left = [{"selector": "td, th", "props": [("text-align", "left")]}]
    table = table.set_table_styles({"what it is": left}, overwrite=False)
    return Views([table, _markdown(note)])


# -- the simulation ------------------------------------------------------------------------


def simulation_overview(sim: Any, measured_first: Any = None) -> Any:
    """What was replayed, and from which measurements, as one Markdown paragraph."""
    doc = as_dict(sim)
    measured = ", ".join(
        f"{workers_text(p)} {fmt_seconds(s)}" for p, s in sorted(doc["measured"].items(), key=_num)
    )
    replays = max((r["replays"] for r in doc["targets"]), default=0)
    text = (
        f"**Study `{doc['study']}`**, size {fmt_number(doc['size'])}: the {doc['method']} at "
        f"{workers_text(doc['source_workers'])} x {doc['threads_per_worker']} thread(s), "
        f"{replays} replays per target. Measured at this size: {measured or MISSING}."
    )
    if measured_first is not None:
        text = f"**Traced first:** {measured_first}\n\n{text}"
    return _markdown(text)


def _num(item: tuple[str, Any]) -> float:
    return float(item[0])


def simulation_table(sim: Any) -> Any:
    """``what_if.simulation_frame`` with a caption."""
    from .notebook_views import styled
    from .what_if import simulation_frame

    doc = as_dict(sim)
    caption = (
        f"Simulated on N workers, size {fmt_number(doc['size'])}: time [interval] beside "
        "the fitted T(n, p) [interval]"
    )
    return styled(simulation_frame(doc), caption=caption)


def speedup_frame(sim: Any) -> pd.DataFrame:
    """Tidy rows per (series, workers): seconds [low, high] and speedup [low, high].

    Each series' speedup is against its own 1-worker time: the simulation's is always
    there; the fitted law's needs 1 among the targets and the measurements' a 1-worker
    run at this size, else their speedups are NaN (their times still plot). A speedup's
    [low, high] divides that 1-worker time by the high and low times, so it carries
    the whole time interval.
    """
    doc = as_dict(sim)
    nan = float("nan")
    rows = []
    fitted_one = next(
        (r.get("fitted_s") for r in doc["targets"] if r["n_workers"] == 1 and r.get("fitted_s")),
        None,
    )
    for r in doc["targets"]:
        p, t = r["n_workers"], r["simulated_s"]
        one = r["speedup"] * t if not is_missing(r.get("speedup")) else nan
        rows.append(("simulated", p, t, r["simulated_low"], r["simulated_high"], one))
        if not is_missing(r.get("fitted_s")):
            f1 = fitted_one if fitted_one else nan
            rows.append(("fitted T(n, p)", p, r["fitted_s"], r["fitted_low"], r["fitted_high"], f1))
    measured = {int(p): float(s) for p, s in doc["measured"].items()}
    for p, s in sorted(measured.items()):
        rows.append(("measured", p, s, s, s, measured.get(1, nan)))
    out = pd.DataFrame(rows, columns=["series", "n_workers", "seconds", "low", "high", "reference"])
    out["speedup"] = out["reference"] / out["seconds"]
    out["speedup_low"] = out["reference"] / out["high"]
    out["speedup_high"] = out["reference"] / out["low"]
    return out.drop(columns="reference")


_COLOURS = {"simulated": "#1f77b4", "fitted T(n, p)": "#ff7f0e", "measured": "black"}


def _series_plot(frame: pd.DataFrame, y: str, low: str, high: str) -> Any:
    import holoviews as hv

    layers = []
    for series in ("simulated", "fitted T(n, p)"):
        part = frame[frame["series"] == series].dropna(subset=[y]).sort_values("n_workers")
        if part.empty:
            continue
        colour = _COLOURS[series]
        band = hv.Area(part, "n_workers", [low, high], label=f"{series} interval")
        layers.append(band.opts(color=colour, alpha=0.15, line_alpha=0))
        layers.append(hv.Curve(part, "n_workers", y, label=series).opts(color=colour))
        layers.append(hv.Scatter(part, "n_workers", y).opts(color=colour, size=6))
    part = frame[frame["series"] == "measured"].dropna(subset=[y])
    if not part.empty:
        dots = hv.Scatter(part, "n_workers", y, label="measured")
        layers.append(dots.opts(color=_COLOURS["measured"], size=9, marker="diamond"))
    return hv.Overlay(layers)


def speedup_plot(sim: Any) -> Any:
    """Time and speedup vs workers (log-log): the simulation with its interval, the
    fitted law with its interval, the measurements, and the ideal speedup."""
    import holoviews as hv

    from .dashboard.plots import CANVAS, log_axes, log_range, worker_ticks

    frame = speedup_frame(sim)
    ticks = worker_ticks(frame["n_workers"])
    x_range = (min(ticks) / 1.25, max(ticks) * 1.25)
    ideal = pd.DataFrame({"n_workers": ticks, "ideal": [float(t) for t in ticks]})

    def panel(plot: Any, title: str, ylabel: str, values: Any, **opts: Any) -> Any:
        plot = log_axes(plot, x_range, log_range(values))
        return plot.opts(
            hv.opts.Overlay(
                title=title, xlabel="workers", ylabel=ylabel, logx=True, logy=True,
                xticks=ticks, **opts, **CANVAS,
            )
        )  # fmt: skip

    time = panel(
        _series_plot(frame, "seconds", "low", "high"),
        "Time vs workers",
        "seconds",
        frame[["seconds", "low", "high"]].stack(),
        show_legend=False,
        width=430,
    )
    speed = panel(
        _series_plot(frame, "speedup", "speedup_low", "speedup_high")
        * hv.Curve(ideal, "n_workers", "ideal", label="ideal").opts(
            color="gray", line_dash="dashed"
        ),
        "Speedup vs workers (vs one worker)",
        "speedup",
        [*frame[["speedup", "speedup_low", "speedup_high"]].stack(), *ideal["ideal"]],
        legend_position="right",
        width=620,
    )
    return (time + speed).cols(2)


def simulation_findings(sim: Any, title: str = "What the simulation says") -> Any:
    """``findings`` as a Markdown list."""
    return _markdown("\n".join([f"**{title}**", "", *_bullets(findings(sim))]))


def _bullets(lines: Iterable[str]) -> list[str]:
    return [f"- {line}" for line in lines]


# -- the simulated task stream -------------------------------------------------------------


def _palette(n: int) -> list[str]:
    from bokeh.palettes import Category10_10, Category20_20

    return list(Category10_10 if n <= 10 else Category20_20)


def _nearest(available: Iterable[int], wanted: int) -> int:
    return min(available, key=lambda n: (abs(math.log(n) - math.log(max(wanted, 1))), n))


def task_stream_plot(sim: Any, n_workers: int) -> Any:
    """The simulated task stream on ``n_workers`` (or the nearest simulated count): one
    bar per task, x time since submission, y worker (a row per thread), colour prefix."""
    import holoviews as hv

    from .dashboard.plots import CANVAS

    shown = _nearest(sim.examples, n_workers)
    threads = int(sim.threads_per_worker)
    stream = sim.task_stream(shown)
    row = stream["worker"] * threads + stream["thread"]
    bars = stream.assign(
        y0=row - 0.4, y1=row + 0.4, duration_ms=(stream["stop"] - stream["start"]) * 1e3
    )
    order = bars.groupby("prefix")["duration_ms"].sum().sort_values(ascending=False).index
    palette = _palette(len(order))
    layers = [
        hv.Rectangles(
            bars[bars["prefix"] == prefix],
            ["start", "y0", "stop", "y1"],
            ["prefix", "worker", "duration_ms"],
            label=str(prefix),
        ).opts(color=palette[i % len(palette)], line_color="white", line_width=0.5, tools=["hover"])
        for i, prefix in enumerate(order)
    ]
    step = max(1, shown // 16)
    ticks = [(w * threads + (threads - 1) / 2, str(w)) for w in range(0, shown, step)]
    title = f"Simulated task stream on {workers_text(shown)} x {threads} thread(s)"
    if shown != n_workers:
        title += f" ({n_workers} was not simulated: nearest shown)"
    return hv.Overlay(layers).opts(
        hv.opts.Overlay(
            title=title,
            xlabel="seconds since submission",
            ylabel="worker",
            yticks=ticks,
            invert_yaxis=True,
            width=920,
            height=max(300, min(900, 120 + 14 * shown * threads)),
            legend_position="right",
            **CANVAS,
        )
    )
