"""The advisor's answer for people: the next measurement beside the forecast.

Usage::

    print(advice_text(report.as_dict()))      # the table scaling-lib advise prints
    advice_line(report.as_dict())             # the one line analyze adds to a forecast
    advice_table(report.as_dict())            # a DataFrame for notebooks and the dashboard

Pure: the advice's plain data in, text and tables out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from scaling_lib.units import fmt_number, fmt_seconds

__all__ = ["advice_line", "advice_table", "advice_text"]

_SHOWN = 8  # candidates a table shows, best first


def advice_line(advice: Mapping[str, Any]) -> str:
    """'Next measurement: ...' (the best candidate), why nothing within reach helps, or
    why there is no advice (``unavailable``: too few points for a time model)."""
    if advice.get("unavailable"):
        return f"Next measurement: {advice['unavailable']}"
    if advice.get("out_of_reach"):
        return f"Next measurement: {advice['out_of_reach']}"
    best = advice.get("best")
    return f"Next measurement: {best}" if best else ""


def advice_table(advice: Mapping[str, Any], top: int = _SHOWN) -> pd.DataFrame:
    """The ranked candidates, in human units; those beyond reach after them."""
    rows = []
    for where, key in (("this machine", "candidates"), ("bigger machine", "beyond_reach")):
        for c in list(advice.get(key) or [])[:top]:
            rows.append(
                {
                    "measure": f"{fmt_number(c['size'])} on {c['n_workers']} worker(s)",
                    "kind": c["kind"],
                    "where": where,
                    "cost": fmt_seconds(c["cost_s"]),
                    "expected 90% interval": (
                        f"{fmt_seconds(c['expected_low'])}-{fmt_seconds(c['expected_high'])}"
                    ),
                    "width": f"{fmt_number(c['expected_width'])}x",
                    "narrowing / min": f"{60 * c['narrowing_per_s']:.2f}",
                }
            )
    return pd.DataFrame(rows)


def advice_text(advice: Mapping[str, Any], top: int = _SHOWN) -> str:
    """``scaling-lib advise``'s output: the forecast now, the table, the line."""
    t, now = advice["target"], advice["now"]
    head = (
        f"Forecast at {fmt_number(t['size'])} on {t['n_workers']} workers: "
        f"{fmt_seconds(now['seconds'])} [{fmt_seconds(now['low'])}, "
        f"{fmt_seconds(now['high'])}], {fmt_number(advice['width'])}x wide (90% interval)"
    )
    table = advice_table(advice, top)
    body = table.to_string(index=False) if len(table) else "(no candidates)"
    note = (
        "narrowing: the log of the interval's width (high / low) it is expected to remove; "
        "ranked by narrowing per second of measuring"
    )
    return "\n".join([head, "", body, "", note, advice_line(advice)])
