"""The scaling tabs: strong, weak and data scaling, bottlenecks and the roofline.

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    StrongScalingView(store=store).laws_table()   # Amdahl and USL fits as shown
    DataScalingView(store=store).target = 1e5     # views react to their parameters
    BottlenecksView(store=store).findings()       # the ranked diagnosis as shown

Each view computes with ``scaling_lib.analysis`` (fits shared between sessions through
``store.memo``) and draws with ``plots``; each renders only once its tab is shown.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import panel as pn
import param

from scaling_lib.analysis.bottlenecks import diagnose
from scaling_lib.analysis.findings import tie_note
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.roofline import roofline
from scaling_lib.analysis.scaling import dask_runs, point_table, strong_laws, weak_scaling
from scaling_lib.dashboard import tables
from scaling_lib.dashboard.advice_view import AdviceView
from scaling_lib.dashboard.view_base import (
    CANVAS,
    View,
    default_target,
    empty,
    guarded,
    lazy,
    plot_pane,
    text_table,
)
from scaling_lib.present import plots
from scaling_lib.units import fmt_bytes, fmt_number

__all__ = [
    "BottlenecksView",
    "DataScalingView",
    "RooflineView",
    "StrongScalingView",
    "WeakScalingView",
]


class StrongScalingView(View):
    """Time and speedup vs workers per size, the ideal line, and Amdahl/USL fits."""

    def laws(self) -> pd.DataFrame:
        """The fitted laws per size, as numbers."""
        rows = []
        for law in self.store.memo("strong_laws", strong_laws):
            rows.append(
                {
                    "size": law.size,
                    "amdahl_serial_fraction": law.amdahl.serial_fraction if law.amdahl else None,
                    "implied_serial_fraction": law.implied_serial_fraction,
                    "max_speedup": law.amdahl.max_speedup if law.amdahl else None,
                    "usl_sigma": law.usl.sigma if law.usl else None,
                    "usl_kappa": law.usl.kappa if law.usl else None,
                    "usl_peak_workers": law.usl.peak_n if law.usl else None,
                    "note": law.note,
                }
            )
        return pd.DataFrame(rows)

    def laws_table(self) -> pd.DataFrame:
        """The fitted laws as shown: percentages, factors, 3 significant digits."""
        return tables.laws_table(self.laws())

    def __panel__(self):
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        df = self._records()
        if not len(dask_runs(df)):
            return empty()
        return pn.Column(
            plot_pane(plots.strong_scaling(df)),
            pn.pane.Markdown("**Fitted laws** (Amdahl needs 2+ worker counts, USL 3+)"),
            text_table(self.laws_table()),
            sizing_mode="stretch_width",
        )


class WeakScalingView(View):
    """Efficiency as data and workers grow together."""

    def __panel__(self):
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        df = self._records()
        weak = weak_scaling(df) if len(dask_runs(df)) else pd.DataFrame()
        if weak.empty:
            import holoviews as hv

            note = hv.Div(
                "<p>Weak scaling needs points with the same work per worker (e.g. sizes "
                "s, 2s with workers 1, 2 for work that grows like the size).</p>"
            )
            shown = plot_pane(plots.strong_scaling(df)) if len(dask_runs(df)) else note
            return pn.Column(shown, sizing_mode="stretch_width")
        shown = tables.weak_table(weak)
        basis = str(weak["basis"].iloc[0])
        weak = weak.assign(per_worker=weak["per_worker"].map(fmt_number))
        ticks = plots.worker_ticks(weak["n_workers"])
        plot = weak.hvplot.line(
            x="n_workers",
            y="efficiency",
            by="per_worker",
            title=f"Weak-scaling efficiency (same {basis})",
            xlabel="workers",
            ylabel="efficiency (1 = perfect)",
            ylim=(0, max(1.2, float(weak["efficiency"].max()) * 1.1)),
            xticks=ticks,
        ) * weak.hvplot.scatter(
            x="n_workers", y="efficiency", by="per_worker", legend=False, xticks=ticks
        )
        return pn.Column(
            plot_pane(plot.opts(xticks=ticks, **CANVAS)),
            text_table(shown),
            sizing_mode="stretch_width",
        )


class DataScalingView(View):
    """Log-log time and memory vs size with the fitted law, its band and the extrapolation."""

    target = param.Number(default=0.0, bounds=(0, None), doc="size to extrapolate to")
    target_workers = param.Integer(
        default=0, bounds=(0, None), doc="workers of the target's forecast; 0: the most measured"
    )

    def __init__(self, **params):
        super().__init__(**params)
        # The "Next measurement" card beside the forecast, for the same target.
        self.advice = AdviceView(
            store=self.store, target=self.target, target_workers=self.target_workers
        )
        self.param.watch(self._target_changed, ["target", "target_workers"])

    def _target_changed(self, event) -> None:
        setattr(self.advice, event.name, event.new)

    @param.depends("store.records", watch=True, on_init=True)
    def _default_target(self):
        if not self.target:
            self.target = default_target(self._records())

    def curve(self) -> pd.DataFrame:
        """Fitted time and its interval, from the smallest size to the target, per worker count."""
        runs = dask_runs(self._records())
        model = self.store.memo("time_model", lambda df: fit_time_model(dask_runs(df), draws=40))
        grid = np.geomspace(runs["size"].min(), max(self.target, runs["size"].max()), 16)
        rows = []
        for p in sorted(runs["n_workers"].unique()):
            for size in grid:
                pred = model.predict(size, int(p))
                rows.append(
                    {
                        "size": size,
                        "workers": plots.workers_label(p),
                        "seconds": pred.seconds,
                        # a log axis cannot show 0: floor the band at a tenth of the fit
                        "low": max(pred.low, pred.seconds / 10),
                        "high": pred.high,
                    }
                )
        return pd.DataFrame(rows)

    def _too_wide(self, runs: pd.DataFrame) -> list[str]:
        """The target's forecast on the most workers measured, when its interval is too
        wide to act on (``analysis.narrowing``): what would narrow it."""
        model = self.store.memo("time_model", lambda df: fit_time_model(dask_runs(df), draws=40))
        most = int(self.target_workers or runs["n_workers"].max())
        wide = model.predict(self.target, most).too_wide
        return [f"at {fmt_number(self.target)} on {most} worker(s): {wide}"] if wide else []

    def off_trend(self) -> list[str]:
        """The points whose cost per unit of work is off their neighbours' trend, with the
        likely cause and whether the time model keeps them (``analysis.off_trend``)."""
        model = self.store.memo("time_model", lambda df: fit_time_model(dask_runs(df), draws=40))
        return [f"off the trend: {p.text}" for p in model.off_trend]

    def __panel__(self):
        inputs = pn.Row(
            pn.widgets.FloatInput.from_param(self.param.target, label="Target size"),
            pn.widgets.IntInput.from_param(
                self.param.target_workers, label="Target workers (0: the most measured)"
            ),
        )
        return pn.Column(
            inputs,
            lazy(
                self._render,
                self.store.param.records,
                self.param.target,
                self.param.target_workers,
            ),
            self.advice,
            sizing_mode="stretch_width",
        )

    @guarded
    def _render(self, _records, _target, _workers=None):
        import holoviews as hv
        import hvplot.pandas  # noqa: F401

        runs = dask_runs(self._records())
        if runs["size"].nunique() < 2 if len(runs) else True:
            return empty("Data scaling needs successful runs at 2+ sizes.")
        measured = point_table(runs).assign(
            workers=lambda t: t["n_workers"].map(plots.workers_label)
        )
        curve = self.curve()
        band = curve.hvplot.area(
            x="size",
            y="low",
            y2="high",
            by="workers",
            alpha=0.2,
            logx=True,
            logy=True,
            legend=False,
        )
        fit = curve.hvplot.line(
            x="size", y="seconds", by="workers", line_dash="dashed", logx=True, logy=True
        )
        dots = measured.hvplot.scatter(
            x="size", y="median", by="workers", size=50, logx=True, logy=True
        )
        target = hv.VLine(self.target).opts(color="red", line_dash="dotted")
        unit = str(runs["size_unit"].iloc[0])
        time = (band * fit * dots * target).opts(
            title="Time vs size: fitted T(n, p) and its interval, target "
            + fmt_number(self.target),
            xlabel=unit,
            ylabel="seconds",
            **CANVAS,
        )
        # The band's area would pull a log axis down to 0.01: fit it to the figures.
        time = plots.log_axes(
            time,
            plots.log_range([*curve["size"], self.target]),
            plots.log_range([*curve["low"], *curve["high"], *measured["median"]]),
        )
        limit = runs["memory_limit_bytes"].dropna()
        memory = plots.memory_scaling(runs, float(limit.max()) if len(limit) else None)
        wide = self._too_wide(runs)
        notes = list(wide)
        from scaling_lib.analysis.scaling import data_scaling

        for d in data_scaling(runs):
            if d.oom_size:
                notes.append(
                    f"{d.n_workers} worker(s): predicted out of memory at size "
                    f"{fmt_number(d.oom_size)} (limit {fmt_bytes(d.memory_limit_bytes)})"
                )
        if len(notes) == len(wide) and len(limit):
            notes.append("no out-of-memory size in sight of the fitted memory law")
        notes += self.off_trend()
        return pn.Column(
            plot_pane(time),
            plot_pane(memory),
            pn.pane.Markdown("\n".join(f"- {html.escape(n)}" for n in notes)),
            sizing_mode="stretch_width",
        )


class BottlenecksView(View):
    """Where time went per point, and the ranked diagnosis with its evidence."""

    def findings(self) -> pd.DataFrame:
        """The ranked diagnosis as shown: each finding's figures as readable text, and
        findings tied (within the run noise) said so beside their time lost."""
        found = self.store.memo("diagnose", diagnose)
        table = tables.findings_table(found)
        notes = zip(table["time lost"], map(tie_note, found), strict=True)
        table["time lost"] = [f"{cost}, {tie}" if tie else cost for cost, tie in notes]
        return table

    def __panel__(self):
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        df = self._records()
        plot = plot_pane(plots.time_breakdown(df)) if len(dask_runs(df)) else empty()
        return pn.Column(
            plot,
            pn.pane.Markdown("**Diagnosis** (by the time each costs at the largest point)"),
            text_table(self.findings()),
            sizing_mode="stretch_width",
        )


class RooflineView(View):
    """Each run's achieved FLOP/s against the host's measured ceilings."""

    def table(self) -> pd.DataFrame:
        frames = []
        df = self._records()
        for study in self.store.studies:
            part = df[df["study"] == study] if len(df) else df
            frames.append(roofline(part, self.store.host_limits(study)))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def __panel__(self):
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        table = table[table["intensity"].notna()] if len(table) else table
        if table.empty:
            return empty(
                "No roofline: the study has no flop counts or no host limits "
                "(runs of the array or train workloads on a local cluster have both)."
            )
        cal = next(c for s in self.store.studies if (c := self.store.host_limits(s)))
        table = table.assign(
            point=[f"{r} {w}w" for r, w in zip(table["runner"], table["n_workers"], strict=True)]
        )
        dots = table.hvplot.scatter(
            x="intensity", y="achieved_flops", by="point", size=60, logx=True, logy=True
        )
        x = np.geomspace(max(table["intensity"].min() / 4, 1e-3), table["intensity"].max() * 4, 50)
        roof = pd.DataFrame(
            {
                "intensity": x,
                "core": np.minimum(cal["peak_flops_per_core"], x * cal["bandwidth_bytes_s"]),
                "all cores": np.minimum(cal["peak_flops"], x * cal["bandwidth_bytes_s"]),
            }
        )
        lines = roof.hvplot.line(
            x="intensity",
            y=["core", "all cores"],
            logx=True,
            logy=True,
            color=["gray", "black"],
            line_dash="dashed",
        )
        plot = (lines * dots).opts(
            title="Roofline: achieved FLOP/s vs arithmetic intensity",
            xlabel="flop per input byte",
            ylabel="flop/s",
            **CANVAS,
        )
        summary = table.groupby("point")["fraction"].median().map(lambda v: f"{v:.0%}")
        return pn.Column(
            plot_pane(plot),
            pn.pane.Markdown(
                "Median fraction of the roof: "
                + html.escape(", ".join(f"{k}: {v}" for k, v in summary.items()))
            ),
            sizing_mode="stretch_width",
        )
