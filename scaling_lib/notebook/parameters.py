"""Helpers for the notebooks' parameter cells.

Usage::

    spec = spec_from_parameters(study="s", workload="array", sizes=[500, 1000],
                                workers=[1, 2], backend="local")

Empty parameters (``""``, ``[]``, ``{}``, None) are left out, so the spec's defaults
apply; ``backend`` and ``scheduler_address`` fill the ``cluster`` section.
"""

from __future__ import annotations

from typing import Any

from scaling_lib.spec.study import StudySpec, load_spec

__all__ = ["spec_from_parameters"]


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
