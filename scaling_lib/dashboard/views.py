"""The dashboard's views: one Viewer per tab, each built on a StudyStore.

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    DataScalingView(store=store).target = 1e5     # views react to their parameters
    RecommendationsView(store=store).table()      # the ranked options as a DataFrame

Views compute with ``scaling_lib.analysis`` and draw with ``plots``; they never start a
cluster. Text taken from records (names, error messages) is HTML-escaped. Every
figure a view shows goes through ``scaling_lib.formatting`` (units, 3 significant
digits) and its tables through ``tables`` (no raw floats, no dict dumps).
"""

from __future__ import annotations

import functools
import html
import io

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..analysis.ai_workloads import latency_table, precision_table, strategy_table
from ..analysis.bottlenecks import diagnose
from ..analysis.predict import fit_time_model
from ..analysis.recommend import recommend
from ..analysis.roofline import roofline
from ..analysis.scaling import dask_runs, point_table, strong_laws, weak_scaling
from ..catalog import load_catalog
from ..formatting import fmt_bytes, fmt_number, fmt_rate, fmt_seconds
from . import ai_plots, plots, tables
from .state import StudyStore

__all__ = [
    "AIWorkloadsView",
    "BottlenecksView",
    "CompareView",
    "DataScalingView",
    "OverviewView",
    "RecommendationsView",
    "RooflineView",
    "RunsView",
    "StrongScalingView",
    "WeakScalingView",
]

_CANVAS = plots.CANVAS


def _empty(message: str = "No successful runs match the filters.") -> pn.pane.Markdown:
    return pn.pane.Markdown(f"*{html.escape(message)}*")


def _guarded(render):
    """A view that cannot be computed says why, instead of breaking the whole page."""

    @functools.wraps(render)
    def wrapper(self, *args):
        try:
            return render(self, *args)
        except ValueError as exc:  # too few points for a fit, and the like
            return _empty(f"Not enough data for this view yet: {exc}")

    return wrapper


def _default_target(records: pd.DataFrame) -> float:
    """8x the largest measured size: where a user would first want a prediction."""
    runs = dask_runs(records)
    return float(runs["size"].max()) * 8 if len(runs) else 0.0


def _lazy(render, *deps) -> pn.param.ParamFunction:
    """``render(*deps)`` as a pane that re-renders when a dependency changes, evaluated
    only once it is shown: a tab nobody opened costs nothing at page load."""
    return pn.param.ParamFunction(pn.bind(render, *deps), lazy=True, sizing_mode="stretch_width")


def _pane(obj) -> pn.viewable.Viewable:
    """A plot pane. A layout of plots becomes a FlexBox of its plots, which wraps onto
    the next line where the main area is too narrow (a HoloViews layout has fixed widths
    and would run past the right edge instead)."""
    import holoviews as hv

    # linked_axes=False: Panel otherwise links axes of the same dimension name across
    # every pane in the document, so one plot's range (a 12 s timeline) stretched
    # another's (latencies near 0.05 s).
    if isinstance(obj, hv.Layout):
        return pn.FlexBox(
            *[pn.pane.HoloViews(item, linked_axes=False) for item in obj],
            sizing_mode="stretch_width",
        )
    return pn.pane.HoloViews(obj, sizing_mode="stretch_width", height=360, linked_axes=False)


def _table(df: pd.DataFrame) -> pn.pane.DataFrame:
    """A static table of text (``tables`` formats it), left-aligned as text reads."""
    return pn.pane.DataFrame(
        df,
        index=False,
        escape=True,
        text_align="start",
        # Panel's table CSS right-aligns header cells: align them with their columns.
        stylesheets=[".panel-df th { text-align: start; }"],
        sizing_mode="stretch_width",
    )


class _View(Viewer):
    store = param.ClassSelector(class_=StudyStore)

    def _records(self) -> pd.DataFrame:
        df = self.store.records
        return df if df is not None else pd.DataFrame()


