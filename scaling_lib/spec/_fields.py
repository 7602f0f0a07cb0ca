"""The field checks behind study specs: each value checked and named, or refused.

Usage::

    integer(raw.get("repeats", 3), "repeats", 1, MAX_REPEATS)   # -> 3, or SpecError
    byte_size("4GiB", "cluster.memory_limit")                        # -> 4294967296
    entries(raw, "sizes", check)                                 # a non-empty, unique list

Every refusal is a :class:`~scaling_lib.errors.SpecError` naming the field and showing
the value it got; a ceiling carries the reason it exists (``spec.py`` holds the others).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from dask.utils import byte_sizes

from scaling_lib.errors import SpecError

_BYTES = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([A-Za-z]*)\s*")
MIN_MEMORY = (2**20, "a worker process alone takes ~70 MiB; under 1 MiB is a unit mistake")
MAX_MEMORY = (2**50, "1 PiB per worker is more than any machine has")
MAX_ENTRIES = (1000, "a grid this long is a generated mistake, not a study")
_MAX_INT64 = 2**63 - 1  # NumPy and Dask take 64-bit integers: larger parameters overflow
_MAX_DEPTH = 20


def reject_unknown(raw: Mapping[str, Any], known: set[str], prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise SpecError(
                f"{prefix}{key}", f"unknown field; expected one of {', '.join(sorted(known))}"
            )


def section(raw: Mapping[str, Any], key: str, name: str) -> dict[str, Any]:
    """A mapping-valued field: only a missing key or null means empty (0, "", [] do not)."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(
            name, f"must be a mapping (or left out), got {type(value).__name__} {_show(value)}"
        )
    _check_plain(value, name, 0)
    return dict(value)


def _check_plain(value: Any, name: str, depth: int) -> None:
    """Keys are strings and numbers finite, all the way down (values go to NumPy and Dask)."""
    if depth > _MAX_DEPTH:
        raise SpecError(name, f"is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpecError(name, f"keys must be strings, got {_show(key)}")
            _check_plain(item, f"{name}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{name}[{i}]", depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, numbers.Integral):
        if abs(int(value)) > _MAX_INT64:
            raise SpecError(name, f"{_show(value)} does not fit in 64 bits (NumPy and Dask's)")
    elif isinstance(value, numbers.Real) and not math.isfinite(_as_float(value)):
        raise SpecError(name, f"must be finite, got {_show(value)}")
    # Anything else (an object passed from Python) is for the workload or cluster to check.


def entries(raw: Mapping[str, Any], name: str, check: Any) -> tuple[Any, ...]:
    value = raw[name]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SpecError(name, f"must be a list, got {type(value).__name__} {_show(value)}")
    if not value:
        raise SpecError(name, "must not be empty")
    if len(value) > MAX_ENTRIES[0]:
        raise SpecError(
            name, f"has {len(value)} entries, at most {MAX_ENTRIES[0]:,} ({MAX_ENTRIES[1]})"
        )
    checked = tuple(check(v, f"{name}[{i}]") for i, v in enumerate(value))
    if len(set(checked)) != len(checked):
        raise SpecError(name, f"has duplicates: {list(checked)}")
    return checked


def string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(name, f"must be a non-empty string, got {_show(value)}")
    if any(ord(c) < 32 for c in value.strip()):
        raise SpecError(name, f"must not contain control characters, got {_show(value)}")
    return value.strip()


def optional_string(value: Any, name: str) -> str | None:
    return None if value is None else string(value, name)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(name, f"must be true or false, got {_show(value)}")
    return value


def number(value: Any, name: str, ceiling: tuple[int, str]) -> float | int:
    """A positive finite number up to ``ceiling`` (value, reason); ints stay ints."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(name, f"must be a positive number, got {_show(value)}")
    number = int(value) if isinstance(value, numbers.Integral) else _as_float(value)
    if number <= 0 or (isinstance(number, float) and not math.isfinite(number)):  # nan too
        raise SpecError(name, f"must be a positive number, got {_show(value)}")
    if number > ceiling[0]:
        raise SpecError(name, f"must be at most {ceiling[0]:,} ({ceiling[1]}), got {_show(value)}")
    return number


def integer(value: Any, name: str, low: int, ceiling: tuple[int, str]) -> int:
    """An integer from ``low`` up to ``ceiling`` (value, reason); 2.0 and true are not."""
    kind = "positive integer" if low == 1 else "non-negative integer"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise SpecError(name, f"must be a {kind}, got {_show(value)}")
    if value > ceiling[0]:
        raise SpecError(name, f"must be at most {ceiling[0]:,} ({ceiling[1]}), got {_show(value)}")
    return int(value)


def byte_size(value: Any, name: str) -> int:
    """A whole, positive number of bytes: 2147483648, "2GiB", "500 MB", "1.5 KiB"."""
    usage = "a size such as '2GiB', '500 MB' or a whole number of bytes"
    if isinstance(value, str):
        match = _BYTES.fullmatch(value)
        if not match or match.group(3).lower() not in byte_sizes:
            raise SpecError(name, f"must be {usage}, got {_show(value)}")
        exponent = int(match.group(2) or 0)
        if abs(exponent) > 30:  # keeps the exact arithmetic below small
            raise SpecError(name, f"{_show(value)} is out of range ({MAX_MEMORY[1]})")
        amount = Fraction(match.group(1)) * Fraction(10) ** exponent
        amount *= byte_sizes[match.group(3).lower()]
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        amount = Fraction(int(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(_as_float(value)):
            raise SpecError(name, f"must be a finite size, got {_show(value)}")
        amount = Fraction(_as_float(value))
    else:
        raise SpecError(name, f"must be {usage}, got {_show(value)}")
    if amount <= 0:
        raise SpecError(name, f"must be positive, got {_show(value)}")
    if amount.denominator != 1:
        raise SpecError(name, f"must be a whole number of bytes, got {_show(value)}")
    if amount < MIN_MEMORY[0]:
        raise SpecError(name, f"must be at least 1 MiB ({MIN_MEMORY[1]}), got {_show(value)}")
    if amount > MAX_MEMORY[0]:
        raise SpecError(name, f"must be at most 1 PiB ({MAX_MEMORY[1]}), got {_show(value)}")
    return int(amount)


def format_bytes_exactly(n: int) -> str | int:
    """``n`` in the largest unit that divides it exactly ("2GiB"), so it parses back."""
    for unit in ("PiB", "TiB", "GiB", "MiB", "KiB", "PB", "TB", "GB", "MB", "kB"):
        if n % byte_sizes[unit.lower()] == 0:
            return f"{n // byte_sizes[unit.lower()]}{unit}"
    return n


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # a huge Fraction or Decimal-like number
        return math.inf


def _show(value: Any) -> str:
    """A short repr for messages (a 400-digit integer is not worth printing whole)."""
    try:
        text = repr(value)
    except ValueError:  # ints past Python's 4,300-digit conversion limit
        return f"a {type(value).__name__} too large to print"
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
