"""Which measurement to take next: candidates ranked by how much they narrow the
target's interval per second of measuring.

Usage::

    report = advise(df, target_size=1.0, target_workers=2, reach=Reach(workers=(1, 2)))
    report.now                 # (seconds, low, high) at the target, as analyze says it
    report.ranked[0].sentence  # 'measure 0.08 on 2 workers (4 runs, about 35 s) to narrow
                               #  the forecast at 1 on 2 workers from 0.6 s-9 s to 2.1 s-3.4 s'
    report.out_of_reach        # '' or what nothing within reach can narrow, and what would

Each candidate (``advise_candidates``) is scored as a preposterior: ``DRAWS`` outcomes
of measuring it are drawn from the current forecast's predictive distribution at that
point (a shared offset with the forecast's own spread beyond run noise, and run noise
per run), the time model is refitted on the records plus each outcome (the form
re-selected, the interval rebuilt): the expected width at the target is the median of
the refits' widths (where the forecast lands depends on the outcome, how wide it is
far less). New sizes go on measured worker counts and new counts at measured sizes
(``advise_candidates``): a point off every slice lets a refit drop a term the data
never tested and claim a narrow interval it has not earned. All candidates share the
same random draws, so their differences are not draw noise. A candidate's value is the
log-width it removes, ``log(high/low) now - log(high/low) after``, per second of its
expected cost.

As Extra-P's measurement-point advisor and Ernest's experiment design do, this trades
expected information against cost; unlike a variance formula it also prices what no
formula sees: a larger size that rules out a competing form, or a new worker count
that replaces the stated per-doubling prior with the runs' own trend.

Pure: records in, ranked advice out (fits only; no cluster, no I/O).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scaling_lib.analysis.advise_candidates import (
    Candidate,
    MeasuringCost,
    Reach,
    candidate_points,
)
from scaling_lib.analysis.predict import TimeModel, fit_time_model
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.errors import AnalysisError
from scaling_lib.units import fmt_number, fmt_seconds

__all__ = [
    "Advice",
    "AdviceReport",
    "Candidate",
    "Reach",
    "Unconfirmed",
    "advise",
    "interval_text",
    "unconfirmed",
]

DRAWS = 3  # outcomes drawn per candidate (shared across candidates)
REFIT_REPLICAS = 40  # bootstrap replicas per refit: enough for a width, 5x faster than 200
MIN_NARROWING = 0.05  # a candidate removing under 5% of the log-width narrows nothing
MIN_SIZES = 4  # an interval to stop on: two forward-chaining steps (unconfirmed)


@dataclass(frozen=True)
class Advice:
    """One candidate measurement, priced and scored."""

    candidate: Candidate
    cost_s: float  # expected seconds: cluster start, prepare, warm-up and timed runs
    run_s: float  # the forecast of one run there
    low: float  # the expected interval at the target once it is measured
    high: float
    narrowing: float  # log-width it removes (log(high/low) now minus after)

    @property
    def per_second(self) -> float:
        return self.narrowing / self.cost_s if self.cost_s > 0 else 0.0

    @property
    def width(self) -> float:
        return self.high / self.low if self.low > 0 else math.inf


@dataclass
class AdviceReport:
    """The advice for one target: the forecast now and the candidates ranked."""

    target_size: float
    target_workers: int
    seconds: float
    low: float
    high: float
    ranked: list[Advice] = field(default_factory=list)  # in reach, best first
    beyond: list[Advice] = field(default_factory=list)  # a bigger machine's, best first
    out_of_reach: str = ""  # nothing within reach narrows: why, and what would

    @property
    def width(self) -> float:
        return self.high / self.low if self.low > 0 else math.inf

    def sentence(self, advice: Advice) -> str:
        c = advice.candidate
        where = "" if c.in_reach else " on a bigger machine or an existing cluster"
        return (
            f"{c.label}{where} (about {fmt_seconds(advice.cost_s)}) to narrow the forecast "
            f"at {fmt_number(self.target_size)} on {self.target_workers} workers from "
            f"{interval_text(self.low, self.high)} to {interval_text(advice.low, advice.high)}"
        )

    @property
    def best(self) -> str:
        """The one line beside a forecast: the best measurement, or why there is none."""
        if self.out_of_reach:
            return self.out_of_reach
        return self.sentence(self.ranked[0]) if self.ranked else ""

    def as_dict(self) -> dict:
        def row(a: Advice) -> dict:
            return {
                "size": a.candidate.size,
                "n_workers": a.candidate.n_workers,
                "kind": a.candidate.kind,
                "in_reach": a.candidate.in_reach,
                "cost_s": a.cost_s,
                "run_s": a.run_s,
                "expected_low": a.low,
                "expected_high": a.high,
                "expected_width": a.width,
                "narrowing": a.narrowing,
                "narrowing_per_s": a.per_second,
                "text": self.sentence(a),
            }

        return {
            "schema": "advice/1",
            "target": {"size": self.target_size, "n_workers": self.target_workers},
            "now": {"seconds": self.seconds, "low": self.low, "high": self.high},
            "width": self.width,
            "candidates": [row(a) for a in self.ranked],
            "beyond_reach": [row(a) for a in self.beyond],
            "out_of_reach": self.out_of_reach or None,
            "best": self.best or None,
        }


def interval_text(low: float, high: float) -> str:
    return f"{fmt_seconds(low)}-{fmt_seconds(high)}"


def advise(
    df: pd.DataFrame,
    *,
    target_size: float,
    target_workers: int,
    reach: Reach,
    budget_s: float = math.inf,
    draws: int = DRAWS,
    seed: int = 0,
) -> AdviceReport:
    """Rank the measurements ``reach`` can take by narrowing per second (module docstring);
    with ``budget_s``, only those expected to take at most that long."""
    runs = dask_runs(df).reset_index(drop=True)
    model = _fit(runs)
    now = model.predict(target_size, target_workers)
    report = AdviceReport(target_size, int(target_workers), now.seconds, now.low, now.high)
    width_now = _log_width(now.low, now.high)
    cost = MeasuringCost.from_records(runs)
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(draws)
    per_run = rng.standard_normal((draws, max(reach.repeats, 1)))
    scored = []
    for cand in candidate_points(
        runs, reach, target_size=target_size, target_workers=target_workers
    ):
        here = model.predict(cand.size, cand.n_workers)
        lows, highs = [], []
        for d in range(draws):
            times = _outcome(model, here, shared[d], per_run[d, : reach.repeats])
            after = _fit(pd.concat([runs, _rows(runs, model, cand, times)], ignore_index=True))
            p = after.predict(target_size, target_workers)
            lows.append(max(p.low, 1e-12))
            highs.append(p.high)
        # Where the forecast lands depends on the outcome; how wide it is, far less:
        # the expected width is the median of the refits' widths, and the interval
        # shown is the median of their bounds.
        low, high = _geometric_median(lows), _geometric_median(highs)
        width_after = float(np.median([_log_width(a, b) for a, b in zip(lows, highs, strict=True)]))
        scored.append(
            Advice(
                candidate=cand,
                cost_s=cost.seconds(cand, here.seconds, reach),
                run_s=here.seconds,
                low=low,
                high=high,
                narrowing=width_now - width_after,
            )
        )
    report.ranked = sorted(
        (a for a in scored if a.candidate.in_reach and a.cost_s <= budget_s),
        key=lambda a: -a.per_second,
    )
    report.beyond = sorted(
        (a for a in scored if not a.candidate.in_reach), key=lambda a: -a.narrowing
    )
    report.out_of_reach = _out_of_reach(report, width_now)
    return report


@dataclass(frozen=True)
class Unconfirmed:
    """Why a narrow interval is not yet one to stop on, and which candidates confirm it."""

    reason: str
    kinds: tuple[str, ...]  # candidate kinds that confirm it
    size: float | None = None  # only at this size (None: any)

    def wanted(self, candidate: Candidate) -> bool:
        return candidate.kind in self.kinds and (
            self.size is None or abs(candidate.size / self.size - 1) < 1e-9
        )


def unconfirmed(df: pd.DataFrame) -> Unconfirmed | None:
    """None when a narrow interval from these records is one to stop on; else why not,
    and what would confirm it.

    The size term's extrapolation error comes from forward chaining (each size from the
    third up predicted from the smaller ones): with fewer than ``MIN_SIZES`` sizes that is
    one check or none, and the rate is a floor; the intervals' coverage was calibrated on
    4 sizes or more (``benchmarks/coverage.py``). And the largest size measured on one
    worker count only leaves the law at the large end to one slice: in the advisor's
    benchmark, those were the designs whose narrow intervals missed. An adaptive design
    reaches a narrow interval cheaply, so it is asked to have what the calibrated grids
    had before it stops: the next point is a new size, or the largest size on another
    worker count."""
    runs = dask_runs(df)
    sizes = runs["size"].nunique()
    if sizes < MIN_SIZES:
        return Unconfirmed(
            f"the interval comes from {sizes} measured sizes; its extrapolation error is "
            f"checked from {MIN_SIZES} (two forward-chaining steps)",
            ("new size",),
        )
    largest = float(runs["size"].max())
    counts = runs.loc[runs["size"] == largest, "n_workers"].nunique()
    if counts < 2 <= runs["n_workers"].nunique():
        return Unconfirmed(
            f"the largest size ({fmt_number(largest)}) was measured on one worker count: "
            "the law at the large end rests on one slice",
            ("new point", "new workers"),
            largest,
        )
    return None


def _fit(runs: pd.DataFrame) -> TimeModel:
    try:
        return fit_time_model(runs, draws=REFIT_REPLICAS)
    except (AnalysisError, ValueError) as exc:
        raise AnalysisError(
            f"no advice without a time model ({exc}): measure at least 4 distinct (size, "
            "workers) points first, e.g. the two smallest sizes on two worker counts"
        ) from exc


def _outcome(model: TimeModel, here, shared: float, per_run: np.ndarray) -> np.ndarray:
    """``len(per_run)`` run times drawn from the forecast's predictive distribution at a
    point: a shared offset with the forecast's spread beyond run noise, then run noise."""
    q = model.spread.quantile
    total_sd = _log_width(here.low, here.high) / (2 * q) if here.low > 0 else 0.0
    noise = model.spread.noise_sd
    offset_sd = math.sqrt(max(total_sd**2 - noise**2, 0.0))
    centre = math.log(max(here.seconds, 1e-9))
    return np.exp(centre + offset_sd * shared + noise * per_run)


