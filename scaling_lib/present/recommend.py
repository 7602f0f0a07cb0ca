"""Recommendations for people: the ranked options as a table, the picks and the target.

Usage::

    r = recommendation_dict(recommend(df, catalog, size=2e7, deadline_s=600, budget=5.0))
    print(recommendation_text(r, top=10))          # ``scaling-lib recommend``
    option_rows(r, top=10)                         # the options as a DataFrame of strings
    target_line(r), pick_line(r["cheapest_meeting_deadline"], "Cheapest", r["currency"])

Takes the JSON form of a ``Recommendation`` (``analysis.report.recommendation_dict``),
so the CLI, the notebooks (``notebook_views``) and the dashboard show the same figures
the same way. ``presentation`` re-exports every name here. Depends on ``formatting``
only (not on ``presentation``, which imports this module).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from scaling_lib.units import MISSING, fmt_bytes, fmt_number, fmt_percent, fmt_seconds

__all__ = ["option_rows", "pick_line", "recommendation_text", "split_too_wide", "target_line"]


def _money(x: Any, currency: str) -> str:
    missing = x is None or (isinstance(x, float) and math.isnan(x))
    return MISSING if missing else f"{fmt_number(x)} {currency}"


def option_rows(r: dict, top: int = 10) -> pd.DataFrame:
    """The best ``top`` options of a recommendation, formatted for people."""
    cur = r["currency"]
    rows = []
    for o in r["options"][:top]:
        peak = o["predicted_peak_gib"]
        rows.append(
            {
                "instance": o["instance"],
                "provider": o.get("provider") or MISSING,
                "count": fmt_number(o["count"]),
                "workers": fmt_number(o["workers"]),
                "time [interval]": f"{fmt_seconds(o['seconds'])} "
                f"[{fmt_seconds(o['seconds_low'])}, {fmt_seconds(o['seconds_high'])}]",
                "from": o.get("source", "fitted"),
                "start + prepare": fmt_seconds(o.get("overhead_s")),
                f"cost [interval] {cur}": f"{fmt_number(o['cost'])} "
                f"[{fmt_number(o['cost_low'])}, {fmt_number(o['cost_high'])}]",
                "memory/worker": fmt_bytes(o["memory_per_worker_gib"] * 2**30),
                "predicted peak (up to)": MISSING
                if peak is None
                else f"{fmt_bytes(peak * 2**30)} "
                f"({fmt_bytes((o.get('predicted_peak_high_gib') or peak) * 2**30)})",
                "efficiency": fmt_percent(o["efficiency"]),
                "fits": "yes" if o["feasible"] else "NO (memory)",
                "deadline": {True: "meets", False: "misses", None: MISSING}[o["meets_deadline"]],
                "budget": {True: "within", False: "over", None: MISSING}[o["within_budget"]],
            }
        )
    return pd.DataFrame(rows)


def pick_line(o: dict | None, what: str, currency: str) -> str:
    """'Cheapest meeting the deadline: 2 x aws m7i.large (4 workers), 12 s [...], 0.01 USD'."""
    if o is None:
        return f"{what}: none"
    return (
        f"{what}: {o['count']} x {_provider(o)}{o['instance']} ({o['workers']} workers), "
        f"{fmt_seconds(o['seconds'])} [{fmt_seconds(o['seconds_low'])}, "
        f"{fmt_seconds(o['seconds_high'])}], {_money(o['cost'], currency)}"
    )


def _provider(o: dict) -> str:
    return f"{o['provider']} " if o.get("provider") else ""


def target_line(r: dict) -> str:
    """'Target: 64,000 samples, deadline 60 s, budget 1 USD per run, on-demand prices'."""
    head = f"Target: {fmt_number(r['target_size'])} {r['size_unit']}"
    if r["deadline_s"] is not None:
        head += f", deadline {fmt_seconds(r['deadline_s'])}"
    if r["budget"] is not None:
        head += f", budget {_money(r['budget'], r['currency'])} per run"
    return head + f", {r['pricing'].replace('_', '-')} prices"


def recommendation_text(r: dict, top: int = 10) -> str:
    """``scaling-lib recommend``: the ranked options, the picks, warnings, assumptions."""
    cur = r["currency"]
    lines = [target_line(r), "", "Options (time and cost: prediction [interval])"]
    lines += [option_rows(r, top).to_string(index=False), ""]
    if r["deadline_s"] is not None:
        lines.append(
            pick_line(r["cheapest_meeting_deadline"], "Cheapest meeting the deadline", cur)
        )
    if r["budget"] is not None:
        lines.append(pick_line(r["fastest_within_budget"], "Fastest within budget", cur))
    if r["knee_workers"]:
        lines.append(f"Knee: parallel efficiency stays >= 50% up to {r['knee_workers']} workers")
    lines.append(f"Single process vs cluster: {r['baseline_note']}")
    wide, warnings = split_too_wide(r, top)
    if wide:
        lines += ["", f"Forecast too wide to act on (the first option): {wide}"]
    if warnings:
        lines += ["", "Warnings"] + [f"  - {w}" for w in warnings]
    lines += ["", "Assumptions"] + [f"  - {a}" for a in r["assumptions"]]
    return "\n".join(lines)


def split_too_wide(r: dict, top: int) -> tuple[str, list[str]]:
    """The first option's too-wide sentence (``analysis.narrowing``), and the warnings of
    the ``top`` options without those sentences (one per option, they repeat each other)."""
    wide = r["options"][0]["too_wide"] if r["options"] else ""
    rest = {w for o in r["options"][:top] for w in o["warnings"] if w != o["too_wide"]}
    return wide, sorted(rest)
