"""The command that takes the advised measurement, for the surfaces that show the advice.

Usage::

    advice_command(report.as_dict())
    # 'scaling-lib run SPEC --until-width 1.67 --steps 1 --target-size 3200000
    #  --target-workers 2'
    until_width_for(report.as_dict())           # 1.67: the width the best should leave
    until_width_for(report.as_dict(), asked=2)  # 2.0: what was asked, when it was

``--until-width`` defaults to the width the best measurement is expected to leave (its
interval's high / low, rounded up), so ``--steps 1`` measures that one point unless the
forecast is already that narrow. The dashboard and the notebooks show it; neither knows
the spec's path (the results store keeps a copy, ``spec.yaml`` in the study's folder).

Pure: the advice's plain data (``AdviceReport.as_dict``) in, text out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["DEFAULT_UNTIL_WIDTH", "SPEC_NOTE", "advice_command", "until_width_for"]

# When there is no advice to take a width from (a study with too few points): the
# adaptive sweep's own example.
DEFAULT_UNTIL_WIDTH = 1.5
SPEC_NOTE = (
    "SPEC is the study's spec file: its path is not recorded with the study (the results "
    "store keeps a copy, spec.yaml, in the study's folder)"
)


def until_width_for(advice: Mapping[str, Any] | str | None, asked: float | None = None) -> float:
    """``asked`` when it is a width (above 1); else the width the best measurement within
    reach is expected to leave, rounded up to 2 decimals; else (no advice: ``advice`` is
    None or the text saying why) ``DEFAULT_UNTIL_WIDTH``."""
    if asked is not None and asked > 1:
        return float(asked)
    best = (advice.get("candidates") if isinstance(advice, Mapping) else None) or []
    width = best[0]["expected_width"] if best else math.nan
    if not (math.isfinite(width) and width > 1):
        return DEFAULT_UNTIL_WIDTH
    return max(math.ceil(width * 100) / 100, 1.01)


def advice_command(advice: Mapping[str, Any], *, spec: str = "SPEC") -> str:
    """``scaling-lib run`` taking the best measurement within reach ('' when nothing
    within reach narrows the forecast: then the advice says what would)."""
    if advice.get("out_of_reach") or not advice.get("candidates"):
        return ""
    target = advice["target"]
    return (
        f"scaling-lib run {spec} --until-width {until_width_for(advice):g} --steps 1 "
        f"--target-size {_exact(target['size'])} --target-workers {int(target['n_workers'])}"
    )


def _exact(value: float) -> str:
    """A size as typed: every digit it has, none it has not (3200000, 0.25, 0.00001)."""
    return np.format_float_positional(float(value), trim="-")
