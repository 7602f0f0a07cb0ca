"""Scaling laws and their fits: Amdahl, Gustafson, the Universal Scalability Law.

Usage::

    fit = fit_usl(workers, throughput)          # bounded least squares, with standard errors
    fit.sigma, fit.kappa, fit.lam, fit.peak_n, fit.predict([8, 16])
    fit_amdahl(workers, seconds).serial_fraction
    fit_gustafson(workers, scaled_speedup).serial_fraction
    implied_serial_fraction(workers, seconds)   # what two worker counts do show

A law the data cannot identify is refused (``NotIdentified``, naming why) rather than
fitted: the USL has three parameters, so fewer than 3 distinct worker counts leave it
free (a "peak" at any count fits); Amdahl's two are exactly determined by 2 counts,
which then fit any speedup and test nothing. Parameter intervals need residual degrees
of freedom (none: they are None, not zero-width) and stay inside the bounds.

Pure functions over arrays: no Dask, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from scaling_lib.errors import AnalysisError

__all__ = [
    "AmdahlFit",
    "GustafsonFit",
    "NotIdentified",
    "UslFit",
    "amdahl_speedup",
    "fit_amdahl",
    "fit_gustafson",
    "fit_usl",
    "gustafson_speedup",
    "implied_serial_fraction",
    "usl_throughput",
]

USL_MIN_COUNTS = 3  # sigma, kappa and lambda: three distinct worker counts at least
AMDAHL_MIN_COUNTS = 3  # two counts determine both parameters exactly


class NotIdentified(AnalysisError):
    """The measured worker counts cannot identify this law; the message says why."""


def amdahl_speedup(p, serial_fraction: float):
    """Speedup on ``p`` workers when ``serial_fraction`` of the one-worker time cannot be split."""
    p = np.asarray(p, dtype=float)
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / p)


def gustafson_speedup(p, serial_fraction: float):
    """Scaled speedup when the work grows with ``p`` (weak scaling)."""
    p = np.asarray(p, dtype=float)
    return p - serial_fraction * (p - 1.0)


def usl_throughput(n, sigma: float, kappa: float, lam: float):
    """X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))."""
    n = np.asarray(n, dtype=float)
    return lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


@dataclass(frozen=True)
class UslFit:
    """A fitted Universal Scalability Law, with standard errors and 95% intervals."""

    sigma: float  # contention (serial fraction)
    kappa: float  # coherency (crosstalk between workers)
    lam: float  # throughput of one worker
    se: dict[str, float]
    ci95: dict[str, tuple[float, float] | None]  # None: no residual degrees of freedom
    residual_std: float
    dof: int
    n_points: int

    @property
    def peak_n(self) -> float:
        """Worker count of peak throughput: sqrt((1 - sigma) / kappa); inf when kappa is 0."""
        return math.sqrt((1 - self.sigma) / self.kappa) if self.kappa > 0 else math.inf

    @property
    def peak_throughput(self) -> float:
        return (
            float(usl_throughput(self.peak_n, self.sigma, self.kappa, self.lam))
            if (math.isfinite(self.peak_n))
            else self.ceiling
        )

    @property
    def ceiling(self) -> float:
        """Throughput limit as N grows: lambda / sigma when kappa is 0, else the peak."""
        if self.kappa > 0:
            return self.peak_throughput
        return self.lam / self.sigma if self.sigma > 0 else math.inf

    def predict(self, n):
        return usl_throughput(n, self.sigma, self.kappa, self.lam)

    def r_usl_confint(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Intervals as R's ``usl`` package (2.0+) prints them, for comparison: estimate
        +- standard error x qt(level, n - 1). That is the one-sided ``level`` quantile
        on n - 1 degrees of freedom, where a two-sided interval at ``level`` (``ci95``)
        takes the (1 + level) / 2 quantile on the n - 3 residual degrees of freedom: R's
        are narrower (about a 90% interval) and may cross the bounds."""
        q = float(stats.t.ppf(level, self.n_points - 1))
        values = {"sigma": self.sigma, "kappa": self.kappa, "lam": self.lam}
        return {k: (v - q * self.se[k], v + q * self.se[k]) for k, v in values.items()}


def fit_usl(n, throughput, *, bounded: bool = True) -> UslFit:
    """Least-squares fit of the USL to throughput measured at concurrency/worker counts ``n``.

    ``bounded`` (the default, as R's ``usl`` package) keeps sigma in [0, 1] and kappa,
    lambda >= 0; ``bounded=False`` is the unconstrained fit other ports use.
    """
    n = np.asarray(n, dtype=float)
    x = np.asarray(throughput, dtype=float)
    counts = len(np.unique(n))
    if counts < USL_MIN_COUNTS:
        raise NotIdentified(
            f"USL not fitted: it has 3 parameters (sigma, kappa, lambda) and {counts} "
            f"distinct worker count(s) were measured; any peak fits them. Measure "
            f"{USL_MIN_COUNTS} or more worker counts"
        )
    lam0 = float(np.max(x[n == n.min()] / n.min()))

    def residuals(theta):
        return usl_throughput(n, *theta) - x

    start = np.array([0.01, 1e-4, lam0])
    tol = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15, "max_nfev": 20000}
    if bounded:
        result = optimize.least_squares(
            residuals,
            start,
            bounds=([0, 0, 0], [1, np.inf, np.inf]),
            method="trf",
            x_scale="jac",
            **tol,
        )
    else:
        result = optimize.least_squares(residuals, start, method="lm", x_scale="jac", **tol)
    sigma, kappa, lam = (float(v) for v in result.x)
    bounds = {"sigma": (0.0, 1.0), "kappa": (0.0, math.inf), "lam": (0.0, math.inf)}
    se, ci, resid_std, dof = _standard_errors(
        result, len(n), ("sigma", "kappa", "lam"), bounds if bounded else None
    )
    return UslFit(sigma, kappa, lam, se, ci, resid_std, dof, len(n))


