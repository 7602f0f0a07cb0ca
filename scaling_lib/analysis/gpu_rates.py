"""Published GPU throughput, to carry a GPU study's times to another GPU model.

Usage::

    rates = (GpuRate("A100", 19.5, 9.7), GpuRate("A10", 31.2, 0.49, derived=True))
    speed = relative_speed("NVIDIA A100-SXM4-80GB", "NVIDIA A10G", "float64", rates)
    # 0.05: float64 on an A10G runs at 1/20 of an A100's rate

A time measured on one GPU is scaled to another by the ratio of their peak rates for
the precision measured: the first-order model for compute-bound work (memory-bound
work scales with bandwidth instead, and says so through the warning).

Pure: names and numbers in, a ratio out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GpuRate", "rate_for", "relative_speed"]


@dataclass(frozen=True)
class GpuRate:
    match: str  # a GPU whose name contains this (first match in the table wins)
    fp32: float  # TFLOP/s
    fp64: float
    derived: bool = False  # fp64 from the architecture's ratio, not the data sheet

    def of(self, precision: str) -> float:
        return self.fp64 if precision == "float64" else self.fp32


def rate_for(name: str | None, rates: Sequence[GpuRate]) -> GpuRate | None:
    if not name:
        return None
    return next((r for r in rates if r.match.lower() in name.lower()), None)


def relative_speed(
    measured: str | None, target: str | None, precision: str, rates: Sequence[GpuRate]
) -> float | None:
    """How many times faster ``target`` runs than ``measured`` at ``precision``
    (float64; anything else counts as float32); None when either has no rate."""
    a, b = rate_for(measured, rates), rate_for(target, rates)
    if a is None or b is None or a.of(precision) <= 0:
        return None
    return b.of(precision) / a.of(precision)
