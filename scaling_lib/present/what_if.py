"""A study's what-if for people: its findings in sentences (where efficiency drops, where
the gain stops, transfers, memory, agreement with the measurements and the fitted law),
its table and the text ``scaling-lib what-if`` prints.

Usage::

    from scaling_lib.present.what_if import findings, what_if_frame, what_if_text

    sim = what_if_study("quick", workers=[1, 4, 16, 64])
    for line in findings(sim):
        print(line)                    # Markdown sentences, each computed from the rows
    what_if_frame(sim.to_dict())       # one formatted row per target

Pure text from ``what_if.StudyWhatIf`` (or its ``to_dict()``); the notebook's
``what_if_views.simulation_findings`` shows them as a list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from scaling_lib.present.analysis import fmt_ratio
from scaling_lib.units import MISSING, fmt_bytes, fmt_number, fmt_percent, fmt_seconds

__all__ = ["findings", "interval_text", "new_shape_note", "what_if_frame", "what_if_text"]

EFFICIENCY_FLOOR = 0.5
ENOUGH_GAIN = 0.10  # more workers that cut the time by less than this are not worth it


def as_dict(sim: Any) -> Mapping[str, Any]:
    return sim.to_dict() if hasattr(sim, "to_dict") else sim


def is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def workers_text(n: Any) -> str:
    return f"{int(n)} worker" if int(n) == 1 else f"{int(n)} workers"


def interval_text(value: Any, low: Any, high: Any) -> str:
    """``'0.5 s [0.4 s - 0.6 s]'``; '-' without a value."""
    if is_missing(value):
        return MISSING
    return f"{fmt_seconds(value)} [{fmt_seconds(low)} - {fmt_seconds(high)}]"


def findings(sim: Any) -> list[str]:
    """Sentences (Markdown) computed from the simulated rows: efficiency, where the gain
    stops, transfers, memory, agreement with the measurements and with the fitted law."""
    doc = as_dict(sim)
    rows = sorted(doc["targets"], key=lambda r: r["n_workers"])
    if not rows:
        return []
    out = [_efficiency(rows), _gain(rows), _transfers(rows), _memory(rows)]
    out += [_against_measured(rows, doc["measured"]), _against_law(rows)]
    return [line for line in out if line]


def _efficiency(rows: list[Mapping[str, Any]]) -> str:
    low = [
        r for r in rows if not is_missing(r["efficiency"]) and r["efficiency"] < EFFICIENCY_FLOOR
    ]
    if not low:
        return (
            f"Simulated parallel efficiency stays at or above {fmt_percent(EFFICIENCY_FLOOR)} "
            f"up to {workers_text(rows[-1]['n_workers'])}, the most simulated."
        )
    r = low[0]
    return (
        f"Simulated parallel efficiency drops under {fmt_percent(EFFICIENCY_FLOOR)} at "
        f"**{workers_text(r['n_workers'])}** ({fmt_percent(r['efficiency'])}, speedup "
        f"{fmt_ratio(r['speedup'])} over one worker)."
    )


def _gain(rows: list[Mapping[str, Any]]) -> str:
    best = min(rows, key=lambda r: r["simulated_s"])
    enough = next(r for r in rows if r["simulated_s"] <= best["simulated_s"] * (1 + ENOUGH_GAIN))
    if enough["n_workers"] == rows[-1]["n_workers"]:
        return (
            f"The simulated time still falls at {workers_text(rows[-1]['n_workers'])} "
            f"({fmt_seconds(rows[-1]['simulated_s'])}): more workers may still help."
        )
    return (
        f"Most of the gain is had by **{workers_text(enough['n_workers'])}** "
        f"({fmt_seconds(enough['simulated_s'])}): more workers cut the simulated time by "
        f"less than {fmt_percent(ENOUGH_GAIN)} further (best {fmt_seconds(best['simulated_s'])} "
        f"at {workers_text(best['n_workers'])})."
    )


def _transfers(rows: list[Mapping[str, Any]]) -> str:
    busiest = max(rows, key=lambda r: r["transfer_share"] or 0.0)
    if not busiest["transfer_share"]:
        return "No data moves between workers in any of these simulations."
    return (
        f"Transfers are busiest at **{workers_text(busiest['n_workers'])}**: data is arriving "
        f"during {fmt_percent(busiest['transfer_share'])} of the workers' time "
        f"({fmt_bytes(busiest['bytes_moved'])} moved)."
    )


def _memory(rows: list[Mapping[str, Any]]) -> str:
    first, last = rows[0], rows[-1]
    if first is last:
        return ""
    return (
        f"Peak memory per worker: {fmt_bytes(first['peak_memory_per_worker_bytes'])} on "
        f"{workers_text(first['n_workers'])}, {fmt_bytes(last['peak_memory_per_worker_bytes'])} "
        f"on {workers_text(last['n_workers'])} (the largest worker's peak, median over replays)."
    )


def _against_measured(rows: list[Mapping[str, Any]], measured: Mapping[Any, float]) -> str:
    by_p = {int(p): float(s) for p, s in measured.items()}
    parts = []
    for r in rows:
        s = by_p.get(r["n_workers"])
        if s is None:
            continue
        lo, hi = r["simulated_low"], r["simulated_high"]
        where = "inside" if lo <= s <= hi else ("below" if s < lo else "above")
        parts.append(
            f"{workers_text(r['n_workers'])}: measured {fmt_seconds(s)}, simulated "
            f"{interval_text(r['simulated_s'], lo, hi)} ({where} the interval)"
        )
    if not parts:
        return ""
    return "Check against the measurements at this size: " + "; ".join(parts) + "."


def _against_law(rows: list[Mapping[str, Any]]) -> str:
    compared = [r for r in rows if r.get("disagree") is not None]
    if not compared:
        return "No fitted T(n, p) to compare with (too few measured points for a time model)."
    apart = [r for r in compared if r["disagree"]]
    if not apart:
        return (
            "The simulation and the fitted T(n, p) agree within their intervals at every "
            "target: the law's shape fits the graph over this range."
        )
    r = apart[-1]
    counts = ", ".join(str(x["n_workers"]) for x in apart)
    return (
        f"The simulation and the fitted T(n, p) **disagree** at {counts} workers, beyond "
        f"both intervals (at {workers_text(r['n_workers'])}: simulated "
        f"{interval_text(r['simulated_s'], r['simulated_low'], r['simulated_high'])}, fitted "
        f"{interval_text(r['fitted_s'], r['fitted_low'], r['fitted_high'])}): the law assumes "
        "a division of time over workers that the measured graph does not have."
    )


# -- a study's what-if as a table and as text ---------------------------------------------


def what_if_frame(sim: dict[str, Any]) -> pd.DataFrame:
    """One row per target, formatted (``sim`` is ``StudyWhatIf.to_dict()``)."""
    rows = []
    for r in sim["targets"]:
        rows.append(
            {
                "workers": f"{r['n_workers']} x {r['threads_per_worker']}",
                "simulated": interval_text(
                    r["simulated_s"], r["simulated_low"], r["simulated_high"]
                ),
                "speedup": fmt_ratio(r["speedup"]),
                "efficiency": fmt_percent(r["efficiency"]),
                "transfer share": fmt_percent(r["transfer_share"]),
                "peak memory / worker": fmt_bytes(r["peak_memory_per_worker_bytes"]),
                "fitted T(n, p)": interval_text(
                    r.get("fitted_s"), r.get("fitted_low"), r.get("fitted_high")
                ),
                "disagree": {True: "yes", False: "no", None: "-"}[r.get("disagree")],
            }
        )
    return pd.DataFrame(rows)


def what_if_text(sim: dict[str, Any]) -> str:
    """What ``scaling-lib what-if`` prints."""
    cal = sim["constants"]
    measured = ", ".join(f"{p} worker(s) {fmt_seconds(s)}" for p, s in sim["measured"].items())
    lines = [
        f"study {sim['study']}: what-if at size {fmt_number(sim['size'])}, "
        f"{sim['method']} at {sim['source_workers']} worker(s)",
        f"measured at this size: {measured or '-'}",
        "constants: per-task {} on the worker, round trip {}, scheduler {} per task, "
        "transfer latency {}, bandwidth {}/s ({})".format(
            fmt_seconds(cal["task_overhead_s"]["value"]),
            fmt_seconds(cal["message_latency_s"]["value"]),
            fmt_seconds(cal["scheduler_overhead_s"]["value"]),
            fmt_seconds(cal["latency_s"]["value"]),
            fmt_bytes(cal["bandwidth_Bps"]["value"]),
            cal["bandwidth_Bps"]["source"],
        ),
        "",
        what_if_frame(sim).to_string(index=False),
    ]
    if any(r.get("disagree") for r in sim["targets"]):
        lines += [
            "",
            "disagree = yes: the simulation of the measured graph and the fitted law are "
            "further apart than both intervals; the law assumes a shape the graph does not have.",
        ]
    return "\n".join(lines)


def new_shape_note(shape: dict) -> str:
    """Under a full-dataset forecast: the tasks its graph has that no measured size ran
    (the fitted law cannot see their cost), and the size where they first appear."""
    unseen = shape.get("unseen_tasks") or {}
    if not unseen:
        return ""
    shown = ", ".join(f"{p} x{n}" for p, n in list(unseen.items())[:4])
    text = (
        f"\n  note: at the full dataset your function's graph has tasks no measured size ran "
        f"({shown}{', ...' if len(unseen) > 4 else ''}): neither the fitted law nor the "
        "what-if has measured their cost"
    )
    first = shape.get("first_size")
    if first is not None:
        text += f"; they first appear at size {first:.4g}: measure that size to time them"
    return text
