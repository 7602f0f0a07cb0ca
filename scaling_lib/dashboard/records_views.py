"""The record tabs: every run (with failures and a CSV download), two studies compared,
and the AI-workload sections (training strategies, precision, serving, autoscaling).

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    RunsView(store=store).csv()                              # the shown runs as CSV
    CompareView(store=store, baseline="a", candidate="b").table()
    AIWorkloadsView(store=store).sections()                  # (title, plot) per section
"""

from __future__ import annotations

import html
import io

import pandas as pd
import panel as pn
import param

from scaling_lib.analysis.ai_workloads import latency_table, precision_table, strategy_table
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.dashboard import tables
from scaling_lib.dashboard.view_base import (
    CANVAS,
    View,
    empty,
    guarded,
    lazy,
    plot_pane,
    text_table,
)
from scaling_lib.present import ai_plots
from scaling_lib.units import fmt_number

__all__ = [
    "AIWorkloadsView",
    "CompareView",
    "RunsView",
]


class RunsView(View):
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
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        if table.empty:
            return empty("No records match the filters.")
        counts = table.groupby(["status"]).size().rename("runs").reset_index()
        plot = counts.hvplot.bar(x="status", y="runs", title="Runs by status", height=220).opts(
            **CANVAS
        )
        view = tables.runs_table(table)
        return pn.Column(  # stretch_width: the wide table scrolls inside the main area
            plot_pane(plot),
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


class CompareView(View):
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
            lazy(self._render, self.param.baseline, self.param.candidate, self.param.sigmas),
            sizing_mode="stretch_width",
        )

    @guarded
    def _render(self, *_):
        import hvplot.pandas  # noqa: F401

        table = self.table()
        if table.empty:
            return empty("Pick two studies with successful runs at the same sizes and workers.")
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
        ).opts(**CANVAS)
        flagged = int(table["regression"].sum())
        note = (
            f"**{flagged} regression(s)**: slower than the baseline's mean + "
            f"{self.sigmas:g} standard deviations of its repeats."
            if flagged
            else "No regressions beyond the threshold."
        )
        return pn.Column(
            pn.pane.Markdown(note),
            plot_pane(plot),
            text_table(tables.compare_table(table)),
            sizing_mode="stretch_width",
        )


class AIWorkloadsView(View):
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
        return lazy(self._render, self.store.param.records)

    @guarded
    def _render(self, _records):
        sections = self.sections()
        if not sections:
            return empty(
                "No AI-workload runs in these studies: the train workload (strategies, "
                "precision), serve (latency) or an autoscaling experiment show up here."
            )
        items = []
        for title, plot in sections:
            items += [pn.pane.Markdown(f"### {html.escape(title)}"), plot_pane(plot)]
        return pn.Column(*items, sizing_mode="stretch_width")
