"""Predicting time at a target size and worker count, with an interval and honest flags.

Usage::

    model = fit_time_model(df)                 # T(n, p) from a study's successful Dask runs
    pred = model.predict(size=1e7, n_workers=16)
    pred.seconds, pred.low, pred.high, pred.warnings

The interval combines three uncertainties: measurement noise (a bootstrap that
resamples the repeats at every point and refits the chosen model: its 5th to 95th
percentile), model error (the cross-validation SMAPE of the chosen model, applied
around the prediction), and the choice of model (it spans the predictions of every
other form the cross-validation could not rule out: ``model.alternatives``). Four
sizes rarely tell n^(5/2) from n^3 apart, and far from the data they disagree: the
interval says so instead of hiding it. A prediction far outside the measured sizes
or worker counts, or from noisy repeats, says so too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..formatting import fmt_number
from .fit import TwoParameterModel, fit_ernest, fit_two_parameter
from .scaling import NOISY_CV, dask_runs, point_table

__all__ = ["FAR_EXTRAPOLATION", "Prediction", "TimeModel", "fit_time_model"]

FAR_EXTRAPOLATION = 4.0  # beyond 4x the largest measured size (or workers), trust drops


@dataclass(frozen=True)
class Prediction:
    size: float
    n_workers: int
    seconds: float
    low: float  # bootstrap 90% interval, widened by model error and plausible other forms
    high: float
    model: str
    size_ratio: float  # target size / largest measured size
    workers_ratio: float  # target workers / largest measured worker count
    noisy: bool
    warnings: tuple[str, ...]


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

    def _replicas(self) -> list[TwoParameterModel]:
        """The model refitted to ``draws`` resamplings of the repeats, fitted once:
        the resamples do not depend on where a prediction is asked for."""
        if getattr(self, "_replica_models", None) is None:
            rng = np.random.default_rng(0)
            replicas = []
            for _ in range(self.draws):
                rows = np.concatenate(
                    [rng.choice(g, size=len(g), replace=True) for g in self.groups]
                )
                work = None if self.work is None else self.work[rows]
                replicas.append(_refit(self.model, self.n[rows], self.p[rows], self.t[rows], work))
            self._replica_models = replicas
        return self._replica_models

    def _fixed_cost_regime(self) -> str | None:
        return _fixed_cost_note(self.n, self.t, self.work)

    def predict(self, size: float, n_workers: int) -> Prediction:
        return self.predict_many(size, [n_workers])[0]

    def predict_many(self, size: float, workers: list[int] | np.ndarray) -> list[Prediction]:
        """Predictions at one size for several worker counts, each replica evaluated once
        over all of them (what ranking many instance options needs)."""
        p_arr = np.asarray(workers, dtype=float)
        size_arr = np.full_like(p_arr, float(size))
        central = self.model.predict(size_arr, p_arr)
        replicas = np.array([m.predict(size_arr, p_arr) for m in self._replicas()])
        lows, highs = np.percentile(replicas, [5, 95], axis=0)
        for alternative in self.model.alternatives:
            other = alternative.predict(size_arr, p_arr)
            lows, highs = np.minimum(lows, other), np.maximum(highs, other)
        model_error = self.model.cv_smape / 100
        noisy = self.max_cv > NOISY_CV
        regime = self._fixed_cost_regime()
        size_ratio = float(size) / self.n.max()
        out = []
        for i, n_workers in enumerate(p_arr):
            c = float(central[i])
            workers_ratio = float(n_workers) / self.p.max()
            warnings = self._warnings(size, int(n_workers), size_ratio, workers_ratio, noisy)
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
                    low=max(min(float(lows[i]), c * (1 - model_error)), 0.0),
                    high=max(float(highs[i]), c * (1 + model_error)),
                    model=str(self.model),
                    size_ratio=size_ratio,
                    workers_ratio=workers_ratio,
                    noisy=noisy,
                    warnings=tuple(warnings),
                )
            )
        return out

    def _warnings(
        self, size: float, n_workers: int, size_ratio: float, workers_ratio: float, noisy: bool
    ) -> list[str]:
        warnings = []
        if size_ratio > FAR_EXTRAPOLATION:
            warnings.append(
                f"size is {size_ratio:.0f}x the largest measured ({fmt_number(self.n.max())}): "
                "measure a larger size to trust this"
            )
        if workers_ratio > FAR_EXTRAPOLATION:
            warnings.append(
                f"{n_workers} workers is {workers_ratio:.0f}x the most measured "
                f"({self.p.max():g}): communication costs may appear that small runs do not show"
            )
        if len(np.unique(self.p)) < 2 and n_workers != self.p.max():
            warnings.append("only one worker count measured: the worker dependence is a guess")
        if noisy:
            warnings.append(
                f"noisy repeats (coefficient of variation up to {self.max_cv:.0%} at "
                f"{self.noisy_points} point(s)): add repeats or quieten the machine"
            )
        return warnings


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


def fit_time_model(df: pd.DataFrame, *, metric: str = "wall_s", draws: int = 200) -> TimeModel:
    """Fit T(n, p) to a study's successful Dask runs (see ``fit_two_parameter``)."""
    runs = dask_runs(df).reset_index(drop=True)
    if runs.empty:
        raise AnalysisError("no successful Dask runs to model")
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
    )


def _refit(model: TwoParameterModel, n, p, t, work=None) -> TwoParameterModel:
    """The same model form, refitted to resampled data (no new search)."""
    if model.work is not None:
        from .fit import fit_work_model

        refit = fit_work_model(n, p, t, work, work_of_size=model.work.work_of_size)
        return TwoParameterModel(0.0, (), (), model.cv_smape, "work", None, {}, refit)
    if model.ernest is not None:
        ernest = fit_ernest(n, p, t, size_scale=model.ernest.size_scale)
        return TwoParameterModel(0.0, (), (), model.cv_smape, "ernest", ernest)
    from .fit import _design

    a = np.column_stack([np.ones(len(n)), _design(n, p, model.terms)])
    coef, *_ = np.linalg.lstsq(a, t, rcond=None)
    return TwoParameterModel(
        float(coef[0]), tuple(float(c) for c in coef[1:]), model.terms, model.cv_smape, model.kind
    )
