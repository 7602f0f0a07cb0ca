"""What the machine or cluster that would take the next measurement can run.

Usage::

    reach = reach_of(spec, df, target_workers=16)
    reach.workers, reach.max_size, reach.beyond      # (1, 2), 0.5, (4, 8, 16)
    parse_seconds("15m")                              # 900.0

The records say what the machine that measured them has (``reach_from_records``: its
cores and memory, the input's bytes per unit of size); the spec adds what it lists
(worker counts, repeats, warm-up runs). A cluster the study connects to can run the
worker counts it was measured on and the spec lists, no more.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from scaling_lib.analysis.advise_candidates import Reach, reach_from_records
from scaling_lib.errors import SpecError
from scaling_lib.spec.study import StudySpec

__all__ = ["budget_seconds", "parse_seconds", "reach_of"]

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h)?\s*$")


def parse_seconds(text: str | float) -> float:
    """'90', '90s', '15m', '1.5h' -> seconds; ValueError naming the text otherwise."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration (e.g. 90s, 15m, 1h)")
    scale = {"s": 1, "sec": 1, None: 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]
    return float(match.group(1)) * scale


def budget_seconds(text: str | float | None, name: str = "budget") -> float:
    """A measuring budget in seconds: None for none (infinity); a SpecError naming
    ``name`` for a text that is no duration or a duration that is not positive."""
    if text is None:
        return math.inf
    try:
        seconds = parse_seconds(text)
    except ValueError as exc:
        raise SpecError(name, str(exc)) from exc
    if not seconds > 0:
        raise SpecError(name, f"must be a positive duration, got {text!r}")
    return seconds


def reach_of(
    spec: StudySpec | Mapping[str, Any], df: pd.DataFrame, *, target_workers: int
) -> Reach:
    """``spec``: the StudySpec, or the mapping of a study's saved ``spec.yaml`` (read as
    is: advising on a study must not need its workload importable)."""
    raw = spec.to_dict() if isinstance(spec, StudySpec) else dict(spec)
    workers = tuple(int(p) for p in raw.get("workers") or ())
    backend = (raw.get("cluster") or {}).get("backend", "local")
    reach = reach_from_records(
        df, target_workers=target_workers, warmup=int(raw.get("warmup", 1)), workers=workers
    )
    if backend not in ("local", "cuda"):
        measured = set(df["n_workers"].dropna().astype(int)) - {0}
        counts = tuple(sorted(measured | set(workers)))
        beyond = tuple(p for p in reach.beyond if p > counts[-1])
        reach = dataclasses.replace(reach, workers=counts, beyond=beyond)
    return dataclasses.replace(reach, repeats=int(raw.get("repeats", 3)))