def _rows(runs: pd.DataFrame, model: TimeModel, cand: Candidate, times) -> pd.DataFrame:
    """Records of a drawn outcome, shaped like the study's own (a measured row as the
    template; what differs at a new point is set, what cannot be known is left out)."""
    same = runs[runs["n_workers"] == cand.n_workers]
    template = (same if len(same) else runs).sort_values("size").iloc[[-1] * len(times)].copy()
    template["size"] = cand.size
    template["n_workers"] = cand.n_workers
    template["wall_s"] = np.asarray(times, float)
    template["repeat"] = range(len(times))
    if "work_items" in template and model.work is not None:
        template["work_items"] = float(model.work_of([cand.size])[0])
    for column in ("sample_partitions", "sample_rows", "rows_per_partition", "task_count"):
        if column in template:
            template[column] = np.nan
    if "oversubscribed" in template:
        template["oversubscribed"] = False
    return template


def _log_width(low: float, high: float) -> float:
    if not (low > 0 and math.isfinite(high) and high > 0):
        return math.inf
    return math.log(high / low)


def _geometric_median(values: list[float]) -> float:
    return float(np.exp(np.median(np.log(np.asarray(values, float)))))


def _out_of_reach(report: AdviceReport, width_now: float) -> str:
    """'' when something within reach narrows the target; else why, and what would."""
    best = report.ranked[0] if report.ranked else None
    if best is not None and best.narrowing >= MIN_NARROWING * width_now:
        return ""
    now = interval_text(report.low, report.high)
    if not report.ranked:
        text = f"nothing this machine can measure narrows {now}"
    else:
        text = (
            f"nothing this machine can measure narrows {now} (the best, "
            f"{best.candidate.label}, would leave {interval_text(best.low, best.high)})"
        )
    helps = [a for a in report.beyond if a.narrowing >= MIN_NARROWING * width_now]
    if helps:
        a = helps[0]
        return (
            f"{text}: the uncertainty is in how the work divides beyond the measured "
            f"workers; measure {fmt_number(a.candidate.size)} on {a.candidate.n_workers} "
            f"workers on a bigger machine or an existing cluster (expected "
            f"{interval_text(a.low, a.high)})"
        )
    if report.target_workers > max([a.candidate.n_workers for a in report.ranked] + [1]):
        return (
            f"{text}: the uncertainty is in how the work divides beyond the measured "
            f"workers; measure on more workers (up to {report.target_workers}) on a bigger "
            "machine or an existing cluster, or replay the graph with `scaling-lib what-if`"
        )
    return f"{text}: it is run noise or the fit's form; add repeats on a quieter machine"
