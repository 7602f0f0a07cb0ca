"""Training workloads side by side: time, throughput and the final training metric against
the single-process model's, for notebook ``07_ml_training``.

Usage (in a notebook)::

    from scaling_lib.notebook import ml_views as mv
    frames = {w: sl.load_results(results, f"ml-{w}") for w in ("xgboost", "lightgbm", "train")}
    table = mv.comparison_table(frames)   # one row per workload x size x runner x workers
    mv.comparison(table)                  # the table, in human units
    mv.metric_agreement(table)            # does each Dask model match the baseline's?
    mv.throughput_plot(table)             # throughput vs workers, one line per workload

``comparison_table`` is a plain DataFrame (tested without a kernel); the others return
what Jupyter renders. The final metric is each workload's ``check``: the training log
loss for ``xgboost`` and ``lightgbm``, the mean squared error for ``train`` (the NumPy
MLP). Throughput is rows x rounds (or samples x steps) per second.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from scaling_lib.notebook.views import markdown
from scaling_lib.present.analysis import fmt_ratio, fmt_throughput
from scaling_lib.units import MISSING, fmt_number, fmt_percent, fmt_seconds
from scaling_lib.workloads import lgbm, xgb

__all__ = ["TOLERANCES", "comparison", "comparison_table", "metric_agreement", "throughput_plot"]

# How far (relative) a Dask run's final metric may be from the single-process model's,
# and why, in each workload's docstring. ``train`` computes the same sums in another
# order: equal to rounding (the integration tests hold it to 1e-9).
TOLERANCES = {"xgboost": xgb.LOGLOSS_TOLERANCE, "lightgbm": lgbm.LOGLOSS_TOLERANCE, "train": 1e-6}

_METRIC = {"xgboost": "log loss", "lightgbm": "log loss", "train": "MSE"}


def comparison_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Medians per workload, size, runner and worker count, beside the baseline's.

    ``frames`` maps a workload name to its study's records. Columns: ``workload``,
    ``runner``, ``size``, ``n_workers``, ``wall_s``, ``throughput``, ``unit``,
    ``metric``, ``baseline_metric``, ``metric_difference`` (relative),
    ``speedup_vs_baseline``, ``repeats``. Only runs with status ok count.
    """
    rows = []
    for workload, df in frames.items():
        ok = df[df["status"] == "ok"]
        if ok.empty:
            continue
        base = ok[ok["runner"] == "baseline"].groupby("size")[["wall_s", "check"]].median()
        for (runner, size, workers), g in ok.groupby(["runner", "size", "n_workers"]):
            metric = g["check"].median()
            has_base = size in base.index
            ref = base.loc[size, "check"] if has_base else float("nan")
            rows.append(
                {
                    "workload": workload,
                    "runner": runner,
                    "size": size,
                    "n_workers": workers,
                    "wall_s": g["wall_s"].median(),
                    "throughput": g["throughput"].median(),
                    "unit": str(g["work_unit"].iloc[0]),
                    "metric": metric,
                    "baseline_metric": ref,
                    "metric_difference": abs(metric - ref) / abs(ref) if ref else float("nan"),
                    "speedup_vs_baseline": (
                        base.loc[size, "wall_s"] / g["wall_s"].median() if has_base else None
                    ),
                    "repeats": len(g),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    # The baseline first in each workload and size, then the Dask runs by worker count.
    order = table["runner"].ne("baseline")
    return (
        table.assign(_order=order)
        .sort_values(["workload", "size", "_order", "n_workers"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def comparison(table: pd.DataFrame):
    """The comparison table for people: units, 3 significant digits, no index."""
    from scaling_lib.notebook.views import styled

    if table.empty:
        return markdown("_No successful runs to compare._")
    units = zip(table["throughput"], table["unit"], strict=True)
    shown = pd.DataFrame(
        {
            "workload": table["workload"],
            "size": table["size"].map(fmt_number),
            "workers": [
                "1 process" if r == "baseline" else fmt_number(w)
                for r, w in zip(table["runner"], table["n_workers"], strict=True)
            ],
            "time (median)": table["wall_s"].map(fmt_seconds),
            "throughput": [fmt_throughput(x, u) for x, u in units],
            "vs baseline": table["speedup_vs_baseline"].map(fmt_ratio),
            "final metric": [
                f"{_metric(x)} ({_METRIC.get(w, 'check')})"
                for x, w in zip(table["metric"], table["workload"], strict=True)
            ],
            "baseline's": table["baseline_metric"].map(_metric),
            "difference": table["metric_difference"].map(fmt_percent),
        }
    )
    return styled(shown, caption="Training: time, throughput and final metric vs one process")


def metric_agreement(table: pd.DataFrame):
    """One line per workload: do its Dask models match the single-process model?"""
    lines = ["**Does the distributed model match the single-process one?**", ""]
    dask = table[table["runner"] == "dask"] if not table.empty else table
    for workload, g in dask.groupby("workload") if not dask.empty else []:
        tolerance = TOLERANCES.get(workload)
        worst = g["metric_difference"].max()
        if pd.isna(worst):
            lines.append(f"- **{workload}**: no baseline measured, nothing to compare.")
        elif tolerance is None:
            lines.append(f"- **{workload}**: at most {_rel(worst)} from the baseline.")
        elif worst <= tolerance:
            lines.append(
                f"- **{workload}**: yes, at most {_rel(worst)} apart at every point "
                f"(tolerance {_rel(tolerance)})."
            )
        else:
            at = g.loc[g["metric_difference"].idxmax()]
            lines.append(
                f"- **{workload}**: **no**: {_rel(worst)} apart at {fmt_number(at['size'])} "
                f"rows on {fmt_number(at['n_workers'])} workers, beyond the tolerance "
                f"{_rel(tolerance)}: look at that run before trusting its time."
            )
    return markdown("\n".join(lines))


def throughput_plot(table: pd.DataFrame):
    """Median throughput vs workers, one line per workload (and size), log scale."""
    from scaling_lib.present.plots import CANVAS, load_hvplot, worker_ticks

    load_hvplot()
    dask = table[table["runner"] == "dask"] if not table.empty else table
    if dask.empty:
        import holoviews as hv

        return hv.Div("<p>No Dask training runs to plot.</p>")
    sizes = dask["size"].nunique() > 1
    dask = dask.assign(
        run=dask["workload"] + (", " + dask["size"].map(fmt_number) + " rows" if sizes else "")
    )
    ticks = worker_ticks(dask["n_workers"])
    line = dask.hvplot.line(
        x="n_workers", y="throughput", by="run", logy=True, height=320, width=520,
        title="Training throughput vs workers", xlabel="workers",
        ylabel="rows x rounds per second", xticks=ticks,
    )  # fmt: skip
    dots = dask.hvplot.scatter(
        x="n_workers", y="throughput", by="run", size=40, legend=False, xticks=ticks
    )
    return (line * dots).opts(xticks=ticks, **CANVAS)


def _metric(x) -> str:
    return MISSING if pd.isna(x) else f"{x:.4g}"


def _rel(x: float) -> str:
    """A relative difference: percent where readable, else scientific (1e-09)."""
    if x == 0:
        return "0"
    return fmt_percent(x) if x >= 1e-3 else f"{x:.0e}"
