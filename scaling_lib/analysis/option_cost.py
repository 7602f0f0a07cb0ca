"""One option of a recommendation: an instance type x a count, timed, priced and sized.

Usage::

    ask = Ask(size=2e7, deadline_s=600, budget=5.0, pricing="on_demand", core_speed=1.0,
              one_worker_seconds=120.0, memory_model=fit_worker_memory(runs))
    opt = option_for(instance, count=2, workers=8, pred=model.predict(2e7, 8), ask=ask)
    opt.seconds, opt.cost, opt.headroom_gib, opt.feasible, opt.warnings

``recommend.recommend`` builds one ``Ask`` per instance kind (CPU, GPU) and calls
``option_for`` for every instance and count of the catalog. Time is the prediction
scaled by ``core_speed``; cost the hourly price (plus a scheduler node for clusters of
several instances) billed per second with a one-minute minimum over start-up,
preparation, boot and run; memory the fitted peak per worker (floored by the input's
share) against Dask's spill threshold. ``simulated`` swaps a prediction's centre for the
replayed task graph's, its interval widened by the fit's error there. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from scaling_lib.analysis.memory import WorkerMemoryModel
from scaling_lib.analysis.narrowing import WIDE, reason_of, wide_sentence
from scaling_lib.analysis.offers import Instance, Option
from scaling_lib.analysis.overheads import JobOverheads
from scaling_lib.analysis.predict import Prediction

__all__ = ["GIB", "SPILL_THRESHOLD", "Ask", "option_for", "scheduler_note", "simulated"]

GIB = 2**30
# distributed.worker.memory.spill: a worker's process memory at which Dask starts
# spilling to disk (distributed.yaml; it pauses the worker's threads at 0.80).
SPILL_THRESHOLD = 0.70


@dataclass(frozen=True)
class Ask:
    """What every option is judged against: one run at ``size``."""

    size: float
    deadline_s: float | None
    budget: float | None
    pricing: str
    core_speed: float
    one_worker_seconds: float
    memory_model: WorkerMemoryModel | None
    source: str = ""  # prefix of the prediction's warnings ("GPU runs: ")
    input_bytes: float | None = None  # the dataset's in-memory bytes at the target size
    overheads: JobOverheads | None = None
    utilisation: float = 1.0
    scheduler_hour: float = 0.0


def simulated(
    simulator: Any, fitted: Prediction, inst: Instance, count: int, workers: int
) -> Prediction:
    """The simulation's time at this option, with the time model's error around it.

    The centre is the simulation's (the median of its central replays). The replays'
    own range (their minimum and maximum: the measured repeats, the scheduler's timing,
    the constants' spread) is no prediction interval: it leaves out how far the
    simulated graph is from the target, which the fitted model's interval measures at
    this very (size, workers): run noise, the fit's parameters, the extrapolation in
    size and in workers, the forms it could not rule out. On each side the two
    log-time half-widths add in quadrature, as independent errors do::

        low  = S * exp(-sqrt(log(S / replay_low)^2 + log(fit / fit_low)^2))
        high = S * exp(+sqrt(log(replay_high / S)^2 + log(fit_high / fit)^2))

    so the interval is never narrower than the fit's relative interval, nor than the
    replays' range. Beyond the largest measured size the simulated graph is itself
    extrapolated (stretched, or built by the workload, its task times from per-prefix
    laws): there the interval also spans the fitted model's own interval, as a fit's
    spans the forms its data cannot rule out, since the measurements cannot tell the two
    models apart at the target. It is stated at the fit's level (90%);
    ``benchmarks/coverage.py --simulated`` measures its coverage on held-out runs, as
    it does the fit's: on the sleep graphs at 4 and 8 workers (48 runs, 2026-12-07) it
    held all of them, at the measured size and at twice it, where the quadrature alone
    held half (a graph stretched with its task count kept, when the task count is what
    grows) and the replays' range alone a fifth.
    The fit's warnings (extrapolation in size, beyond the measured workers, noisy
    repeats) stay; a too-wide sentence is said again for this interval.
    """
    bandwidth = None
    if count > 1 and inst.network_gbps:
        bandwidth = inst.network_gbps * 1e9 / 8 / max(workers // count, 1)
    sim = simulator.at(workers, bandwidth)
    centre = max(sim.wall_s, 1e-12)
    fit_below, fit_above = _log_half_widths(fitted)
    replay_below = math.log(centre / sim.low) if sim.low > 0 else math.inf
    replay_above = math.log(max(sim.high, centre) / centre)
    below, above = math.hypot(replay_below, fit_below), math.hypot(replay_above, fit_above)
    low = centre * math.exp(-below) if math.isfinite(below) else 0.0
    high = centre * math.exp(above)
    fit_part, replay_part = max(fit_below, fit_above), max(replay_below, replay_above)
    if fitted.size_ratio > 1 and fitted.seconds > 0:
        # Two models the data cannot tell apart at the target: span both.
        if fitted.low < low or fitted.high > high:
            fit_part = math.inf
        low, high = min(low, fitted.low), max(high, fitted.high)
    wide = _too_wide(fitted, low, high, fit_part=fit_part, replay_part=replay_part)
    warnings = [wide if w == fitted.too_wide else w for w in fitted.warnings if w]
    if wide and wide not in warnings:
        warnings.append(wide)
    if count > 1 and not bandwidth:
        warnings.append(f"{inst.name} has no network_gbps in the catalog: simulated at this host's")
    return dataclasses.replace(
        fitted,
        seconds=sim.wall_s,
        low=low,
        high=high,
        model=f"simulation: {simulator.method}",
        warnings=tuple(w for w in warnings if w),
        too_wide=wide,
    )


def _log_half_widths(pred: Prediction) -> tuple[float, float]:
    """The fitted interval's log half-widths below and above its centre (inf below
    where it reaches 0; none where the model predicts no positive time, which its
    warnings say)."""
    if pred.seconds <= 0:
        return 0.0, 0.0
    below = math.log(pred.seconds / pred.low) if pred.low > 0 else math.inf
    return max(below, 0.0), math.log(max(pred.high, pred.seconds) / pred.seconds)


def _too_wide(fitted: Prediction, low: float, high: float, fit_part: float, replay_part: float):
    """The too-wide sentence for the simulated interval, '' when it is narrow enough:
    its width put down to the fit's reason or to the spread between replays."""
    if low <= 0:  # the fit's interval reaches 0 s, and says so
        return fitted.too_wide
    if high / low <= WIDE:
        return ""
    if fit_part >= replay_part:
        reason = reason_of(fitted.too_wide) or (
            "the time model's error at this size and worker count"
        )
    else:
        reason = (
            "the spread between the replays of the measured graph (its repeats' task "
            "times, the scheduler's timing, the simulation's constants): add repeats, or "
            "measure on a quieter machine"
        )
    return wide_sentence(low, high, fitted.level, reason)