@dataclass(frozen=True)
class AmdahlFit:
    serial_fraction: float
    t1: float  # fitted one-worker time
    se: dict[str, float] = field(default_factory=dict)

    def speedup(self, p):
        return amdahl_speedup(p, self.serial_fraction)

    def predict_time(self, p):
        return self.t1 / self.speedup(p)

    @property
    def max_speedup(self) -> float:
        return 1 / self.serial_fraction if self.serial_fraction > 0 else math.inf


def fit_amdahl(workers, seconds) -> AmdahlFit:
    """Fit T(p) = T1 (s + (1 - s) / p) to times at worker counts, s in [0, 1].

    Refused (``NotIdentified``) below 3 distinct worker counts: with 2, the law passes
    through both medians whatever the speedup, so its "max speedup" is an artefact of
    the form; ``implied_serial_fraction`` says what those two counts do show."""
    p = np.asarray(workers, dtype=float)
    t = np.asarray(seconds, dtype=float)
    counts = len(np.unique(p))
    if counts < AMDAHL_MIN_COUNTS:
        raise NotIdentified(
            f"Amdahl not fitted: {counts} distinct worker count(s) determine its two "
            "parameters exactly, so it fits any speedup and no speedup limit follows. "
            f"Measure {AMDAHL_MIN_COUNTS} or more worker counts"
        )

    def residuals(theta):
        s, t1 = theta
        return (t1 * (s + (1 - s) / p) - t) / t  # relative: small and large times count alike

    t1_0 = float(np.median(t[p == p.min()]) * p.min())
    result = optimize.least_squares(
        residuals, [0.1, t1_0], bounds=([0, 0], [1, np.inf]), method="trf", x_scale="jac"
    )
    se, _, _, _ = _standard_errors(
        result, len(p), ("serial_fraction", "t1"), {"serial_fraction": (0.0, 1.0)}
    )
    return AmdahlFit(float(result.x[0]), float(result.x[1]), se)


def implied_serial_fraction(workers, seconds) -> float | None:
    """The share of the time that did not divide between the two extreme worker counts
    measured (median times): s in T(b) = T(a) (s + (1 - s) a / b), clipped to [0, 1].
    An observation, not a fitted law: nothing says it holds at other counts."""
    p = np.asarray(workers, dtype=float)
    t = np.asarray(seconds, dtype=float)
    a, b = p.min(), p.max()
    if a == b:
        return None
    ta, tb = float(np.median(t[p == a])), float(np.median(t[p == b]))
    ratio = a / b
    return float(min(max((tb / ta - ratio) / (1 - ratio), 0.0), 1.0))


@dataclass(frozen=True)
class GustafsonFit:
    serial_fraction: float
    se: float

    def scaled_speedup(self, p):
        return gustafson_speedup(p, self.serial_fraction)


def fit_gustafson(workers, scaled_speedup) -> GustafsonFit:
    """Fit S(p) = p - s (p - 1) by least squares (closed form), s clipped to [0, 1]."""
    p = np.asarray(workers, dtype=float)
    y = np.asarray(scaled_speedup, dtype=float)
    a = p - 1.0
    if not np.any(a):
        raise ValueError("Gustafson's law needs runs on more than one worker")
    s = float(np.sum(a * (p - y)) / np.sum(a * a))
    dof = max(len(p) - 1, 1)
    resid = y - gustafson_speedup(p, s)
    se = float(math.sqrt(np.sum(resid**2) / dof / np.sum(a * a)))
    return GustafsonFit(min(max(s, 0.0), 1.0), se)


def _standard_errors(result, n: int, names: tuple[str, ...], bounds=None):
    """Standard errors and 95% t-intervals from the Jacobian at the optimum; with no
    residual degrees of freedom, no interval (None), and each kept inside ``bounds``
    (name: (low, high)), where the parameter is constrained."""
    k = len(names)
    dof = n - k
    if dof <= 0:
        return {name: math.nan for name in names}, dict.fromkeys(names), math.nan, 0
    rss = float(np.sum(result.fun**2))
    resid_var = rss / dof
    jac = result.jac
    try:
        cov = np.linalg.pinv(jac.T @ jac) * resid_var
        se_values = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se_values = np.full(k, np.nan)
    t = stats.t.ppf(0.975, dof)
    se = {name: float(v) for name, v in zip(names, se_values, strict=True)}
    bounds = bounds or {}
    ci = {}
    for name, x, s in zip(names, result.x, se_values, strict=True):
        low, high = bounds.get(name, (-math.inf, math.inf))
        ci[name] = (float(max(x - t * s, low)), float(min(x + t * s, high)))
    return se, ci, math.sqrt(resid_var), dof