class OverviewView(_View):
    """Headline cards and the main scaling curve."""

    def cards(self) -> dict:
        df = self._records()
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
        findings = self.store.memo("diagnose", diagnose) if len(df) else []
        if findings:
            out["top_bottleneck"] = f"{findings[0].name}: {findings[0].summary}"
        return out

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        c = self.cards()
        card = (
            "<div style='display:inline-block;margin:6px;padding:10px 14px;border:1px solid #ccc;"
            "border-radius:6px;min-width:180px'><div style='color:#666'>{}</div><b>{}</b></div>"
        )
        items = [
            ("Runs (ok)", f"{c['runs']} ({c['ok']})"),
            ("Best throughput", c.get("best_throughput", "-")),
            ("Parallel efficiency", c.get("efficiency", "-")),
            ("Top bottleneck", c.get("top_bottleneck", "-")),
        ]
        cards = pn.pane.HTML(
            "".join(card.format(html.escape(k), html.escape(str(v))) for k, v in items),
            sizing_mode="stretch_width",
        )
        df = self._records()
        plot = _pane(plots.speedup(df)) if len(dask_runs(df)) else _empty()
        return pn.Column(cards, plot, sizing_mode="stretch_width")


class StrongScalingView(_View):
    """Time and speedup vs workers per size, the ideal line, and Amdahl/USL fits."""

    def laws(self) -> pd.DataFrame:
        """The fitted laws per size, as numbers."""
        rows = []
        for law in self.store.memo("strong_laws", strong_laws):
            rows.append(
                {
                    "size": law.size,
                    "amdahl_serial_fraction": law.amdahl.serial_fraction if law.amdahl else None,
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
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        df = self._records()
        if not len(dask_runs(df)):
            return _empty()
        return pn.Column(
            _pane(plots.strong_scaling(df)),
            pn.pane.Markdown("**Fitted laws** (Amdahl needs 2+ worker counts, USL 3+)"),
            _table(self.laws_table()),
            sizing_mode="stretch_width",
        )


class WeakScalingView(_View):
    """Efficiency as data and workers grow together."""

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        df = self._records()
        weak = weak_scaling(df) if len(dask_runs(df)) else pd.DataFrame()
        if weak.empty:
            import holoviews as hv

            note = hv.Div(
                "<p>Weak scaling needs sizes that grow with workers "
                "(e.g. sizes s, 2s with workers 1, 2).</p>"
            )
            shown = _pane(plots.strong_scaling(df)) if len(dask_runs(df)) else note
            return pn.Column(shown, sizing_mode="stretch_width")
        shown = tables.weak_table(weak)
        weak = weak.assign(per_worker=weak["size_per_worker"].map(fmt_number))
        ticks = plots.worker_ticks(weak["n_workers"])
        plot = weak.hvplot.line(
            x="n_workers",
            y="efficiency",
            by="per_worker",
            title="Weak-scaling efficiency (per size per worker)",
            xlabel="workers",
            ylabel="efficiency (1 = perfect)",
            ylim=(0, max(1.2, float(weak["efficiency"].max()) * 1.1)),
            xticks=ticks,
        ) * weak.hvplot.scatter(
            x="n_workers", y="efficiency", by="per_worker", legend=False, xticks=ticks
        )
        return pn.Column(
            _pane(plot.opts(xticks=ticks, **_CANVAS)), _table(shown), sizing_mode="stretch_width"
        )


class DataScalingView(_View):
    """Log-log time and memory vs size with the fitted law, its band and the extrapolation."""

    target = param.Number(default=0.0, bounds=(0, None), doc="size to extrapolate to")

    @param.depends("store.records", watch=True, on_init=True)
    def _default_target(self):
        if not self.target:
            self.target = _default_target(self._records())

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

    def __panel__(self):
        slider = pn.widgets.FloatInput.from_param(self.param.target, label="Target size")
        return pn.Column(
            slider,
            _lazy(self._render, self.store.param.records, self.param.target),
            sizing_mode="stretch_width",
        )

    @_guarded
    def _render(self, _records, _target):
        import holoviews as hv
        import hvplot.pandas  # noqa: F401

        runs = dask_runs(self._records())
        if runs["size"].nunique() < 2 if len(runs) else True:
            return _empty("Data scaling needs successful runs at 2+ sizes.")
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
            **_CANVAS,
        )
        # The band's area would pull a log axis down to 0.01: fit it to the figures.
        time = plots.log_axes(
            time,
            plots.log_range([*curve["size"], self.target]),
            plots.log_range([*curve["low"], *curve["high"], *measured["median"]]),
        )
        limit = runs["memory_limit_bytes"].dropna()
        memory = plots.memory_scaling(runs, float(limit.max()) if len(limit) else None)
        notes = []
        from ..analysis.scaling import data_scaling

        for d in data_scaling(runs):
            if d.oom_size:
                notes.append(
                    f"{d.n_workers} worker(s): predicted out of memory at size "
                    f"{fmt_number(d.oom_size)} (limit {fmt_bytes(d.memory_limit_bytes)})"
                )
        if not notes and len(limit):
            notes.append("no out-of-memory size in sight of the fitted memory law")
        return pn.Column(
            _pane(time),
            _pane(memory),
            pn.pane.Markdown("\n".join(f"- {html.escape(n)}" for n in notes)),
            sizing_mode="stretch_width",
        )


class BottlenecksView(_View):
    """Where time went per point, and the ranked diagnosis with its evidence."""

    def findings(self) -> pd.DataFrame:
        """The ranked diagnosis as shown: each finding's figures as readable text."""
        return tables.findings_table(self.store.memo("diagnose", diagnose))

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        df = self._records()
        plot = _pane(plots.time_breakdown(df)) if len(dask_runs(df)) else _empty()
        return pn.Column(
            plot,
            pn.pane.Markdown("**Diagnosis** (strongest first)"),
            _table(self.findings()),
            sizing_mode="stretch_width",
        )


class RooflineView(_View):
    """Each run's achieved FLOP/s against the host's calibrated ceilings."""

    def table(self) -> pd.DataFrame:
        frames = []
        df = self._records()
        for study in self.store.studies:
            part = df[df["study"] == study] if len(df) else df
            frames.append(roofline(part, self.store.calibration(study)))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        table = table[table["intensity"].notna()] if len(table) else table
        if table.empty:
            return _empty(
                "No roofline: the study has no flop counts or no host calibration "
                "(runs of the array or train workloads on a local cluster have both)."
            )
        cal = next(c for s in self.store.studies if (c := self.store.calibration(s)))
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
            **_CANVAS,
        )
        summary = table.groupby("point")["fraction"].median().map(lambda v: f"{v:.0%}")
        return pn.Column(
            _pane(plot),
            pn.pane.Markdown(
                "Median fraction of the roof: "
                + html.escape(", ".join(f"{k}: {v}" for k, v in summary.items()))
            ),
            sizing_mode="stretch_width",
        )


