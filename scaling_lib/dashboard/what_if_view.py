"""The What-if tab: a study's measured task graph replayed on more workers, beside the law.

Usage::

    view = WhatIfView(store=StudyStore(results="data/results", studies=["quick"]))
    view.targets = "4, 16, 64"      # worker counts to simulate (1 is always added)
    view.bandwidth_gbps = 10        # the network in Gbit/s; None: the measured one
    view.stream_workers = 16        # whose simulated task stream is drawn
    view.simulation()               # the StudyWhatIf shown (shared by sessions)
    view.stream_frame()             # the task-stream bars drawn, and how many tasks there were

The simulation (``scaling_lib.simulate.what_if``) replays one measured point of the study's
traces; it reads the study as a whole, so the sidebar's filters do not apply to it.
Simulations are cached in this process by study, the study's record files, the targets
and the bandwidth: a second session, or the tab reopened, does not simulate again. A
study without traces shows a notice saying how to get them.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import panel as pn
import param

from scaling_lib.dashboard.cache import SharedCache
from scaling_lib.dashboard.view_base import CANVAS, View, empty, lazy, plot_pane, text_table
from scaling_lib.errors import ScalingLibError
from scaling_lib.present import plots
from scaling_lib.present.what_if import what_if_frame
from scaling_lib.simulate.what_if import StudyWhatIf, what_if_study
from scaling_lib.units import fmt_bytes, fmt_number, fmt_seconds

__all__ = ["MAX_WORKERS", "SIMULATIONS", "STREAM_CAP", "WhatIfView"]

DEFAULT_TARGETS = "1, 2, 4, 8, 16, 32, 64"
MAX_WORKERS = 1024  # a typo of 100000 workers must not tie up a shared server
STREAM_CAP = 20_000  # bars in the task stream: enough to read, quick to draw
# Each simulation keeps a replay per target (its task stream): a few, not hundreds.
SIMULATIONS = SharedCache(16)
COLORS = {"simulated": "#1f77b4", "fitted": "#d62728", "measured": "black", "ideal": "gray"}


def _notice(exc: Exception) -> pn.pane.HTML:
    """Why there is no simulation, as a notice (the message's `code` spans kept)."""
    text = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(str(exc)))
    return pn.pane.HTML(
        "<div style='background:#fff4e5;border-left:4px solid #e69500;padding:8px 12px'>"
        f"<b>No what-if simulation for this study.</b> {text}</div>",
        sizing_mode="stretch_width",
    )


