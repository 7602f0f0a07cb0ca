"""The Recommendations tab: ranked instance options for a target size, deadline and budget.

Usage::

    view = RecommendationsView(store=StudyStore(results="data/results", studies=["quick"]))
    view.target, view.deadline = 1e8, 600
    view.table()                                  # the ranked options as a DataFrame
"""

from __future__ import annotations

import functools
import html

import pandas as pd
import panel as pn
import param

from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.dashboard import tables
from scaling_lib.dashboard.view_base import CANVAS, View, default_target, lazy
from scaling_lib.simulate.study_recommendation import study_recommendation
from scaling_lib.units import fmt_number, fmt_seconds

__all__ = [
    "RecommendationsView",
]


class RecommendationsView(View):
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
            self.target = default_target(self._records())

    def recommendation(self):
        """The one ``scaling-lib recommend`` and the notebook show for these studies
        (``study_recommendation``, kept per records and widget values), on the
        filtered records."""
        return study_recommendation(
            self.store.store,
            list(self.store.studies),
            records=self._records(),
            size=self.target or 1.0,
            deadline_s=self.deadline or None,
            budget=self.budget or None,
            pricing=self.pricing,
        )

    def table(self, rec=None) -> pd.DataFrame:
        rec = rec or self.recommendation()
        return pd.DataFrame(
            [
                {
                    "instance": o.instance,
                    "provider": o.provider,
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
        widgets = pn.Row(  # 4 x 220 px: fits the main area beside the sidebar
            pn.widgets.FloatInput.from_param(self.param.target, label="Target size", width=220),
            pn.widgets.FloatInput.from_param(self.param.deadline, label="Deadline (s)", width=220),
            pn.widgets.FloatInput.from_param(self.param.budget, label="Budget per run", width=220),
            pn.widgets.Select.from_param(self.param.pricing, label="Pricing", width=220),
        )
        return pn.Column(widgets, lazy(self._first_show), sizing_mode="stretch_width")

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
        shown = tables.options_table(table, rec.currency)  # the answer first
        shown.insert(1, "provider", table["provider"])
        self._table.value = shown
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
                f"Cheapest meeting the deadline: {o.count} x {_named(o)} "
                f"({fmt_seconds(o.seconds)}, {fmt_number(o.cost)} {rec.currency} per run)"
            )
        if rec.fastest_within_budget:
            o = rec.fastest_within_budget
            picks.append(
                f"Fastest within budget: {o.count} x {_named(o)} ({fmt_seconds(o.seconds)})"
            )
        picks.append(f"Knee (efficiency >= 50%): {rec.knee_workers} workers")
        # A forecast too wide to act on says so, with what would narrow it (the top option's).
        if rec.options and rec.options[0].too_wide:
            picks.insert(0, f"Forecast too wide: {rec.options[0].too_wide}")
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
            **CANVAS,
        )


def _named(option) -> str:
    """'aws m7i.large': the option's instance beside its provider, where the catalog names one."""
    return " ".join(filter(None, (option.provider, option.instance)))
