"""Plain tables of what the store holds, for ``scaling-lib ls`` and ``show``.

Usage::

    list_studies("data/results")            # one row per study
    summarize_study("data/results", "quick") # one row per point: medians over repeats
"""

from __future__ import annotations

import pandas as pd

from .store import ResultsStore

__all__ = ["list_studies", "summarize_study"]

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
    """Per point: runs, statuses, median and spread of wall time, throughput, memory."""
    df = ResultsStore(results).load_study(study)
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
        rows.append(row)
    return pd.DataFrame(rows)
