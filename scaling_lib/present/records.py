"""Tables of what the store holds, for ``scaling-lib ls`` and ``show`` and the notebooks.

Usage::

    list_studies("data/results")            # one row per study
    summarize_study("data/results", "quick") # one row per point: medians over repeats
    human_summary(summarize_study(...))      # the same, as people read it: units, 3 digits
    off_trend_lines(summarize_study(...))    # the points off their neighbours' trend

``summarize_study`` keeps raw numbers (``show --json`` prints them); ``human_summary``
and ``human_studies`` are what the terminal and the notebooks show. A point whose cost
per unit of work departs from its neighbours' (``analysis.off_trend``) carries its ratio,
whether the time model leaves it out, and the sentence naming its cause.
"""

from __future__ import annotations

import pandas as pd

from scaling_lib.analysis.off_trend import off_trend_points
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.present.analysis import fmt_ratio, fmt_throughput, human_frame
from scaling_lib.store.records import ResultsStore
from scaling_lib.units import MISSING, fmt_bytes, fmt_number, fmt_seconds

__all__ = ["human_studies", "human_summary", "list_studies", "off_trend_lines", "summarize_study"]

_STATUS_ORDER = ("ok", "failed", "oom", "timeout", "worker-lost")


def list_studies(results: str) -> pd.DataFrame:
    """Studies with their workload, point and run counts, and runs per status."""
    store = ResultsStore(results)
    rows = []
    for study in store.studies():
        df = store.load(study)
        if df.empty:
            continue
        row = {
            "study": study,
            "workload": ",".join(sorted(df["workload"].unique())),
            "points": df["point_id"].nunique(),
            "runs": len(df),
        }
        counts = df["status"].value_counts()
        row.update({s: int(counts.get(s, 0)) for s in _STATUS_ORDER})
        row["last_run"] = df["timestamp"].max().strftime("%Y-%m-%d %H:%M")
        rows.append(row)
    return pd.DataFrame(rows)


def summarize_study(results: str, study: str) -> pd.DataFrame:
    """Per point: runs, statuses, median and spread of wall time, throughput, memory, and
    whether its cost per unit of work is off its neighbours' trend."""
    df = ResultsStore(results).load_study(study)
    flags = {(p.size, p.n_workers): p for p in off_trend_points(dask_runs(df))}
    keys = ["runner", "size", "n_workers"]
    rows = []
    for (runner, size, workers), g in df.groupby(keys, sort=True):
        ok = g[g["status"] == "ok"]
        wall = ok["wall_s"]
        row = {
            "runner": runner,
            "size": size,
            "workers": workers,
            "runs": len(g),
            "status": ",".join(f"{s}:{n}" for s, n in g["status"].value_counts().items()),
            "wall_s_median": wall.median() if len(ok) else None,
            "wall_s_spread": (wall.max() - wall.min()) if len(ok) else None,
            "throughput_median": ok["throughput"].median() if len(ok) else None,
            "unit": f"{ok['work_unit'].iloc[0]}/s" if len(ok) else "",
            "compute_s_median": ok["compute_s"].median() if len(ok) else None,
            "transfer_MB_median": ok["bytes_transferred"].median() / 1e6 if len(ok) else None,
            "peak_mem_MB_median": ok["peak_memory_bytes"].median() / 1e6 if len(ok) else None,
        }
        errors = g.loc[g["status"] != "ok", "error_message"].dropna()
        row["reason"] = errors.iloc[-1][:80] if len(errors) else ""
        flag = flags.get((size, workers)) if runner == "dask" else None
        row["off_trend_ratio"] = flag.ratio if flag else None
        row["off_trend_left_out"] = flag.left_out if flag else None
        row["off_trend"] = flag.text if flag else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _text(x) -> str:
    return MISSING if x is None or x != x else str(x)


def _megabytes(x) -> str:
    return fmt_bytes(None if x is None else x * 1e6)


_SUMMARY = {
    "runner": ("runner", _text),
    "size": ("size", fmt_number),
    "workers": ("workers", _text),
    "runs": ("runs", fmt_number),
    "status": ("status", _text),
    "wall_s_median": ("time (median)", fmt_seconds),
    "wall_s_spread": ("spread", fmt_seconds),
    "throughput": ("throughput", _text),
    "compute_s_median": ("compute", fmt_seconds),
    "transfer_MB_median": ("moved between workers", _megabytes),
    "peak_mem_MB_median": ("peak memory", _megabytes),
    "reason": ("reason", _text),
    "off_trend_short": ("off trend", str),
}


def off_trend_lines(table: pd.DataFrame) -> list[str]:
    """The sentences naming the points off their neighbours' trend (``summarize_study``)."""
    return [t for t in table.get("off_trend", ()) if t]


def _off_trend_short(ratio, left_out) -> str:
    if ratio is None or ratio != ratio:
        return ""
    return f"{fmt_ratio(ratio)}, {'left out' if left_out else 'kept'}"


def human_summary(table: pd.DataFrame) -> pd.DataFrame:
    """``summarize_study``'s table with units and 3 significant digits, as strings."""
    if table.empty:
        return table
    table = table.assign(
        throughput=[
            fmt_throughput(x, unit)
            for x, unit in zip(table["throughput_median"], table["unit"], strict=True)
        ],
        # The single-process baseline has no Dask workers: '-' rather than a 0 that reads
        # like a cluster of none.
        workers=[
            "-" if runner == "baseline" else fmt_number(n)
            for runner, n in zip(table["runner"], table["workers"], strict=True)
        ],
    )
    if off_trend_lines(table):  # the column only where a point is off the trend
        table = table.assign(
            off_trend_short=[
                _off_trend_short(r, out)
                for r, out in zip(
                    table["off_trend_ratio"], table["off_trend_left_out"], strict=True
                )
            ]
        )
    return human_frame(table, _SUMMARY)


def human_studies(table: pd.DataFrame) -> pd.DataFrame:
    """``list_studies``'s table with counts formatted (thousands separators)."""
    if table.empty:
        return table
    columns = {c: (c.replace("_", " "), fmt_number) for c in table.columns}
    columns.update({c: (c.replace("_", " "), _text) for c in ("study", "workload", "last_run")})
    return human_frame(table, columns)
