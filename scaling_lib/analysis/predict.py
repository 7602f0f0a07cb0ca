"""Predicting time at a target size and worker count, with an interval and honest flags.

Usage::

    model = fit_time_model(df)                 # T(n, p) from a study's successful Dask runs
    pred = model.predict(size=1e7, n_workers=16)
    pred.seconds, pred.low, pred.high, pred.warnings

The interval is a prediction interval for one run at ``LEVEL`` (90%): run noise,
the fit's parameters (a parametric bootstrap) and an extrapolation error that grows
with each doubling of the *work* beyond the largest measured size and of the workers
beyond the measured counts (see ``interval``); it also spans the other forms the
cross-validation could not rule out (``model.alternatives``): four sizes rarely tell
n^(5/2) from n^3 apart, and far from the data they disagree. A prediction far outside
the measured work, beyond the measured worker counts, or from noisy repeats says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_lib.analysis.fit import fit_ernest
from scaling_lib.analysis.fit_two import TwoParameterModel, fit_two_parameter, nested_cv_error
from scaling_lib.analysis.interval import LEVEL, IntervalSpread, interval_spread
from scaling_lib.analysis.narrowing import Target, WidthParts, too_wide
from scaling_lib.analysis.off_trend import OffTrendPoint, off_trend_points, without_left_out
from scaling_lib.analysis.scaling import NOISY_CV, dask_runs, point_table
from scaling_lib.errors import AnalysisError
from scaling_lib.units import fmt_number

__all__ = ["FAR_EXTRAPOLATION", "LEVEL", "Prediction", "TimeModel", "fit_time_model"]

FAR_EXTRAPOLATION = 4.0  # beyond 4x the largest measured work, trust drops


@dataclass(frozen=True)
class Prediction:
    size: float
    n_workers: int
    seconds: float
    low: float  # prediction interval for one run at `level` (see the module docstring)
    high: float
    model: str
    size_ratio: float  # target size / largest measured size
    workers_ratio: float  # target workers / largest measured worker count
    noisy: bool
    warnings: tuple[str, ...]
    work_ratio: float = 1.0  # work at the target / work at the largest measured size
    level: float = LEVEL
    too_wide: str = ""  # why the interval informs nothing and what would narrow it (narrowing)


@dataclass
class TimeModel:
    model: TwoParameterModel
    n: np.ndarray
    p: np.ndarray
    t: np.ndarray
    work: np.ndarray | None
    groups: list[np.ndarray]
    noisy_points: int
    max_cv: float
    draws: int = 200
    excluded: str = ""  # runs left out of the fit, and why (see fit_time_model)
    off_trend: tuple[OffTrendPoint, ...] = ()  # points off their neighbours' trend, kept or not

    def refit(self, rows: np.ndarray, seconds: np.ndarray):
        """The chosen form fitted to these runs with these times: ``(n, p) -> s``."""
        work = None if self.work is None else self.work[rows]
        return _refit(self.model, self.n[rows], self.p[rows], seconds, work).predict

    def work_of(self, sizes) -> np.ndarray:
        """The work at each size, in the unit extrapolation distance is counted in: the
        workload's own accounting when it reports work, else the fitted size term."""
        sizes = np.atleast_1d(np.asarray(sizes, dtype=float))
        if self.model.work is not None:
            return np.asarray(self.model.work.work_of_size.predict(sizes), dtype=float)
        for term_n, _ in self.model.terms:
            if term_n is not None and term_n.exponent > 0:
                return np.asarray(term_n(sizes), dtype=float)
        return sizes

    @property
    def nested_error(self) -> float | None:
        """The selection's error on points it was not chosen on, in percent (SMAPE):
        see ``fit_two.nested_cv_error``. Computed once, when first asked for."""
        if not hasattr(self, "_nested_error"):
            self._nested_error = nested_cv_error(self.n, self.p, self.t, self.work)
        return self._nested_error

    @property
    def spread(self) -> IntervalSpread:
        if getattr(self, "_spread", None) is None:
            self._spread = interval_spread(self.refit, self.work_of, self.n, self.p, self.t)
        return self._spread

    def _replicas(self) -> list[TwoParameterModel]:
        """The model refitted to ``draws`` data sets simulated from the fit with the
        measured run noise (a parametric bootstrap), fitted once: the simulated data do
        not depend on where a prediction is asked for."""
        if getattr(self, "_replica_models", None) is None:
            rng = np.random.default_rng(0)
            fitted = np.clip(self.model.predict(self.n, self.p), 1e-12, None)
            noise = self.spread.noise_sd
            replicas = []
            for _ in range(self.draws):
                t = fitted * np.exp(noise * rng.standard_normal(len(fitted)))
                replicas.append(_refit(self.model, self.n, self.p, t, self.work))
            self._replica_models = replicas
        return self._replica_models

    def _fixed_cost_regime(self) -> str | None:
        return _fixed_cost_note(self.n, self.t, self.work)

    def _never_faster(self) -> str | None:
        """A sentence when more workers were never faster at any measured size (median
        times): the runs then show nothing of how work added beyond them divides.

        At small sizes, moving blocks between workers (data ~ n^2 against work ~ n^3
        for a matrix product) or having too few tasks can cost more than dividing saves;
        with more work that changes, which no law fitted to those runs can foresee. The
        interval's low end then allows for the added work dividing evenly
        (``_if_it_divides``)."""
        few, many = self.p.min(), self.p.max()
        if few == many:
            return None
        medians = pd.DataFrame({"n": self.n, "p": self.p, "t": self.t}).groupby(["n", "p"])
        table = medians["t"].median().unstack()
        both = table[[few, many]].dropna()
        if both.empty or (both[many] < both[few]).any():
            return None
        return (
            f"{many:g} workers were never faster than {few:g} at the measured sizes: the "
            "runs show nothing of how the work added at this size divides (at small "
            "sizes, moving data or too few tasks can cost more than dividing saves, and "
            "more work changes that); the interval's low end allows for it dividing "
            "evenly, and `scaling-lib what-if` replays the graph at this size"
        )

    def _if_it_divides(self, size: float, n_workers: float) -> float:
        """The time if the work added beyond the largest measured size divided evenly
        among the workers, on top of what the fit says at that size."""
        top, few = float(self.n.max()), float(self.p.min())
        t = self.model.predict(np.array([top, size, top]), np.array([few, few, n_workers]))
        return float(t[2] + max(float(t[1] - t[0]), 0.0) * few / n_workers)

    def predict(self, size: float, n_workers: int) -> Prediction:
        return self.predict_many(size, [n_workers])[0]

    def predict_many(self, size: float, workers: list[int] | np.ndarray) -> list[Prediction]:
        """Predictions at one size for several worker counts, each replica evaluated once
        over all of them (what ranking many instance options needs)."""
        p_arr = np.asarray(workers, dtype=float)
        size_arr = np.full_like(p_arr, float(size))
        central = self.model.predict(size_arr, p_arr)
        replicas = np.array([m.predict(size_arr, p_arr) for m in self._replicas()])
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(np.where(replicas > 0, replicas, np.nan))
        parameter_sd = np.nan_to_num(np.nanstd(logs, axis=0), nan=1.0)
        spread = self.spread
        measured_work = self.work_of([self.n.min(), self.n.max()])
        target_work = float(self.work_of([size])[0])
        work_ratio = target_work / measured_work[1] if measured_work[1] > 0 else 1.0
        size_distance = max(work_ratio, measured_work[0] / target_work if target_work else 1.0)
        noisy = self.max_cv > NOISY_CV
        regime = self._fixed_cost_regime()
        never_faster = self._never_faster()
        size_ratio = float(size) / self.n.max()
        out = []
        for i, n_workers in enumerate(p_arr):
            c = float(central[i])
            workers_ratio = float(n_workers) / self.p.max()
            workers_distance = max(workers_ratio, self.p.min() / float(n_workers))
            log_sd = spread.log_sd(size_distance, workers_distance, float(parameter_sd[i]))
            low, high = spread.bounds(max(c, 1e-12), log_sd)
            spread_low, spread_high = low, high
            for alternative in self.model.alternatives:
                other = float(alternative.predict(size_arr[i : i + 1], p_arr[i : i + 1])[0])
                low, high = min(low, other), max(high, other)
            forms_low = low
            warnings = self._warnings(int(n_workers), work_ratio, workers_ratio, noisy)
            if never_faster and float(size) > self.n.max() and n_workers > self.p.min():
                low = min(low, self._if_it_divides(float(size), float(n_workers)))
                warnings.append(never_faster)
            q = spread.quantile
            size_out = math.log2(max(size_distance, 1.0))
            workers_out = math.log2(max(workers_distance, 1.0))
            # The fit's own uncertainty at a target outside the measured points is the
            # leverage of that distance: it goes to the direction(s) the target lies in.
            fit_part = q * float(parameter_sd[i])
            away = size_out + workers_out
            parts = WidthParts(
                noise=q * spread.noise_sd,
                parameters=0.0 if away else fit_part,
                size=q * spread.size_rate * size_out + (fit_part * size_out / away if away else 0),
                workers=q * spread.worker_rate * workers_out
                + (fit_part * workers_out / away if away else 0),
                forms=_log_ratio(high, spread_high) + _log_ratio(spread_low, forms_low),
                divides=_log_ratio(forms_low, low),
            )
            target = Target(
                float(size), int(n_workers), float(self.n.max()), int(self.p.max()), work_ratio
            )
            wide = too_wide(max(low, 0.0), high, parts, target, spread.level)
            if wide:
                warnings.append(wide)
            if regime:
                warnings.append(regime)
            if self.model.doubt:
                warnings.append(self.model.doubt)
            if c <= 0:
                warnings.append("the model predicts a non-positive time here: it does not apply")
            out.append(
                Prediction(
                    size=float(size),
                    n_workers=int(n_workers),
                    seconds=c,
                    low=max(low, 0.0),
                    high=high,
                    model=str(self.model),
                    size_ratio=size_ratio,
                    workers_ratio=workers_ratio,
                    noisy=noisy,
                    warnings=tuple(warnings),
                    work_ratio=work_ratio,
                    level=spread.level,
                    too_wide=wide,
                )
            )
        return out

    def _warnings(
        self, n_workers: int, work_ratio: float, workers_ratio: float, noisy: bool
    ) -> list[str]:
        warnings = []
        if work_ratio > FAR_EXTRAPOLATION:
            warnings.append(
                f"the work at this size is {fmt_number(work_ratio)}x that of the largest "
                f"measured size ({fmt_number(self.n.max())}): measure a larger size to trust "
                "this"
            )
        counts = np.unique(self.p)
        if n_workers > counts.max() or n_workers < counts.min():
            measured = ", ".join(f"{c:g}" for c in counts)
            warnings.append(
                f"{n_workers} workers is beyond the measured worker counts ({measured}): the "
                "fitted law assumes how time divides among workers; the interval adds "
                f"{self.spread.worker_rate:.0%} per doubling, and `scaling-lib what-if` "
                "replays the measured task graphs on this many workers"
            )
        if len(counts) < 2 and n_workers != self.p.max():
            warnings.append("only one worker count measured: the worker dependence is a guess")
        if noisy:
            warnings.append(
                f"noisy repeats (coefficient of variation up to {self.max_cv:.0%} at "
                f"{self.noisy_points} point(s)): add repeats or quieten the machine"
            )
        return warnings