class RecommendationsView(_View):
    """Ranked instance options for a target size, deadline, budget and pricing.

    Its panes are built once and updated in place when a widget changes: the options
    table first (only its data travels to the browser), then the picks, the time vs
    cost plot and the assumptions on the next tick.
    """

    target = param.Number(default=0.0, bounds=(0, None))
    deadline = param.Number(default=0.0, bounds=(0, None), doc="seconds; 0 for none")
    budget = param.Number(default=0.0, bounds=(0, None), doc="per run; 0 for none")
    pricing = param.Selector(default="on_demand", objects=["on_demand", "committed"])

    def __init__(self, **params):
        super().__init__(**params)
        self._message = pn.pane.Markdown(sizing_mode="stretch_width", visible=False)
        self._picks = pn.pane.Markdown(sizing_mode="stretch_width")
        # One scatter glyph fed by a stream: a widget change sends new points to the
        # existing plot instead of rebuilding it (about 10 ms instead of 0.5 s).
        self._points = None
        self._plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", height=360)
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(),
            pagination="local",
            page_size=15,
            sizing_mode="stretch_width",
            disabled=True,
            show_index=False,
        )
        self._assumptions = pn.pane.Markdown(sizing_mode="stretch_width")
        self._shown = False

    @param.depends("store.records", watch=True, on_init=True)
    def _default_target(self):
        if not self.target:
            self.target = _default_target(self._records())

    def recommendation(self):
        runs = self._records()
        return recommend(
            runs,
            _catalog(),
            size=self.target or 1.0,
            deadline_s=self.deadline or None,
            budget=self.budget or None,
            pricing=self.pricing,
            model=self.store.memo("time_model", lambda df: fit_time_model(dask_runs(df), draws=40)),
        )

    def table(self, rec=None) -> pd.DataFrame:
        rec = rec or self.recommendation()
        return pd.DataFrame(
            [
                {
                    "instance": o.instance,
                    "count": o.count,
                    "workers": o.workers,
                    "seconds": round(o.seconds, 3),
                    "seconds_interval": " to ".join(
                        map(fmt_seconds, (o.seconds_low, o.seconds_high))
                    ),
                    f"cost_{rec.currency}": round(o.cost, 5),
                    "memory_ok": o.feasible,
                    "meets_deadline": o.meets_deadline,
                    "within_budget": o.within_budget,
                    "efficiency": None if o.efficiency is None else round(o.efficiency, 3),
                }
                for o in rec.options
            ]
        )

    def __panel__(self):
        widgets = pn.Row(  # 4 x 220 px: fits the main area beside the template's sidebar
            pn.widgets.FloatInput.from_param(self.param.target, label="Target size", width=220),
            pn.widgets.FloatInput.from_param(self.param.deadline, label="Deadline (s)", width=220),
            pn.widgets.FloatInput.from_param(self.param.budget, label="Budget per run", width=220),
            pn.widgets.Select.from_param(self.param.pricing, label="Pricing", width=220),
        )
        return pn.Column(widgets, _lazy(self._first_show), sizing_mode="stretch_width")

    def _first_show(self):
        self._shown = True
        self._update(schedule=False)
        return pn.Column(
            self._message,
            self._picks,
            self._plot,
            self._table,
            self._assumptions,
            sizing_mode="stretch_width",
        )

    @param.depends("store.records", "target", "deadline", "budget", "pricing", watch=True)
    def _changed(self):
        if getattr(self, "_shown", False):  # nothing to update before the tab is first shown
            self._update(schedule=True)

    def _update(self, schedule: bool) -> None:
        try:
            if not len(dask_runs(self._records())):
                raise ValueError("no successful runs match the filters")
            rec = self.recommendation()
        except ValueError as exc:  # too few points for a fit, and the like
            self._message.object = f"*Not enough data for this view yet: {html.escape(str(exc))}*"
            self._message.visible = True
            for pane in (self._picks, self._plot, self._table, self._assumptions):
                pane.visible = False
            return
        table = self.table(rec)
        self._message.visible = False
        self._table.value = tables.options_table(table, rec.currency)  # the answer first
        self._table.visible = True
        rest = functools.partial(self._update_rest, rec, table)
        pn.state.execute(rest, schedule=True) if schedule else rest()

    def _update_rest(self, rec, table: pd.DataFrame) -> None:
        import holoviews as hv

        cost = f"cost_{rec.currency}"
        points = table[["seconds", cost, "instance", "count", "workers"]]
        if self._points is None or self._points.data.columns[1] != cost:
            self._points = hv.streams.Pipe(data=points)
            self._plot.object = hv.DynamicMap(self._scatter, streams=[self._points])
        else:
            self._points.send(points)
        picks = []
        if rec.cheapest_meeting_deadline:
            o = rec.cheapest_meeting_deadline
            picks.append(
                f"Cheapest meeting the deadline: {o.count} x {o.instance} "
                f"({fmt_seconds(o.seconds)}, {fmt_number(o.cost)} {rec.currency} per run)"
            )
        if rec.fastest_within_budget:
            o = rec.fastest_within_budget
            picks.append(
                f"Fastest within budget: {o.count} x {o.instance} ({fmt_seconds(o.seconds)})"
            )
        picks.append(f"Knee (efficiency >= 50%): {rec.knee_workers} workers")
        picks.append(f"Single process vs cluster: {rec.baseline_note}")
        gpu = (
            "CPU and GPU options both measured."
            if (self._records()["backend"] == "gpu").any()
            else "GPU options appear once the study has GPU runs (backend cuda)."
        )
        self._picks.object = "\n".join(f"- {html.escape(p)}" for p in [*picks, gpu])
        self._assumptions.object = "**Assumptions**\n" + "\n".join(
            f"- {html.escape(a)}" for a in rec.assumptions
        )
        for pane in (self._picks, self._plot, self._assumptions):
            pane.visible = True

    @staticmethod
    def _scatter(data: pd.DataFrame):
        import holoviews as hv
        from bokeh.models import NumeralTickFormatter

        return hv.Points(
            data, kdims=["seconds", data.columns[1]], vdims=["instance", "count", "workers"]
        ).opts(
            color="instance",
            cmap="Category10",
            size=8,
            logx=True,
            logy=True,
            tools=["hover"],
            show_legend=True,
            legend_position="right",
            responsive=True,
            height=340,
            title="Options: predicted time vs cost per run",
            xlabel="predicted time (s)",
            ylabel=f"cost per run ({data.columns[1].removeprefix('cost_')})",
            yformatter=NumeralTickFormatter(format="0.[0000]"),  # 0.01, not 10^-2
            **_CANVAS,
        )


