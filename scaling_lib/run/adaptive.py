"""An adaptive sweep: measure what the advisor says until the forecast is narrow enough.

Usage::

    summary = run_adaptive("examples/events.yaml", until_width=1.5, budget_s=900)
    summary.stopped          # 'reached: 2.1 s-3.0 s is 1.43x wide, at most 1.5'
    print(summary)           # the sweep's summary, its stopping reason last

It starts from a small design (the spec's two smallest sizes on its fewest and most
workers), then, one point at a time, asks ``analysis.advise`` for the measurement that
narrows the target's 90% interval most per second, measures it as ``run`` measures a
point (``run_study(only=...)``: stored whole, with its cluster start and preparation),
refits and repeats. It stops when the interval (high / low) is at most ``until_width``
and is confirmed (``advise.unconfirmed``: at least 4 sizes, the largest on two worker
counts; until then, the next point is the best one that adds that), when the next
measurement's expected seconds do not fit what is left of ``budget_s``, when
``max_steps`` points were measured, or when nothing this machine can measure narrows
it (the advice then names what would).

The target is a dataset study's full dataset, or ``target_size``; on ``target_workers``
(default: the spec's most). Every point is in the store as any sweep's, so a rerun
resumes: it refits on everything recorded and goes on (the budget is this call's).
Each step and the stopping reason are kept beside the records (``ADAPTIVE_DOCUMENT``).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scaling_lib.analysis.advise import AdviceReport, advise, interval_text, unconfirmed
from scaling_lib.analysis.dataset_target import full_dataset_target
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.errors import SpecError
from scaling_lib.run.reach import reach_of
from scaling_lib.run.sweep import run_study
from scaling_lib.spec.study import StudySpec, load_spec
from scaling_lib.store.records import DEFAULT_RESULTS, ResultsStore
from scaling_lib.units import fmt_number, fmt_seconds

__all__ = ["ADAPTIVE_DOCUMENT", "AdaptiveSummary", "run_adaptive"]

ADAPTIVE_DOCUMENT = "adaptive"
START_POINTS = 4  # a time model of (n, p) needs 4 distinct points


@dataclass
class AdaptiveSummary:
    """What one ``run_adaptive`` call did, and why it stopped."""

    study: str
    results: str
    target_size: float
    target_workers: int
    until_width: float
    budget_s: float
    steps: list[dict] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0
    width: float = math.inf
    interval: str = ""
    stopped: str = ""

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "no runs"
        return (
            f"study {self.study!r}: adaptive sweep, {len(self.steps)} point(s) measured "
            f"({counts}) in {self.elapsed_s:.1f} s -> {self.results}\n"
            f"target {fmt_number(self.target_size)} on {self.target_workers} workers: "
            f"{self.interval or 'no forecast'}\nstopped: {self.stopped}"
        )


def run_adaptive(
    spec: StudySpec | Mapping[str, Any] | str,
    *,
    until_width: float,
    budget_s: float = math.inf,
    results: str = DEFAULT_RESULTS,
    target_size: float | None = None,
    target_workers: int | None = None,
    max_steps: int | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = print,
) -> AdaptiveSummary:
    """Measure advised points until the target's interval is ``until_width`` wide (see
    the module docstring); returns the summary with its stopping reason."""
    spec = load_spec(spec)
    if not until_width > 1:
        raise SpecError("until_width", f"must be above 1 (high / low), got {until_width!r}")
    if not budget_s > 0:
        raise SpecError("budget", f"must be a positive duration, got {budget_s!r}")
    say = log or (lambda _line: None)
    store = ResultsStore(results)
    workers = int(target_workers or max(spec.workers))
    started = time.perf_counter()
    summary = AdaptiveSummary(
        spec.study, store.root, math.nan, workers, float(until_width), float(budget_s)
    )

    def measure(size: float, n_workers: int) -> None:
        done = run_study(spec, results=results, progress=progress, log=log, only=(size, n_workers))
        summary.statuses.update(done.statuses)

    for size, n_workers in _start_design(spec, store):
        measure(size, n_workers)
    while True:
        df = store.load_study(spec.study)
        summary.target_size = _target_size(spec, df, target_size)
        report = advise(
            df,
            target_size=summary.target_size,
            target_workers=workers,
            reach=reach_of(spec, df, target_workers=workers),
        )
        summary.width = report.width
        summary.interval = f"{interval_text(report.low, report.high)} ({report.width:.2f}x)"
        left = budget_s - (time.perf_counter() - started)
        doubt = unconfirmed(df)
        short = doubt.reason if doubt else ""
        ranked = report.ranked
        if doubt and report.width <= until_width:  # narrow, not yet confirmed: confirm it
            ranked = [a for a in ranked if doubt.wanted(a.candidate)]
        stop = _stop_reason(report, ranked, until_width, short, left, len(summary.steps), max_steps)
        if stop:
            summary.stopped = stop
            break
        best = ranked[0]
        say(f"next: {report.sentence(best)}")
        step_started = time.perf_counter()
        measure(best.candidate.size, best.candidate.n_workers)
        summary.steps.append(
            {
                "size": best.candidate.size,
                "n_workers": best.candidate.n_workers,
                "kind": best.candidate.kind,
                "expected_cost_s": best.cost_s,
                "measured_s": time.perf_counter() - step_started,
                "width_before": report.width,
                "expected_width": best.width,
            }
        )
    summary.elapsed_s = time.perf_counter() - started
    _keep(store, summary)
    return summary


def _start_design(spec: StudySpec, store: ResultsStore) -> list[tuple[float, int]]:
    """The spec's two smallest sizes on its fewest and most workers, unless the study
    already has the 4 distinct points a time model needs."""
    if store.has_study(spec.study):
        runs = dask_runs(store.load_study(spec.study))
        if len(runs.groupby(["size", "n_workers"])) >= START_POINTS:
            return []
    sizes = sorted(spec.sizes)[:2]
    counts = sorted({min(spec.workers), max(spec.workers)})
    if len(sizes) < 2 or len(counts) < 2:
        raise SpecError(
            "sizes",
            "an adaptive sweep starts from the two smallest sizes on the fewest and most "
            "workers: list at least 2 sizes and 2 worker counts",
        )
    return [(s, p) for p in counts for s in sizes]


def _target_size(spec: StudySpec, df, target_size: float | None) -> float:
    if target_size is not None:
        return float(target_size)
    dataset = full_dataset_target(df)
    if dataset is not None:
        return dataset.size
    raise SpecError(
        "target_size",
        "an adaptive sweep needs a target: --target-size N (a dataset study's target is "
        "its full dataset)",
    )


def _stop_reason(
    report: AdviceReport,
    ranked: list,
    width: float,
    short: str,
    left_s: float,
    steps: int,
    max_steps: int | None,
) -> str:
    now = f"{interval_text(report.low, report.high)} is {report.width:.2f}x wide"
    if report.width <= width and not short:
        return f"reached: {now}, at most {width:g}"
    if report.width <= width and not ranked:
        return f"reached: {now}, at most {width:g}, though {short} and nothing in reach adds it"
    if report.out_of_reach and report.width > width:
        return f"nothing in reach narrows it: {report.out_of_reach}"
    if not ranked:
        return f"nothing in reach to measure: {report.best or now}"
    if max_steps is not None and steps >= max_steps:
        return f"{steps} step(s) taken, as asked: {now}; next: {report.sentence(ranked[0])}"
    best = ranked[0]
    if best.cost_s > left_s:
        return (
            f"budget: the next measurement ({best.candidate.label}, about "
            f"{fmt_seconds(best.cost_s)}) does not fit the {fmt_seconds(max(left_s, 0))} "
            f"left; {now}"
        )
    return ""


def _keep(store: ResultsStore, summary: AdaptiveSummary) -> None:
    """Append this call's steps and stopping reason to the study's adaptive document."""
    kept = store.load_json(summary.study, ADAPTIVE_DOCUMENT) or {"sweeps": []}
    kept["sweeps"].append(
        {
            "until_width": summary.until_width,
            "budget_s": summary.budget_s if math.isfinite(summary.budget_s) else None,
            "target": {"size": summary.target_size, "n_workers": summary.target_workers},
            "steps": summary.steps,
            "width": summary.width if math.isfinite(summary.width) else None,
            "interval": summary.interval,
            "stopped": summary.stopped,
            "elapsed_s": summary.elapsed_s,
        }
    )
    store.save_json(summary.study, ADAPTIVE_DOCUMENT, kept)