def _log_ratio(a: float, b: float) -> float:
    """log(a / b) for positive a >= b, 0 otherwise (how far a bound was moved)."""
    return math.log(a / b) if a > 0 and b > 0 and a > b else 0.0


FIXED_COST_ELASTICITY = 0.5  # time growing slower than sqrt(work) is mostly fixed cost


def _fixed_cost_note(n, t, work) -> str | None:
    """Say so when, between the two largest measured sizes, time grew far slower than
    the work: the regime a prediction extrapolates from is still mostly fixed cost.
    (The smallest sizes being fixed cost is normal; the largest being so is not.)"""
    sizes = np.unique(n)
    if work is None or len(sizes) < 2:
        return None
    below, top = n == sizes[-2], n == sizes[-1]
    work_growth = np.median(work[top]) / np.median(work[below])
    time_growth = np.median(t[top]) / np.median(t[below])
    if work_growth > 1.5 and time_growth < work_growth**FIXED_COST_ELASTICITY:
        return (
            "fixed costs dominate even the largest measured sizes (from "
            f"{fmt_number(sizes[-2])} to {fmt_number(sizes[-1])} time grew "
            f"{time_growth:.2f}x while work grew {work_growth:.1f}x): "
            "extrapolating from them is unreliable; measure sizes where time grows with "
            "the work"
        )
    return None


