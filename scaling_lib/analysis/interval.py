"""Prediction intervals for one run at a target size and worker count, at a stated level.

Usage::

    spread = interval_spread(model, n, p, t, work)     # once per fitted model
    spread.log_sd(size_distance=8.0, workers_distance=4.0, parameter_sd=0.03)
    spread.bounds(central=12.0, log_sd=0.2)            # (low, high) at LEVEL

A forecast answers "how long will my run take?", so the interval is for one run, not
for the mean. In log time (run-time noise is multiplicative), its variance adds:

- **run noise**: the pooled spread of the repeats at each measured point;
- **parameters**: the spread of the model's prediction over refits to data simulated
  from the fit with that noise (a parametric bootstrap: it grows with the leverage
  of the target, as a regression's prediction interval does);
- **extrapolation in size**: ``size_rate`` per doubling of the *work*, where the rate
  is what the chosen form's own forward-chaining errors show (each measured size from
  the third up, predicted from the smaller ones), beyond what run noise explains;
- **extrapolation in workers**: ``WORKER_RATE`` per doubling beyond the measured
  worker counts when three or more counts cannot give a forward-chaining rate.

The quantile is Student's t on the run-noise degrees of freedom. Each rate has a
floor: four sizes give two forward-chaining steps, too few to rule out an error the
data happened not to show. ``benchmarks/coverage.py`` measures the coverage.

Pure: arrays in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "LEVEL",
    "SIZE_RATE_FLOOR",
    "WORKER_RATE",
    "IntervalSpread",
    "interval_spread",
    "run_noise",
]

LEVEL = 0.90  # nominal coverage of every forecast interval
# Floor of the extrapolation error per doubling of work: two forward-chaining steps
# cannot rule out an error they happened not to show. 1.5%: the fitted model's median
# error predicting 32s from s..8s on the built-in workloads was 2.0%
# (benchmarks/prediction.py, README) over 2 (dataframe, train) to 6 (array) doublings
# of work.
SIZE_RATE_FLOOR = 0.015
# Error per doubling of workers beyond the measured counts, when fewer than 3 counts
# were measured: benchmarks/simulate.py's Amdahl law from 1-2 workers missed real Dask
# runs on 4, 8 and 16 workers (1-3 doublings, 2 on average) by 9.3% (median) when fitted
# by least squares over the runs, 8.1% when drawn through the two medians: for a normal
# error, a median |e| of 9.3% over 2 doublings is a sd of 7% per doubling (the larger).
WORKER_RATE = 0.07
NOISE_FLOOR = 0.01  # repeats that agree closer than this still vary by that much


def run_noise(n, p, t) -> tuple[float, int]:
    """Pooled standard deviation of log time across repeats at each (n, p), and its
    degrees of freedom (runs minus points). Without repeats: NOISE_FLOOR and 1."""
    n, p, t = (np.asarray(a, float) for a in (n, p, t))
    logs = np.log(np.clip(t, 1e-12, None))
    ss, dof = 0.0, 0
    for a, b in set(zip(n.tolist(), p.tolist(), strict=True)):
        g = logs[(n == a) & (p == b)]
        if len(g) > 1:
            ss += float(np.sum((g - g.mean()) ** 2))
            dof += len(g) - 1
    if dof == 0:
        return NOISE_FLOOR, 1
    return max(math.sqrt(ss / dof), NOISE_FLOOR), dof


@dataclass(frozen=True)
class IntervalSpread:
    """What a fitted model's intervals are built from (see the module docstring)."""

    noise_sd: float  # per-run sd of log time
    dof: int  # degrees of freedom of the noise estimate
    size_rate: float  # extra sd of log time per doubling of work beyond the measured sizes
    size_rate_source: str
    worker_rate: float  # extra sd per doubling of workers beyond the measured counts
    worker_rate_source: str
    level: float = LEVEL

    @property
    def quantile(self) -> float:
        return float(stats.t.ppf(0.5 + self.level / 2, max(self.dof, 1)))

    def log_sd(self, size_distance: float, workers_distance: float, parameter_sd: float) -> float:
        """Total sd of log time at a target ``size_distance`` times the largest measured
        work and ``workers_distance`` times past the measured worker counts (1 inside)."""
        size_doublings = math.log2(max(size_distance, 1.0))
        worker_doublings = math.log2(max(workers_distance, 1.0))
        return math.sqrt(
            self.noise_sd**2
            + parameter_sd**2
            + (self.size_rate * size_doublings) ** 2
            + (self.worker_rate * worker_doublings) ** 2
        )

    def bounds(self, central: float, log_sd: float) -> tuple[float, float]:
        half = self.quantile * log_sd
        return central * math.exp(-half), central * math.exp(half)