def option_for(inst: Instance, count: int, workers: int, pred: Prediction, ask: Ask) -> Option:
    """``count`` instances ``inst`` running ``workers`` workers, judged against ``ask``."""
    seconds = pred.seconds / ask.core_speed
    low, high = pred.low / ask.core_speed, pred.high / ask.core_speed
    rate = inst.price(ask.pricing, ask.utilisation) * count / 3600.0
    if count > 1:
        rate += ask.scheduler_hour / 3600.0
    start, prepare = ask.overheads.at(ask.size, workers) if ask.overheads else (0.0, 0.0)
    overhead = (start + prepare) / ask.core_speed + (inst.boot_s or 0.0)

    def cost(s: float) -> float:
        return rate * max(s + overhead, 60.0)

    memory_per_worker = inst.memory_gib / max(workers // count, 1)
    if inst.gpus:
        memory_per_worker = inst.gpu_memory_gib
    peak = high_peak = None
    if ask.memory_model is not None:
        central, upper = ask.memory_model.predict(ask.size, workers)
        peak, high_peak = central / GIB, upper / GIB
    if ask.input_bytes is not None:
        # The input persisted across the workers is a floor under any fitted peak.
        floor = ask.input_bytes / workers / GIB
        peak, high_peak = max(peak or 0.0, floor), max(high_peak or 0.0, floor)
    headroom = None if high_peak is None else SPILL_THRESHOLD * memory_per_worker - high_peak
    feasible = seconds > 0 and (headroom is None or headroom > 0)
    efficiency = ask.one_worker_seconds / (workers * pred.seconds) if pred.seconds > 0 else None
    warnings = [ask.source + w for w in pred.warnings]
    if headroom is not None and headroom <= 0:
        warnings.append(
            f"needs up to {high_peak:.1f} GiB per worker (about {peak:.1f}); Dask spills past "
            f"{SPILL_THRESHOLD * memory_per_worker:.1f} of its {memory_per_worker:.1f} GiB"
        )
    return Option(
        instance=inst.name,
        count=count,
        workers=workers,
        seconds=seconds,
        seconds_low=low,
        seconds_high=high,
        cost=cost(seconds),
        cost_low=cost(low),
        cost_high=cost(high),
        memory_per_worker_gib=memory_per_worker,
        predicted_peak_gib=peak,
        predicted_peak_high_gib=high_peak,
        overhead_s=overhead,
        headroom_gib=headroom,
        feasible=feasible,
        meets_deadline=None if ask.deadline_s is None else high + overhead <= ask.deadline_s,
        within_budget=None if ask.budget is None else cost(high) <= ask.budget,
        efficiency=efficiency,
        warnings=tuple(warnings),
        provider=inst.provider,
        too_wide=ask.source + pred.too_wide if pred.too_wide else "",
    )


def scheduler_note(hours: dict[str, float]) -> str:
    """'0.202/h, the cheapest CPU instance', or per provider when the catalog names them."""
    named = {p: h for p, h in hours.items() if p}
    if len(hours) <= 1 or not named:
        return f"{min(hours.values(), default=0.0):.3g}/h, the cheapest CPU instance"
    each = ", ".join(f"{p} {h:.3g}/h" for p, h in sorted(named.items()))
    return f"the cheapest CPU instance of the option's provider: {each}"
