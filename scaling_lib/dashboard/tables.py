"""The tables the dashboard shows, formatted for people.

Usage::

    from scaling_lib.dashboard import tables
    tables.findings_table(diagnose(df))            # evidence as a sentence, not a dict
    tables.runs_table(RunsView(store=s).table())   # sortable, 3 significant digits

The views keep their raw DataFrames (notebooks and the CSV download want full
precision); these functions turn them into what a person reads. Static tables hold
text with units ('0.156 s', '1.5 GiB', '45.6%'). The interactive (Tabulator) tables keep
numbers so their columns still sort numerically: values are rounded to 3 significant
digits and the unit moves into the column name ('wall (s)', 'peak memory (MiB)').
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd

from scaling_lib.units import (
    MISSING,
    finding_cost,
    fmt_evidence,
    fmt_number,
    fmt_percent,
    fmt_seconds,
    is_missing,
)

__all__ = [
    "compare_table",
    "findings_table",
    "laws_table",
    "options_table",
    "round_sig",
    "runs_table",
    "weak_table",
]

MiB = 2**20


def round_sig(x, digits: int = 3):
    """A number rounded to ``digits`` significant digits, still a number (None stays None)."""
    if x is None or isinstance(x, bool):
        return x
    try:
        v = float(x)
    except (TypeError, ValueError):
        return x
    if math.isnan(v) or math.isinf(v):
        return v
    # Whole numbers stay ints, so a column of counts shows '2', not '2.0'.
    rounded = 0.0 if v == 0 else round(v, digits - 1 - math.floor(math.log10(abs(v))))
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def _times(x) -> str:
    """A factor: 3.68 -> '3.68x'."""
    text = fmt_number(x)
    return text if text == MISSING else f"{text}x"


def _yes_no(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    return "yes" if bool(x) else "no"


def _readable(df: pd.DataFrame, columns: dict[str, tuple[str, Callable]]) -> pd.DataFrame:
    """Only ``columns`` (raw name -> (shown name, formatter)), in that order."""
    out = {}
    for raw, (shown, fmt) in columns.items():
        if raw in df:
            out[shown] = [fmt(v) for v in df[raw]]
    return pd.DataFrame(out)


def laws_table(laws: pd.DataFrame) -> pd.DataFrame:
    """Amdahl and USL fits per size (from ``StrongScalingView.laws``)."""
    return _readable(
        laws,
        {
            "size": ("size", fmt_number),
            "amdahl_serial_fraction": ("serial fraction (Amdahl)", fmt_percent),
            "implied_serial_fraction": ("did not divide (observed)", fmt_percent),
            "max_speedup": ("speedup limit", _times),
            "usl_sigma": ("contention σ (USL)", fmt_number),
            "usl_kappa": ("coherency κ (USL)", fmt_number),
            "usl_peak_workers": ("peak at workers (USL)", fmt_number),
            "note": ("note", lambda v: v or ""),
        },
    )


def weak_table(weak: pd.DataFrame) -> pd.DataFrame:
    """Weak-scaling efficiency (from ``analysis.scaling.weak_scaling``)."""
    return _readable(
        weak,
        {
            "work_per_worker": ("work per worker", fmt_number),
            "size_per_worker": ("size per worker", fmt_number),
            "size": ("size", fmt_number),
            "n_workers": ("workers", fmt_number),
            "seconds": ("time (median)", fmt_seconds),
            "efficiency": ("efficiency", fmt_percent),
            "scaled_speedup": ("scaled speedup", _times),
        },
    )


def findings_table(findings: Iterable) -> pd.DataFrame:
    """The ranked diagnosis: each finding's figures as readable text, not a dict."""
    rows = [
        {
            "time lost": finding_cost(f),
            "bottleneck": f.name,
            "what the figures show": f.summary,
            "figures": fmt_evidence(f.evidence),
            "fix to try": f.fix,
        }
        for f in findings
    ]
    columns = ["time lost", "bottleneck", "what the figures show", "figures", "fix to try"]
    return pd.DataFrame(rows, columns=columns)


def compare_table(both: pd.DataFrame) -> pd.DataFrame:
    """Two studies point by point (from ``CompareView.table``)."""
    return _readable(
        both,
        {
            "size": ("size", fmt_number),
            "n_workers": ("workers", fmt_number),
            "base_median": ("baseline (median)", fmt_seconds),
            "base_std": ("baseline spread (std)", fmt_seconds),
            "new_median": ("candidate (median)", fmt_seconds),
            "ratio": ("candidate / baseline", _times),
            "regression": ("regression", _yes_no),
        },
    )


def options_table(options: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Ranked instance options (from ``RecommendationsView.table``): sortable numbers."""
    cost = f"cost_{currency}"
    out = pd.DataFrame(
        {
            "instance": options["instance"],
            "count": options["count"],
            "workers": options["workers"],
            "time (s)": options["seconds"].map(round_sig),
            "time interval": options["seconds_interval"],
            f"cost per run ({currency})": options[cost].map(round_sig),
            "memory fits": options["memory_ok"].map(_yes_no),
            "meets deadline": options["meets_deadline"].map(_yes_no),
            "within budget": options["within_budget"].map(_yes_no),
            "efficiency": options["efficiency"].map(fmt_percent),
        }
    )
    return out


RUN_COLUMNS: dict[str, tuple[str, Callable]] = {
    "study": ("study", str),
    "workload": ("workload", str),
    "runner": ("runner", str),
    "size": ("size", round_sig),
    "n_workers": ("workers", round_sig),
    "repeat": ("repeat", round_sig),
    "status": ("status", str),
    "wall_s": ("wall (s)", round_sig),
    "throughput": ("throughput (/s)", round_sig),
    "work_unit": ("unit", str),
    "peak_memory_bytes": ("peak memory (MiB)", lambda v: round_sig(v / MiB)),
    "bytes_transferred": ("transferred (MiB)", lambda v: round_sig(v / MiB)),
    "bytes_spilled": ("spilled (MiB)", lambda v: round_sig(v / MiB)),
    "gpu_utilization": ("GPU busy (%)", lambda v: round_sig(v * 100)),
    "gpu_memory_peak_bytes": ("GPU memory peak (MiB)", lambda v: round_sig(v / MiB)),
    "gpu_bytes_spilled": ("GPU spilled (MiB)", lambda v: round_sig(v / MiB)),
    "error_type": ("error", lambda v: v if isinstance(v, str) else ""),
    "error_message": ("reason", lambda v: v if isinstance(v, str) else ""),
    "timestamp": ("started", lambda v: _when(v)),
}


def _when(v) -> str:
    """A record's timestamp to the second, in UTC: '2026-11-24 12:00:00 UTC'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return MISSING
    t = pd.Timestamp(v)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def runs_table(records: pd.DataFrame) -> pd.DataFrame:
    """Every record for the Runs tab (from ``RunsView.table``): sortable numbers, units in
    the column names. Missing figures stay empty (NaN) so sorting still works."""
    out = {}
    for raw, (shown, fmt) in RUN_COLUMNS.items():
        if raw in records:
            out[shown] = [None if is_missing(v) else fmt(v) for v in records[raw]]
    return pd.DataFrame(out)
