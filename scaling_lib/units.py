"""Figures formatted for people: units, 3 significant digits, no dict dumps.

Usage::

    from scaling_lib.units import fmt_bytes, fmt_evidence, fmt_number, fmt_seconds

    fmt_seconds(0.15590003299985256)   # '0.156 s'
    fmt_bytes(3 * 2**30)               # '3 GiB'
    fmt_number(50000)                  # '50,000'
    fmt_evidence({"baseline_vs_dask_seconds": {"50000": {"baseline": 0.1559, "dask": 0.312}}})
    # 'baseline 0.156 s vs Dask 0.312 s at size 50,000'

Every function returns a str, and '-' for None or NaN, so a table cell never shows
'nan' or 'None'. Pure: no pandas, no Panel; the dashboard, the CLI and the notebooks
share it so a figure reads the same everywhere.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MISSING",
    "finding_cost",
    "fmt_bytes",
    "fmt_evidence",
    "fmt_number",
    "fmt_percent",
    "fmt_rate",
    "fmt_seconds",
]

MISSING = "-"
# Exact integers up to this size read better in full ("50,000") than rounded;
# 6 digits is also the most any cell in the dashboard shows.
_EXACT_INT_BELOW = 1_000_000
_BIG = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def is_missing(x: Any) -> bool:
    """None, NaN, pandas' NA or NaT: a figure that was not measured (lists are not)."""
    if x is None or type(x).__name__ in ("NAType", "NaTType"):  # pandas' NA and NaT
        return True
    try:
        return bool(x != x)  # NaN is the one value unequal to itself
    except (TypeError, ValueError):  # arrays and other values without one truth value
        return False


def _sig3(x: float) -> str:
    """3 significant digits, thousands separators, no exponent between 1e-4 and 1e15."""
    if x == 0:
        return "0"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= 1e15:
        return f"{x:.3g}"
    digits = 2 - math.floor(math.log10(abs(x)))
    rounded = round(x, digits)
    if abs(rounded) < 1e-4:
        return f"{x:.3g}"
    if digits <= 0:
        return f"{rounded:,.0f}"
    return f"{rounded:,.{digits}f}".rstrip("0").rstrip(".")


def fmt_number(x: Any) -> str:
    """A plain number for people: '50,000', '0.156', '1.23 million', '-' for None/NaN.

    Whole numbers below a million show in full with thousands separators (sizes,
    counts); anything else is rounded to 3 significant digits. Strings and other
    non-numbers come back as str(x).
    """
    if is_missing(x):
        return MISSING
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return str(x)
    x = float(x)
    if x.is_integer() and abs(x) < _EXACT_INT_BELOW:
        return f"{int(x):,}"
    for scale, word in _BIG:
        if scale <= abs(x) < 1e15:
            return f"{_sig3(x / scale)} {word}"
    return _sig3(x)


def fmt_seconds(x: Any) -> str:
    """A duration: '0.156 s', '5.2 ms', '85 µs', '2.5 min', '1.2 h'; '-' for None/NaN."""
    if is_missing(x):
        return MISSING
    x = float(x)
    ax = abs(x)
    if ax == 0:
        return "0 s"
    if ax < 1e-3:
        return f"{_sig3(x * 1e6)} µs"
    if ax < 1e-2:
        return f"{_sig3(x * 1e3)} ms"
    if ax < 120:
        return f"{_sig3(x)} s"
    if ax < 7200:
        return f"{_sig3(x / 60)} min"
    return f"{_sig3(x / 3600)} h"


def fmt_bytes(x: Any) -> str:
    """A size in binary units: '512 B', '1.5 KiB', '3 GiB'; '-' for None/NaN."""
    if is_missing(x):
        return MISSING
    x = float(x)
    unit = 0
    while abs(x) >= 1024 and unit < len(_BYTE_UNITS) - 1:
        x /= 1024
        unit += 1
    if unit == 0:
        return f"{x:,.0f} B"
    return f"{_sig3(x)} {_BYTE_UNITS[unit]}"