@functools.lru_cache(maxsize=1)
def _catalog():
    # The packaged instance catalog, parsed once per process.
    return load_catalog()


class RunsView(_View):
    """Every record, filterable, with failures and their reasons; CSV download."""

    COLUMNS = (
        "study",
        "workload",
        "runner",
        "size",
        "n_workers",
        "repeat",
        "status",
        "wall_s",
        "throughput",
        "work_unit",
        "peak_memory_bytes",
        "bytes_transferred",
        "bytes_spilled",
        "gpu_utilization",
        "gpu_memory_peak_bytes",
        "gpu_bytes_spilled",
        "error_type",
        "error_message",
        "timestamp",
    )

    def table(self) -> pd.DataFrame:
        df = self._records()
        if not len(df):
            return pd.DataFrame()
        # GPU columns only where some run measured them (CPU studies leave them empty).
        shown = [c for c in self.COLUMNS if c in df]
        return df[[c for c in shown if not (c.startswith("gpu_") and df[c].isna().all())]]

    def csv(self) -> io.StringIO:
        return io.StringIO(self.table().to_csv(index=False))

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        if table.empty:
            return _empty("No records match the filters.")
        counts = table.groupby(["status"]).size().rename("runs").reset_index()
        plot = counts.hvplot.bar(x="status", y="runs", title="Runs by status", height=220).opts(
            **_CANVAS
        )
        view = tables.runs_table(table)
        return pn.Column(  # stretch_width: the wide table scrolls inside the main area
            _pane(plot),
            pn.widgets.FileDownload(callback=self.csv, filename="runs.csv", label="Download CSV"),
            pn.widgets.Tabulator(
                view,
                pagination="local",
                page_size=20,
                disabled=True,
                header_filters=True,
                show_index=False,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )


class CompareView(_View):
    """Two studies, point by point: ratios of median time, regressions flagged."""

    baseline = param.Selector(default=None, objects=[], check_on_set=False)
    candidate = param.Selector(default=None, objects=[], check_on_set=False)
    sigmas = param.Number(default=3.0, bounds=(0, None), doc="regression threshold")

    def __init__(self, **params):
        super().__init__(**params)
        studies = list(self.store.param.studies.objects)
        self.param.baseline.objects = studies
        self.param.candidate.objects = studies
        if studies:
            if self.baseline not in studies:
                self.baseline = studies[0]
            if self.candidate not in studies:
                self.candidate = studies[-1]

    def table(self) -> pd.DataFrame:
        if not (
            self.store.is_study(self.baseline or "") and self.store.is_study(self.candidate or "")
        ):
            return pd.DataFrame()
        a = dask_runs(self.store.store.load(self.baseline))
        b = dask_runs(self.store.store.load(self.candidate))
        if a.empty or b.empty:
            return pd.DataFrame()
        keys = ["size", "n_workers"]
        sa = a.groupby(keys)["wall_s"].agg(base_median="median", base_mean="mean", base_std="std")
        sb = b.groupby(keys)["wall_s"].agg(new_median="median")
        both = sa.join(sb, how="inner").reset_index()
        both["ratio"] = both["new_median"] / both["base_median"]
        limit = both["base_mean"] + self.sigmas * both["base_std"].fillna(0)
        both["regression"] = both["new_median"] > limit
        return both

    def __panel__(self):
        widgets = pn.Row(
            pn.widgets.Select.from_param(self.param.baseline, label="Baseline study"),
            pn.widgets.Select.from_param(self.param.candidate, label="Candidate study"),
            pn.widgets.FloatInput.from_param(self.param.sigmas, label="Regression: sigmas"),
        )
        return pn.Column(
            widgets,
            _lazy(self._render, self.param.baseline, self.param.candidate, self.param.sigmas),
            sizing_mode="stretch_width",
        )

    @_guarded
    def _render(self, *_):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        if table.empty:
            return _empty("Pick two studies with successful runs at the same sizes and workers.")
        table = table.assign(
            point=[
                f"{fmt_number(s)} x {w}w"
                for s, w in zip(table["size"], table["n_workers"], strict=True)
            ]
        )
        plot = table.hvplot.bar(
            x="point",
            y="ratio",
            color="regression",
            rot=45,
            title="Candidate / baseline median time (1 = same)",
            cmap={True: "crimson", False: "steelblue"},
        ).opts(**_CANVAS)
        flagged = int(table["regression"].sum())
        note = (
            f"**{flagged} regression(s)**: slower than the baseline's mean + "
            f"{self.sigmas:g} standard deviations of its repeats."
            if flagged
            else "No regressions beyond the threshold."
        )
        return pn.Column(
            pn.pane.Markdown(note),
            _pane(plot),
            _table(tables.compare_table(table)),
            sizing_mode="stretch_width",
        )


class AIWorkloadsView(_View):
    """Training strategies, precision, serving latency and the autoscaling timeline:
    each section appears when the chosen studies have those runs."""

    def sections(self) -> list[tuple[str, object]]:
        df = self._records()
        out: list[tuple[str, object]] = []
        if len(df) == 0:
            return out
        strategies = strategy_table(df)
        if len(strategies):
            out.append(("Training strategies", ai_plots.strategy_time(df)))
            if (strategies["n_workers"] > 1).any():
                out.append(("Communication per step", ai_plots.strategy_bytes(df)))
        precision = precision_table(df)
        if len(precision) and precision["precision"].nunique() > 1:
            out.append(("Precision", ai_plots.precision(df)))
        if len(latency_table(df)):
            out.append(("Serving latency", ai_plots.latency(df)))
        for study in self.store.studies:
            doc = self.store.autoscale(study)
            if doc:
                out.append((f"Autoscaling ({study})", ai_plots.autoscale_timeline(doc)))
        return out

    def __panel__(self):
        return _lazy(self._render, self.store.param.records)

    @_guarded
    def _render(self, _records):
        sections = self.sections()
        if not sections:
            return _empty(
                "No AI-workload runs in these studies: the train workload (strategies, "
                "precision), serve (latency) or an autoscaling experiment show up here."
            )
        items = []
        for title, plot in sections:
            items += [pn.pane.Markdown(f"### {html.escape(title)}"), _pane(plot)]
        return pn.Column(*items, sizing_mode="stretch_width")