def interval_spread(
    refit: Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]],
    work_of: Callable[[np.ndarray], np.ndarray],
    n,
    p,
    t,
) -> IntervalSpread:
    """The spread of a fitted form's forecasts.

    ``refit(rows, seconds)`` fits the chosen form to those runs, with those times, and
    returns its predictor ``(n, p) -> seconds``; ``work_of(n)`` is the work at a size
    (the measure extrapolation distance is counted in).
    """
    n, p, t = (np.asarray(a, float) for a in (n, p, t))
    noise, dof = run_noise(n, p, t)
    try:
        size_rate, size_source = _forward_rate(refit, work_of, n, p, t, noise)
    except (ValueError, np.linalg.LinAlgError) as exc:  # a refit the subset cannot carry
        size_rate = SIZE_RATE_FLOOR
        size_source = f"{SIZE_RATE_FLOOR:.1%} per doubling of work (a floor: {exc})"
    counts = np.unique(p)
    if len(counts) >= 3:
        try:
            worker_rate, worker_source = _forward_worker_rate(refit, n, p, t, noise)
        except (ValueError, np.linalg.LinAlgError) as exc:
            worker_rate = WORKER_RATE
            worker_source = f"{WORKER_RATE:.0%} per doubling of workers (a prior: {exc})"
    else:
        worker_rate = WORKER_RATE
        worker_source = (
            f"{WORKER_RATE:.0%} per doubling of workers beyond the {len(counts)} measured "
            "count(s): a stated prior (real Dask runs beyond the measured counts missed by "
            "about that much), since fewer than 3 counts cannot show their own trend"
        )
    return IntervalSpread(noise, dof, size_rate, size_source, worker_rate, worker_source)


def _median_logs(n, p, t, rows) -> dict[tuple[float, float], float]:
    out = {}
    for a, b in set(zip(n[rows].tolist(), p[rows].tolist(), strict=True)):
        out[(a, b)] = float(np.log(np.median(t[rows][(n[rows] == a) & (p[rows] == b)])))
    return out


def _forward_rate(refit, work_of, n, p, t, noise) -> tuple[float, str]:
    """Error per doubling of work when each size from the third up is predicted from the
    smaller ones, beyond what run noise explains (see ``_excess``)."""
    sizes = np.unique(n)
    squares, doublings_sq = [], []
    for k in range(2, len(sizes)):
        train = np.flatnonzero(n < sizes[k])
        held = np.flatnonzero(n == sizes[k])
        work = work_of(np.array([sizes[k - 1], sizes[k]]))
        doublings = math.log2(work[1] / work[0]) if work[0] > 0 and work[1] > work[0] else 1.0
        for excess in _excess(refit, n, p, t, train, held, noise):
            squares.append(excess)
            doublings_sq.append(max(doublings, 1e-9) ** 2)
    if not squares:
        return SIZE_RATE_FLOOR, (
            f"{SIZE_RATE_FLOOR:.1%} per doubling of work (a floor: fewer than 3 sizes give "
            "no forward-chaining check)"
        )
    rate = math.sqrt(max(float(np.sum(squares)), 0.0) / float(np.sum(doublings_sq)))
    source = (
        f"{rate:.1%} per doubling of work: the chosen form predicting each size from the "
        f"smaller ones ({len(squares)} checks)"
    )
    if rate < SIZE_RATE_FLOOR:
        source += f", raised to the floor of {SIZE_RATE_FLOOR:.1%}"
        rate = SIZE_RATE_FLOOR
    return rate, source


NOISE_REFITS = 24  # simulated data sets per forward step, to tell noise from model error


def _excess(refit, n, p, t, train, held, noise) -> list[float]:
    """For each held (n, p) point, the squared log error of the form fitted to ``train``
    beyond what noise alone produces: e^2 - v, where v is the variance of the held
    median plus the variance of the forecast over refits to the training runs re-drawn
    around the full fit with the measured noise. Negative when noise explains it all:
    the caller averages before taking the root (method of moments, unbiased), since
    clipping each term at zero would read noise as model error."""
    full = refit(np.arange(len(t)), t)
    points = sorted(set(zip(n[held].tolist(), p[held].tolist(), strict=True)))
    pn = np.array([a for a, _ in points])
    pp = np.array([b for _, b in points])
    forecast = np.asarray(refit(train, t[train])(pn, pp), dtype=float)
    rng = np.random.default_rng(1)
    base = np.clip(np.asarray(full(n, p), dtype=float), 1e-12, None)
    simulated = []
    for _ in range(NOISE_REFITS):
        redrawn = t.copy()
        redrawn[train] = base[train] * np.exp(noise * rng.standard_normal(len(train)))
        simulated.append(refit(train, redrawn[train])(pn, pp))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.nanvar(np.log(np.where(np.array(simulated) > 0, simulated, np.nan)), axis=0)
    out = []
    for i, (a, b) in enumerate(points):
        mask = (n == a) & (p == b)
        if forecast[i] <= 0:
            out.append(1.0)  # a non-positive forecast: as wrong as it gets (e = 1)
            continue
        error = math.log(float(np.median(t[mask]))) - math.log(float(forecast[i]))
        variance = noise**2 / int(mask.sum()) + float(np.nan_to_num(spread[i], nan=0.0))
        out.append(error**2 - variance)
    return out


def _forward_worker_rate(refit, n, p, t, noise) -> tuple[float, str]:
    """Error per doubling of workers predicting the largest count from the smaller ones."""
    counts = np.unique(p)
    train = np.flatnonzero(p < counts[-1])
    held = np.flatnonzero(p == counts[-1])
    doublings = math.log2(counts[-1] / counts[-2])
    squares = _excess(refit, n, p, t, train, held, noise)
    rate = max(math.sqrt(max(float(np.mean(squares)), 0.0)) / doublings, SIZE_RATE_FLOOR)
    return rate, (
        f"{rate:.1%} per doubling of workers: the chosen form predicting {counts[-1]:g} "
        f"workers from the smaller counts ({len(squares)} checks)"
    )
