"""What the what-if notebook displays: a trace summarised, the constants, the simulation.

Usage (in a notebook)::

    from scaling_lib.notebook import what_if_views as wv
    sim = what_if_study(study, results, workers=[1, 4, 16, 64])
    wv.trace_views(trace)             # tasks per prefix, transfers (the replayed run)
    wv.constants_table(sim.constants)
    wv.speedup_plot(sim)              # simulated [interval] vs measured vs fitted T(n, p)
    wv.simulation_findings(sim)       # Markdown sentences computed from the rows
    wv.task_stream_plot(sim, 16)      # x time, y worker, colour prefix

The figures come from ``what_if.StudyWhatIf`` (or its ``to_dict()``, what
``scaling-lib what-if --json`` prints) and from a ``TaskTrace``; each view has a pure
counterpart returning plain numbers (``prefix_summary``, ``speedup_frame``, ``findings``)
that the tests check. The trace and constants views live in ``what_if_trace_views``
and are re-exported here. Pure: pandas and hvplot/HoloViews, no cluster, no store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from scaling_lib.notebook.what_if_trace_views import (
    PREFIXES,
    TRANSFERS,
    constants_frame,
    constants_table,
    has_traces,
    markdown,
    prefix_summary,
    prefix_table,
    replayed_run,
    trace_views,
    transfer_summary,
)
from scaling_lib.present.what_if import as_dict, findings, is_missing, workers_text
from scaling_lib.units import MISSING, fmt_number, fmt_seconds

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
    return markdown(text)


def _num(item: tuple[str, Any]) -> float:
    return float(item[0])


def simulation_table(sim: Any) -> Any:
    """``what_if.what_if_frame`` with a caption."""
    from scaling_lib.notebook.views import styled
    from scaling_lib.present.what_if import what_if_frame

    doc = as_dict(sim)
    caption = (
        f"Simulated on N workers, size {fmt_number(doc['size'])}: time [interval] beside "
        "the fitted T(n, p) [interval]"
    )
    return styled(what_if_frame(doc), caption=caption)


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

    from scaling_lib.present.plots import CANVAS, log_axes, log_range, worker_ticks

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
    return markdown("\n".join([f"**{title}**", "", *_bullets(findings(sim))]))


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

    from scaling_lib.present.plots import CANVAS

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
