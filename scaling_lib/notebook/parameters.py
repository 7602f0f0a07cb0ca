"""Helpers for the notebooks' parameters cells.

Usage::

    spec = spec_from_parameters(study="s", workload="array", sizes=[500, 1000],
                                workers=[1, 2], backend="local")
    adaptive_arguments(until_width=1.5, budget="15m", target_size=0, target_workers=0)
    # {'until_width': 1.5, 'budget_s': 900.0, 'target_size': None, 'target_workers': None}

Empty parameters (``""``, ``[]``, ``{}``, None, and 0 for a target or a width) are left
out, so the spec's or the function's defaults apply: papermill types a parameter by its
default, so an unset one is ``0.0`` or ``""`` in a parameters cell, never None.
``backend`` and ``scheduler_address`` fill the ``cluster`` section.
"""

from __future__ import annotations

import math
from typing import Any

from scaling_lib.errors import SpecError
from scaling_lib.spec.study import StudySpec, load_spec

__all__ = ["adaptive_arguments", "budget_seconds", "spec_from_parameters"]


def spec_from_parameters(
    *,
    backend: str = "",
    scheduler_address: str = "",
    **fields: Any,
) -> StudySpec:
    """A validated StudySpec from notebook parameters (see the module docstring)."""
    raw = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    cluster = dict(raw.get("cluster") or {})
    if backend:
        cluster["backend"] = backend
    if scheduler_address:
        cluster.setdefault("backend", "address")
        cluster["address"] = scheduler_address
    if cluster:
        raw["cluster"] = cluster
    return load_spec(raw)


def budget_seconds(budget: str | float | None, name: str = "budget") -> float:
    """A measuring budget ('90s', '15m', '1.5h', seconds) in seconds; empty, None or 0
    for none (infinity). SpecError naming the parameter otherwise."""
    if budget in (None, "", 0):
        return math.inf
    from scaling_lib.run.reach import budget_seconds as seconds_of

    return seconds_of(budget, name)


def adaptive_arguments(
    *,
    until_width: float,
    budget: str | float | None = None,
    target_size: float | None = None,
    target_workers: int | None = None,
    budget_name: str = "budget",
) -> dict[str, Any]:
    """``run_adaptive``'s keyword arguments from a notebook's parameters (see the module
    docstring); a width not above 1 or a budget that is no duration raises SpecError."""
    if until_width is None or not until_width > 1:
        raise SpecError("until_width", f"must be above 1 (high / low), got {until_width!r}")
    return {
        "until_width": float(until_width),
        "budget_s": budget_seconds(budget, budget_name),
        "target_size": float(target_size) if target_size else None,
        "target_workers": int(target_workers) if target_workers else None,
    }
