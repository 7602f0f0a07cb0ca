"""The what-if notebook's view of its inputs: the replayed trace and the measured constants.

Usage (through ``what_if_views``, which re-exports these)::

    wv.has_traces(records)            # any successful Dask run with a task trace?
    wv.trace_views(trace)             # tasks per prefix, transfers (the replayed run)
    wv.constants_table(constants)   # the simulator's constants, with their samples

Each view has a pure counterpart returning plain numbers (``prefix_summary``,
``transfer_summary``, ``constants_frame``) that the tests check.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scaling_lib.notebook.views import markdown
from scaling_lib.present.analysis import Columns
from scaling_lib.present.what_if import as_dict
from scaling_lib.units import fmt_bytes, fmt_number, fmt_percent, fmt_seconds

__all__ = [
    "PREFIXES",
    "TRANSFERS",
    "constants_frame",
    "constants_table",
    "has_traces",
    "prefix_summary",
    "prefix_table",
    "replayed_run",
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
    from scaling_lib.notebook.views import styled

    return styled(prefix_summary(trace), PREFIXES, caption="Tasks per prefix (one trace)")


def trace_views(trace: Any) -> Any:
    """A sentence about the run, its tasks per prefix and its transfers."""
    from scaling_lib.notebook.views import Views, styled

    transfers = styled(transfer_summary(trace), TRANSFERS, caption="Transfers between workers")
    return Views([markdown(_trace_sentence(trace)), prefix_table(trace), transfers])


# -- the measured constants --------------------------------------------------------------


def constants_frame(constants: Any) -> pd.DataFrame:
    """One row per constant of the simulated cluster: value, low, high, samples, source."""
    cal = constants.to_dict() if hasattr(constants, "to_dict") else constants
    rows = []
    for name, (label, meaning) in _CONSTANTS.items():
        est = cal[name]
        rows.append({"constant": name, "label": label, "meaning": meaning, **est})
    return pd.DataFrame(rows)


def _rate(bps: float) -> str:
    return f"{fmt_bytes(bps)}/s ({fmt_number(bps * 8 / 1e9)} Gbit/s)"


def constants_table(constants: Any) -> Any:
    """The measured constants for people, with the client's overhead below them."""
    from scaling_lib.notebook.views import Views, styled

    cal = constants.to_dict() if hasattr(constants, "to_dict") else constants
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
    table = styled(pd.DataFrame(rows), caption="Measured constants")
    left = [{"selector": "td, th", "props": [("text-align", "left")]}]
    table = table.set_table_styles({"what it is": left}, overwrite=False)
    return Views([table, markdown(note)])
