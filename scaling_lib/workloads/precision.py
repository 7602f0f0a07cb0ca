"""Numeric precision and device parameters shared by the array and train workloads.

Usage::

    check_precision_and_device("train", params)   # raises WorkloadError naming the problem
    relative_error(0.1234, 0.1235)                 # |a - ref| / |ref|
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scaling_lib.errors import WorkloadError

__all__ = ["DEVICES", "PRECISIONS", "check_precision_and_device", "relative_error"]

PRECISIONS = ("float64", "float32", "float16", "bfloat16")
DEVICES = ("cpu", "gpu")


def check_precision_and_device(workload: str, params: Mapping[str, Any]) -> None:
    precision, device = params["precision"], params["device"]
    if precision not in PRECISIONS:
        raise WorkloadError(
            f"parameter 'precision' of workload {workload!r} must be one of "
            f"{', '.join(PRECISIONS)}, got {precision!r}"
        )
    if device not in DEVICES:
        raise WorkloadError(
            f"parameter 'device' of workload {workload!r} must be 'cpu' or 'gpu', got {device!r}"
        )
    if precision == "bfloat16":
        # Neither NumPy nor CuPy has a bfloat16 dtype with a matrix product; emulating
        # it in float32 would record float32 speed under a bfloat16 label.
        raise WorkloadError(
            f"precision 'bfloat16' is not available for workload {workload!r}: neither NumPy "
            "nor CuPy multiplies bfloat16 matrices (use float16, or a custom workload with a "
            "framework that has bfloat16 kernels)"
        )


def relative_error(value: float, reference: float) -> float:
    """``|value - reference| / |reference|`` (absolute error when the reference is 0)."""
    if not math.isfinite(value):
        return math.inf
    scale = abs(reference) or 1.0
    return abs(value - reference) / scale