def fmt_percent(x: Any) -> str:
    """A share 0-1 as a percentage with 3 significant digits: 0.4567 -> '45.7%'."""
    if is_missing(x):
        return MISSING
    return f"{_sig3(float(x) * 100)}%"


def fmt_rate(x: Any, unit: str = "") -> str:
    """A rate per second: fmt_rate(1234.5, "tasks") -> '1,230 tasks/s'."""
    if is_missing(x):
        return MISSING
    return f"{fmt_number(x)} {unit}/s".replace(" /s", "/s")


# Evidence keys whose plain reading is unclear.
_LABELS = {"se": "standard error", "usl_kappa": "USL coherency κ", "cv": "variation (CV)"}
# Unit suffixes dropped from a label: the formatted value already says the unit.
_UNIT_SUFFIXES = ("_per_second", "_seconds", "_bytes", "_per_s", "_s")


def _label(key: str) -> str:
    key = str(key)
    if key in _LABELS:
        return _LABELS[key]
    for suffix in _UNIT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return key.replace("_", " ")


def _by_key(key: str, value: Any) -> str:
    """Format one evidence value, choosing the unit from its key's name."""
    if is_missing(value):
        return MISSING
    if isinstance(value, Mapping):
        return ", ".join(f"{_label(k)} {_by_key(key, v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        items = [_by_key(key, v) for v in value]
        return ", ".join(items) if items else "none"
    if isinstance(value, (bool, str)):
        return str(value)
    k = key.lower()
    if "bytes" in k:
        return fmt_bytes(value)
    if k.endswith(("_seconds", "_s")):
        return fmt_seconds(value)
    if k.endswith(("_per_second", "_per_s")):
        return fmt_rate(value)
    if "share" in k or k.endswith(("_over_limit", "_fraction")):
        return fmt_percent(value)
    return fmt_number(value)


def _baseline_vs_dask(value: Mapping) -> str:
    parts = []
    for size, pair in value.items():
        try:
            size_text = fmt_number(float(size))
        except ValueError:
            size_text = str(size)
        parts.append(
            f"baseline {fmt_seconds(pair.get('baseline'))} vs Dask "
            f"{fmt_seconds(pair.get('dask'))} at size {size_text}"
        )
    return "; ".join(parts)


def _by_workers(value: Mapping, key: str) -> str:
    return ", ".join(
        f"{_by_key(key, v)} at {fmt_number(float(w))} worker{'s' if float(w) != 1 else ''}"
        for w, v in value.items()
    )


def fmt_evidence(d: Mapping[str, Any] | None) -> str:
    """A finding's evidence dict as one readable line, '-' for None or empty.

    Units come from the key names (``*_seconds``/``*_s`` durations, ``*_bytes`` sizes,
    ``*share*`` and ``*_fraction`` percentages, ``*_per_second`` rates); nested dicts
    become readable phrases, e.g. ``{"baseline_vs_dask_seconds": {"50000": {...}}}``
    gives 'baseline 0.156 s vs Dask 0.312 s at size 50,000'.
    """
    if d is None or (not isinstance(d, Mapping) and is_missing(d)):
        return MISSING
    if not isinstance(d, Mapping):
        return str(d)
    parts = []
    for key, value in d.items():
        k = str(key)
        if k == "baseline_vs_dask_seconds" and isinstance(value, Mapping):
            parts.append(_baseline_vs_dask(value))
        elif k.endswith("_by_workers") and isinstance(value, Mapping):
            parts.append(f"{_label(k[: -len('_by_workers')])} {_by_workers(value, k)}")
        else:
            parts.append(f"{_label(k)} {_by_key(k, value)}")
    return "; ".join(parts) if parts else MISSING


def finding_cost(f: Any) -> str:
    """What a finding costs, in words: seconds lost, or what kind of finding it is."""
    f = f if isinstance(f, dict) else f.__dict__
    kind = f.get("kind", "problem")
    if kind == "failure":
        return "runs failed"
    if kind in ("state", "caveat"):
        return kind
    lost = f.get("seconds_lost")
    return "time lost unknown" if lost is None else f"{fmt_seconds(lost)} lost"