OVERSUBSCRIBED_CPU_SHARE = 0.5  # an oversubscribed run computing this much was contended


def fit_time_model(df: pd.DataFrame, *, metric: str = "wall_s", draws: int = 200) -> TimeModel:
    """Fit T(n, p) to a study's successful Dask runs (see ``fit_two_parameter``).

    Points whose cost per unit of work departs from their neighbours' beyond the run
    noise are in ``off_trend``; those off because of their partition layout or a warm-up
    are left out (``off_trend.off_trend_points`` decides, so every surface agrees).
    Runs with more threads than the host has cores that spent over half their thread
    time on the CPU measured contention, not scaling: they are left out too while the
    others still give 4 points. Oversubscribed runs of tasks that wait (I/O, sleeps,
    GIL-free waits) stay: for them extra workers are real. ``excluded`` names all of them."""
    runs = dask_runs(df).reset_index(drop=True)
    if runs.empty:
        raise AnalysisError("no successful Dask runs to model")
    off_trend = tuple(off_trend_points(runs))
    runs, off = without_left_out(runs, list(off_trend))
    runs, contended = _without_contended(runs)
    excluded = "; ".join(part for part in (off, contended) if part)
    n = runs["size"].to_numpy(float)
    p = runs["n_workers"].to_numpy(float)
    t = runs[metric].to_numpy(float)
    work = runs["work_items"].to_numpy(float) if "work_items" in runs else None
    model = fit_two_parameter(n, p, t, work=work)
    groups = [np.asarray(idx) for idx in runs.groupby(["size", "n_workers"]).indices.values()]
    table = point_table(runs, metric)
    return TimeModel(
        model=model,
        n=n,
        p=p,
        t=t,
        work=work,
        groups=groups,
        noisy_points=int((table["cv"] > NOISY_CV).sum()),
        max_cv=float(table["cv"].max()) if len(table) else 0.0,
        draws=draws,
        excluded=excluded,
        off_trend=off_trend,
    )