class WhatIfView(View):
    """Simulated speedup against the measured points and the fitted law, the table of
    targets, and the simulated task stream at one worker count."""

    study = param.Selector(default=None, objects=[], doc="the study whose graph is replayed")
    targets = param.String(default=DEFAULT_TARGETS, doc="worker counts, comma-separated")
    bandwidth_gbps = param.Number(
        default=None, allow_None=True, bounds=(0, None), doc="Gbit/s; empty or 0: measured"
    )
    stream_workers = param.Selector(default=None, objects=[], doc="the task stream drawn")

    @param.depends("store.studies", watch=True, on_init=True)
    def _studies(self) -> None:
        shown = list(self.store.studies)
        self.param.study.objects = shown
        if self.study not in shown:
            self.study = shown[0] if shown else None

    @param.depends("targets", watch=True, on_init=True)
    def _stream_choices(self) -> None:
        try:
            workers = self.target_workers()
        except ValueError:
            return  # the tab says why; the choices stay as they were
        choice = self.stream_workers if self.stream_workers in workers else workers[-1]
        # Choose before narrowing the options: a Select whose value left its options
        # would pick the first one (1 worker) itself.
        self.param.stream_workers.objects = sorted({*self.param.stream_workers.objects, *workers})
        self.stream_workers = choice
        self.param.stream_workers.objects = workers

    def target_workers(self) -> list[int]:
        """The worker counts simulated: those typed, and 1 (speedups are relative to it)."""
        tokens = [t for t in re.split(r"[,;\s]+", self.targets) if t]
        if not all(t.isdigit() for t in tokens):
            raise ValueError(
                f"worker counts must be whole numbers separated by commas, not {self.targets!r}"
            )
        counts = {int(t) for t in tokens} | {1}
        if min(counts) < 1 or max(counts) > MAX_WORKERS:
            raise ValueError(f"worker counts must be between 1 and {MAX_WORKERS}")
        return sorted(counts)

    def bandwidth_Bps(self) -> float | None:
        return self.bandwidth_gbps * 1e9 / 8 if self.bandwidth_gbps else None

    def simulation(self) -> StudyWhatIf:
        """The simulation shown: computed once per study data, targets and bandwidth, and
        shared by every session (treat it as read-only). Raises NoTracesError (a
        StoreError) for a study without traces."""
        if self.study is None:
            raise ValueError("no study is shown")
        study, workers, bandwidth = self.study, tuple(self.target_workers()), self.bandwidth_Bps()
        results = self.store.store
        key = ("what_if", results.root, study, tuple(results.record_files(study)))
        return SIMULATIONS.get_or_compute(
            (*key, workers, bandwidth),
            lambda: what_if_study(study, results, workers=workers, bandwidth_Bps=bandwidth),
        )

    def speedup_frame(self, sim: StudyWhatIf) -> pd.DataFrame:
        """Per target: the simulated speedup and its band, and the fitted law's speedup."""
        rows = pd.DataFrame(sim.rows)
        one = rows[rows["n_workers"] == 1].iloc[0]
        out = pd.DataFrame(
            {
                "workers": rows["n_workers"],
                "simulated": rows["speedup"].astype(float),
                "low": one["simulated_s"] / rows["simulated_high"],
                "high": one["simulated_s"] / rows["simulated_low"],
                "ideal": rows["n_workers"].astype(float),
            }
        )
        if "fitted_s" in rows and pd.notna(one["fitted_s"]) and one["fitted_s"] > 0:
            out["fitted"] = (one["fitted_s"] / rows["fitted_s"]).where(rows["fitted_s"] > 0)
        return out

    def measured_frame(self, sim: StudyWhatIf) -> tuple[pd.DataFrame, str]:
        """The measured speedups at the simulated size, and what they are relative to."""
        if 1 in sim.measured:
            ref, against = sim.measured[1], "the measured 1-worker time"
        else:
            ref, against = sim.rows[0]["simulated_s"], "the simulated 1-worker time"
        points = pd.DataFrame(
            {"workers": list(sim.measured), "measured": [ref / t for t in sim.measured.values()]}
        )
        return points, against

    def speedup_plot(self, sim: StudyWhatIf):
        import holoviews as hv
        import hvplot.pandas  # noqa: F401
        from bokeh.models import NumeralTickFormatter

        curve = self.speedup_frame(sim)
        measured, _ = self.measured_frame(sim)
        axes = {"x": "workers", "logx": True, "logy": True}
        blue = {"color": COLORS["simulated"], **axes}
        layers = [
            curve.hvplot.area(y="low", y2="high", alpha=0.2, label="simulated interval", **blue),
            curve.hvplot.line(y="simulated", label="simulated (replay)", **blue),
            curve.hvplot.scatter(y="simulated", size=40, **blue),
            curve.hvplot.line(
                y="ideal", color=COLORS["ideal"], line_dash="dotted", label="ideal", **axes
            ),
        ]
        if "fitted" in curve:
            style = {"color": COLORS["fitted"], "line_dash": "dashed", "label": "fitted law"}
            layers.append(curve.hvplot.line(y="fitted", **style, **axes))
        if len(measured):
            style = {"color": COLORS["measured"], "marker": "diamond", "label": "measured"}
            layers.append(measured.hvplot.scatter(y="measured", size=90, **style, **axes))
        ys = [*curve["low"], *curve["high"], *curve.get("fitted", []), *measured["measured"]]
        plot = hv.Overlay(layers)
        workers = curve["workers"]
        return plot.opts(
            title=f"Speedup vs workers at size {fmt_number(sim.size)}: replay vs fitted law",
            xlabel="workers",
            ylabel="speedup (vs 1 worker)",
            xticks=plots.worker_ticks(workers),
            xlim=(workers.min() / 1.3, workers.max() * 1.3),
            ylim=plots.log_range([*ys, *curve["ideal"]]),
            yformatter=NumeralTickFormatter(format="0,0.[00]"),
            legend_position="top_left",
            **CANVAS,
        )

    def caption(self, sim: StudyWhatIf) -> str:
        """Which point's graph was replayed, and how the two estimates differ."""
        cal = sim.constants.to_dict()["bandwidth_Bps"]
        network = f"{fmt_bytes(cal['value'])}/s " + (
            "(set here)" if self.bandwidth_Bps() else f"({html.escape(str(cal['source']))})"
        )
        _, against = self.measured_frame(sim)
        model = sim.rows[0].get("fitted_model")
        law = (
            f"the fitted law (`{model}`) assumes a shape for how time scales"
            if model
            else "no law could be fitted to these records, so only the replay is shown"
        )
        text = (
            f"Replayed: the task graph measured at size **{fmt_number(sim.size)}** on "
            f"**{sim.source_workers} worker(s)** x {sim.threads_per_worker} thread(s), network "
            f"{network}. The simulation replays the measured task graph (its tasks, their "
            f"durations, the transfers they needed) on each worker count; {law}. Measured "
            f"points are relative to {against}; the band is the simulated time's interval."
        )
        if any(r.get("disagree") for r in sim.rows):
            text += (
                " Where the table says *disagree*, the replay and the law are further apart "
                "than both intervals: the law assumes a shape the graph does not have."
            )
        return text

    def stream_frame(self) -> tuple[pd.DataFrame, int]:
        """The task-stream bars drawn at ``stream_workers`` (the first STREAM_CAP tasks to
        start) and how many tasks the simulation ran."""
        stream = self.simulation().task_stream(self.drawn_workers())
        stream = stream.sort_values("start", kind="stable")
        return stream.head(STREAM_CAP).reset_index(drop=True), len(stream)

    def drawn_workers(self) -> int:
        """The worker count whose task stream is drawn (the largest if the choice is stale)."""
        simulated = self.simulation().examples
        return self.stream_workers if self.stream_workers in simulated else max(simulated)

    @staticmethod
    def stream_height(stream: pd.DataFrame) -> int:
        """Pixels: about 10 per worker row, within 300-800."""
        rows = int(stream["worker"].max()) + 1 if len(stream) else 1
        return max(300, min(800, 200 + 10 * rows))

    def stream_plot(self, stream: pd.DataFrame, n_workers: int, threads: int):
        import holoviews as hv
        import holoviews.plotting.bokeh  # its options, even when drawn first

        # One row per worker; its threads share the row in equal slices.
        slot = 0.8 / threads
        bars = stream.assign(
            prefix=stream["prefix"].astype(str),
            y0=stream["worker"] + stream["thread"] * slot - 0.4,
            duration=stream["stop"] - stream["start"],
        )
        bars["y1"] = bars["y0"] + slot
        return hv.Rectangles(
            bars, kdims=["start", "y0", "stop", "y1"], vdims=["prefix", "worker", "duration"]
        ).opts(
            color="prefix",
            cmap="Category20",
            line_alpha=0,
            show_legend=True,
            legend_position="right",
            tools=["hover"],
            hover_tooltips=[
                ("prefix", "@prefix"),
                ("worker", "@worker"),
                ("start", "@start{0.000} s"),
                ("duration", "@duration{0.000} s"),
            ],
            title=f"Simulated task stream on {n_workers} worker(s)",
            width=700,
            height=self.stream_height(stream),
            xlabel="seconds since the start",
            ylabel="worker",
            yticks=plots.worker_ticks(stream["worker"]),
            **CANVAS,
        )

    def __panel__(self):
        controls = pn.Row(
            pn.widgets.Select.from_param(self.param.study, name="Study", width=200),
            pn.widgets.TextInput.from_param(self.param.targets, name="Target workers", width=240),
            pn.widgets.FloatInput.from_param(
                self.param.bandwidth_gbps,
                name="Bandwidth (Gbit/s)",
                placeholder="measured",
                width=160,
            ),
            pn.widgets.Select.from_param(
                self.param.stream_workers, name="Task stream at (workers)", width=180
            ),
        )
        deps = (self.store.param.records, self.param.study, self.param.targets)
        return pn.Column(
            controls,
            lazy(self._render, *deps, self.param.bandwidth_gbps),
            lazy(self._render_stream, *deps, self.param.bandwidth_gbps, self.param.stream_workers),
            sizing_mode="stretch_width",
        )

    def _render(self, *_):
        if self.study is None:
            return empty("No study is shown.")
        try:
            sim = self.simulation()
        except (ScalingLibError, ValueError) as exc:  # NoTracesError is a StoreError
            return _notice(exc)
        return pn.Column(
            pn.pane.Markdown(self.caption(sim), sizing_mode="stretch_width"),
            plot_pane(self.speedup_plot(sim)),
            text_table(what_if_frame(sim.to_dict())),
            sizing_mode="stretch_width",
        )

    def _render_stream(self, *_):
        try:
            sim = self.simulation()
            stream, total = self.stream_frame()
        except (ScalingLibError, ValueError):
            return pn.Spacer(height=0)  # the notice above says why
        n, end = self.drawn_workers(), float(stream["stop"].max()) if len(stream) else 0.0
        text = (
            f"**Simulated task stream on {n} worker(s)** x {sim.threads_per_worker} "
            f"thread(s): one bar per task (x: time, y: worker, colour: task prefix), "
            f"{fmt_number(total)} tasks, drawn on {stream['worker'].nunique()} of the {n} workers."
        )
        if total > len(stream):
            text += (
                f" Showing the first {fmt_number(len(stream))} to start (up to "
                f"{fmt_seconds(end)}), so the page stays quick."
            )
        return pn.Column(
            pn.pane.Markdown(text, sizing_mode="stretch_width"),
            pn.pane.HoloViews(
                self.stream_plot(stream, n, sim.threads_per_worker),
                sizing_mode="stretch_width",
                height=self.stream_height(stream),
                linked_axes=False,
            ),
            sizing_mode="stretch_width",
        )
