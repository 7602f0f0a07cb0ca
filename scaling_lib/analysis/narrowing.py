"""When a forecast's interval is too wide to act on, and which measurement would narrow it.

Usage::

    parts = WidthParts(noise=0.05, parameters=0.04, size=0.35, workers=0.0, forms=1.2)
    too_wide(low=0.2, high=19.0, parts=parts, target=Target(...))
    # 'the 90% interval spans 95x (0.2-19 s): these points cannot forecast this target;
    #  most of the width is the extrapolation in size: measure a larger size (...)'

An interval whose high end is more than ``WIDE`` times its low end informs no decision
(a deadline, a budget, an instance): it holds the truth by saying nothing. The sentence
says so, and names the largest part of the width, with the measurement that shrinks it:

- **size**: the target's work is far beyond the largest measured size: measure a size
  between them (a quarter of the target, or what this machine's memory allows);
- **workers**: the target's worker count is beyond the measured ones: measure on more
  workers (a bigger machine or an existing cluster), or run the what-if on the graph;
- **forms**: fitted forms the data cannot tell apart disagree at the target: measure a
  larger size, which separates them;
- **parameters**: the fit's own uncertainty at a target among the measured sizes and
  workers (outside them, it counts with the extrapolation it comes from): more sizes;
- **noise**: the repeats disagree: add repeats or quieten the machine;
- **divides**: more workers were never faster at the measured sizes, so the low end
  allows for the added work dividing: measure a larger size on the most workers.

Pure: numbers in, a sentence out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaling_lib.units import fmt_number, fmt_seconds

__all__ = ["WIDE", "Target", "WidthParts", "reason_of", "too_wide", "wide_sentence"]

WIDE = 3.0  # high / low past which a 90% interval is too wide to act on
_MOST = "most of the width is "


@dataclass(frozen=True)
class WidthParts:
    """The parts of an interval's width, each as a log-time half-width (the same unit
    for all: an sd times the quantile, or the log of how far a bound was moved)."""

    noise: float
    parameters: float
    size: float
    workers: float
    forms: float = 0.0  # other forms the data cannot rule out, past the spread
    divides: float = 0.0  # the low end moved for the work dividing (never faster)


@dataclass(frozen=True)
class Target:
    size: float
    n_workers: int
    largest_size: float
    most_workers: int
    work_ratio: float  # target work / the largest measured size's work


def too_wide(low: float, high: float, parts: WidthParts, target: Target, level: float) -> str:
    """The sentence for an interval wider than ``WIDE`` (high/low), '' otherwise."""
    if not (low > 0 and math.isfinite(high)) or high / low <= WIDE:
        return "" if low > 0 else _zero_low(high, level)
    largest = max(vars(parts).items(), key=lambda kv: kv[1])[0]
    return wide_sentence(low, high, level, _ADVICE[largest](target))


def wide_sentence(low: float, high: float, level: float, reason: str) -> str:
    """The too-wide sentence for ``low`` to ``high``, its width put down to ``reason``."""
    return (
        f"the {level:.0%} interval spans {fmt_number(high / low)}x ({fmt_seconds(low)} to "
        f"{fmt_seconds(high)}): these points cannot forecast this target; {_MOST}{reason}"
    )


def reason_of(sentence: str) -> str:
    """What a too-wide sentence puts the width down to, with its advice ('' if none)."""
    return sentence.partition(_MOST)[2]


def _zero_low(high: float, level: float) -> str:
    if not math.isfinite(high) or high <= 0:
        return ""
    return (
        f"the {level:.0%} interval reaches 0 s: these points cannot forecast this target; "
        "measure a larger size"
    )


def _size(t: Target) -> str:
    step = max(t.largest_size * 2, t.size / 4)
    return (
        f"the extrapolation in size (the target's work is {fmt_number(t.work_ratio)}x the "
        f"largest measured): measure a larger size, e.g. {fmt_number(step)}"
    )


def _workers(t: Target) -> str:
    return (
        f"the extrapolation in workers ({t.n_workers} against at most {t.most_workers} "
        f"measured): measure on more workers, e.g. {min(t.n_workers, 2 * t.most_workers)}, "
        "on a bigger machine or an existing cluster, or replay the graph with "
        "`scaling-lib what-if`"
    )


def _forms(t: Target) -> str:
    return (
        "the fitted forms the data cannot tell apart, which disagree at the target: measure "
        "a larger size, which separates them, e.g. "
        f"{fmt_number(max(t.largest_size * 2, t.size / 4))}"
    )


def _parameters(t: Target) -> str:
    return "the fit's own uncertainty (few points for its form): measure more sizes"


def _noise(t: Target) -> str:
    return "the run noise: add repeats, or measure on a quieter machine"


def _divides(t: Target) -> str:
    return (
        "whether the added work divides among workers (more workers were never faster at "
        f"the measured sizes): measure a larger size on {t.most_workers} workers"
    )


_ADVICE = {
    "noise": _noise,
    "parameters": _parameters,
    "size": _size,
    "workers": _workers,
    "forms": _forms,
    "divides": _divides,
}