def _without_contended(runs: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The runs without the CPU-bound oversubscribed ones, and a sentence saying so."""
    if "oversubscribed" not in runs or "cpu_s" not in runs:
        return runs, ""
    over = runs["oversubscribed"].fillna(False).astype(bool)
    capacity = runs["wall_s"] * runs["n_workers"] * runs["threads_per_worker"].fillna(1)
    busy = (runs["cpu_s"].fillna(0) / capacity) > OVERSUBSCRIBED_CPU_SHARE
    contended = over & busy
    kept = runs[~contended].reset_index(drop=True)
    if not contended.any() or len(kept.groupby(["size", "n_workers"])) < 4:
        return runs, ""
    counts = ", ".join(f"{c:g}" for c in sorted(runs.loc[contended, "n_workers"].unique()))
    return kept, (
        f"{int(contended.sum())} CPU-bound run(s) with more threads than cores (workers "
        f"{counts}) left out of the fit: they measure contention, not scaling"
    )


def _refit(model: TwoParameterModel, n, p, t, work=None) -> TwoParameterModel:
    """The same model form, refitted to resampled data (no new search)."""
    if model.work is not None:
        from scaling_lib.analysis.fit import fit_work_model

        refit = fit_work_model(n, p, t, work, work_of_size=model.work.work_of_size)
        return TwoParameterModel(0.0, (), (), model.cv_smape, "work", None, {}, refit)
    if model.ernest is not None:
        ernest = fit_ernest(n, p, t, size_scale=model.ernest.size_scale)
        return TwoParameterModel(0.0, (), (), model.cv_smape, "ernest", ernest)
    from scaling_lib.analysis.fit_two import _design, _scaled_lstsq

    c0, coefs = _scaled_lstsq(_design(n, p, model.terms), np.asarray(t, dtype=float))
    return TwoParameterModel(c0, coefs, model.terms, model.cv_smape, model.kind)
