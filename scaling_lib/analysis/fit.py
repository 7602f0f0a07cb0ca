"""Model search for T(n) and T(n, p): Extra-P style PMNF terms and the Ernest form.

Usage::

    model = fit_pmnf(sizes, seconds)            # c0 + c1 * n^(i/j) * log2(n)^k, chosen by LOO CV
    str(model)                                  # "2.818 + 0.4827 * n^(5/4) * log2(n)"
    model.predict([1e6])

    # T(n, p) over size and workers: fit_two.fit_two_parameter

    ernest = fit_ernest(sizes, workers, seconds)       # th0 + th1 n/p + th2 p + th3 log p (NNLS)

Pure functions over arrays: no Dask, no I/O. The single-parameter search follows
Extra-P's default modeler: the mean of the repetitions at each point; the constant
model first; every hypothesis c0 + c1 * t(n) scored by leave-one-out SMAPE; a
hypothesis whose term contributes less than 0.05% of the value everywhere is
rejected; strictly lower SMAPE wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import optimize

__all__ = [
    "DEFAULT_EXPONENTS",
    "NEGATIVE_EXPONENTS",
    "ErnestModel",
    "PmnfModel",
    "Term",
    "WorkModel",
    "fit_ernest",
    "fit_pmnf",
    "fit_work_model",
    "smape",
]

# Extra-P's 42 default (i, j, k) building blocks: n^(i/j) * log2(n)^k.
DEFAULT_EXPONENTS: tuple[tuple[int, int, int], ...] = (
    (0, 1, 1),
    (0, 1, 2),
    (1, 4, 0),
    (1, 3, 0),
    (1, 4, 1),
    (1, 3, 1),
    (1, 4, 2),
    (1, 3, 2),
    (1, 2, 0),
    (1, 2, 1),
    (1, 2, 2),
    (2, 3, 0),
    (3, 4, 0),
    (2, 3, 1),
    (3, 4, 1),
    (4, 5, 0),
    (2, 3, 2),
    (3, 4, 2),
    (1, 1, 0),
    (1, 1, 1),
    (1, 1, 2),
    (5, 4, 0),
    (5, 4, 1),
    (4, 3, 0),
    (4, 3, 1),
    (3, 2, 0),
    (3, 2, 1),
    (3, 2, 2),
    (5, 3, 0),
    (7, 4, 0),
    (2, 1, 0),
    (2, 1, 1),
    (2, 1, 2),
    (9, 4, 0),
    (7, 3, 0),
    (5, 2, 0),
    (5, 2, 1),
    (5, 2, 2),
    (8, 3, 0),
    (11, 4, 0),
    (3, 1, 0),
    (3, 1, 1),
)
# For worker counts (strong scaling): time falls as p^-a, or grows as log p.
NEGATIVE_EXPONENTS: tuple[tuple[int, int, int], ...] = (
    (-1, 1, 0),
    (-1, 2, 0),
    (-1, 3, 0),
    (-1, 4, 0),
    (-2, 3, 0),
    (-3, 4, 0),
    (-1, 1, 1),
    (0, 1, 1),
    (1, 4, 0),
    (1, 2, 0),
    (1, 1, 0),
)
TERM_EPSILON = 0.0005  # a term must contribute at least 0.05% of the value somewhere


@dataclass(frozen=True)
class Term:
    """n^(i/j) * log2(n)^k."""

    i: int
    j: int
    k: int

    @property
    def exponent(self) -> Fraction:
        return Fraction(self.i, self.j)

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        # Model search evaluates every term on every grid, sizes of 0 and 1 included, where
        # log2 is -inf or 0: the values are right (the term is skipped or scores badly),
        # and NumPy's warnings would only reach the user's notebook as noise.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = x ** float(self.exponent)
            if self.k:
                out = out * np.log2(x) ** self.k
        return out

    def label(self, var: str = "n") -> str:
        parts = []
        if self.i:
            e = self.exponent
            parts.append(var if e == 1 else f"{var}^({e})" if e.denominator != 1 else f"{var}^{e}")
        if self.k:
            parts.append(f"log2({var})" + (f"^{self.k}" if self.k > 1 else ""))
        return " * ".join(parts) or "1"


def smape(actual, predicted) -> float:
    """Symmetric mean absolute percentage error, in percent."""
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    denom = np.abs(a) + np.abs(p)
    mask = denom != 0
    return float(np.mean(2 * np.abs(p - a)[mask] / denom[mask]) * 100) if mask.any() else 0.0


@dataclass(frozen=True)
class PmnfModel:
    """f(n) = c0 + c1 * term(n), or the constant c0 when ``term`` is None."""

    c0: float
    c1: float
    term: Term | None
    cv_smape: float  # leave-one-out SMAPE of the chosen hypothesis (in-sample for a constant)
    var: str = "n"

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.term is None:
            return np.full_like(x, self.c0, dtype=float)
        return self.c0 + self.c1 * self.term(x)

    def __str__(self) -> str:
        if self.term is None:
            return f"{self.c0:.3g}"
        return f"{self.c0:.3g} + {self.c1:.3g} * {self.term.label(self.var)}"


def _means(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the repetitions at each distinct x, sorted by x."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xs = np.unique(x)
    return xs, np.array([y[x == v].mean() for v in xs])


def _solve(x: np.ndarray, y: np.ndarray, term: Term) -> tuple[float, float]:
    # The term's column is scaled to at most 1 first: at sizes of 1e6-1e7, n^2 is 1e14 next
    # to the constant's column of ones, and least squares on the raw columns drops the
    # constant as numerically insignificant (c0 = 1e-33 where it is 3).
    values = term(x)
    scale = float(np.max(np.abs(values))) if len(values) else 1.0
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    a = np.column_stack([np.ones_like(x), values / scale])
    (c0, c1), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(c0), float(c1) / scale


def fit_pmnf(
    x,
    y,
    *,
    exponents: Sequence[tuple[int, int, int]] = DEFAULT_EXPONENTS,
    var: str = "n",
    forward: bool = False,
) -> PmnfModel:
    """Extra-P style single-parameter model search (see the module docstring).

    Coefficients come from unweighted least squares, as in Extra-P: with noise that
    grows with the value, a constant far below the noise at the largest size is not
    identified (and the term chosen may change with it).

    ``forward=True`` scores each hypothesis by the mean of its leave-one-out SMAPE and
    its error predicting the largest value from the others: leave-one-out alone rewards
    interpolation, while these models are fitted to extrapolate. Off by default, which
    is Extra-P's own selection.
    """
    xs, ys = _means(x, y)
    if len(xs) < 2:
        raise ValueError(f"a model of {var} needs at least 2 distinct values, got {len(xs)}")
    constant = float(ys.mean())
    constant_cost = smape(ys, np.full_like(ys, constant))
    if forward and len(xs) >= 4:
        constant_cost = (constant_cost + smape(ys[-1:], [ys[:-1].mean()])) / 2
    best = PmnfModel(constant, 0.0, None, constant_cost, var)
    if np.sum((ys - constant) ** 2) == 0:
        return best
    terms = [Term(*e) for e in exponents]
    if np.any(xs < 1):  # log terms need n >= 1
        terms = [t for t in terms if t.k == 0]
    if np.any(xs <= 0):
        terms = [t for t in terms if t.i >= 0]
    n = len(xs)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for term in terms:
            cv = 0.0
            for left_out in range(n):
                keep = np.arange(n) != left_out
                c0, c1 = _solve(xs[keep], ys[keep], term)
                floor = ys[keep].min()
                # Extra-P's clean-up: a constant that is tiny against the data is 0.
                if (floor == 0 and abs(c0) < TERM_EPSILON) or (
                    floor != 0 and abs(c0 / floor) < TERM_EPSILON
                ):
                    c0 = 0.0
                predicted = c0 + c1 * term(xs[left_out])
                actual = ys[left_out]
                denom = abs(actual) + abs(predicted)
                if denom:
                    # the mean over the n points left out, as Extra-P divides
                    cv += 2 * abs(predicted - actual) / denom / n * 100
            if forward and n >= 4:
                f0, f1 = _solve(xs[:-1], ys[:-1], term)
                cv = (cv + smape(ys[-1:], f0 + f1 * term(xs[-1:]))) / 2
            c0, c1 = _solve(xs, ys, term)
            if not math.isfinite(cv) or not np.all(np.isfinite(term(xs))):
                continue
            contribution = np.max(np.abs(c1 * term(xs) / ys))
            if c1 == 0 or contribution < TERM_EPSILON:
                continue
            if cv < best.cv_smape:
                best = PmnfModel(c0, c1, term, cv, var)
    return best


@dataclass(frozen=True)
class ErnestModel:
    """t(n, p) = th0 + th1 * n/p + th2 * p + th3 * log(p), theta >= 0 (non-negative LSQ)."""

    theta: tuple[float, float, float, float]
    size_scale: float = 1.0  # sizes are divided by this before fitting, for conditioning

    def predict(self, n, p) -> np.ndarray:
        return _ernest_features(np.asarray(n, float) / self.size_scale, p) @ np.asarray(self.theta)

    def __str__(self) -> str:
        t0, t1, t2, t3 = self.theta
        return f"{t0:.3g} + {t1:.3g} * (n/{self.size_scale:g})/p + {t2:.3g} * p + {t3:.3g} * ln(p)"


def _ernest_features(n, p) -> np.ndarray:
    n = np.atleast_1d(np.asarray(n, dtype=float))
    p = np.atleast_1d(np.asarray(p, dtype=float))
    n, p = np.broadcast_arrays(n, p)
    return np.column_stack([np.ones_like(n), n / p, p, np.log(p)])


def fit_ernest(n, p, t, *, size_scale: float | None = None) -> ErnestModel:
    """Ernest's model by non-negative least squares (scipy.optimize.nnls), as Ernest does."""
    n = np.asarray(n, dtype=float)
    scale = float(size_scale if size_scale is not None else 1.0)
    theta, _ = optimize.nnls(_ernest_features(n / scale, p), np.asarray(t, dtype=float))
    return ErnestModel(tuple(float(v) for v in theta), scale)


@dataclass(frozen=True)
class WorkModel:
    """T = th0 + th1 * W/p + th2 * W + th3 * p, theta >= 0, W the work done at size n.

    Ernest's form in units of work rather than data: the workload reports the work it
    did (flop, rows, samples), and ``work_of_size`` (a PMNF fit of the recorded work,
    exact for the built-ins) maps a new size to its work.
    """

    theta: tuple[float, float, float, float]
    work_of_size: PmnfModel
    work_scale: float

    def predict(self, n, p) -> np.ndarray:
        w = self.work_of_size.predict(np.atleast_1d(np.asarray(n, dtype=float)))
        return _work_features(w / self.work_scale, p) @ np.asarray(self.theta)

    def __str__(self) -> str:
        t0, t1, t2, t3 = self.theta
        return (
            f"{t0:.3g} + {t1:.3g} * W/p + {t2:.3g} * W + {t3:.3g} * p  "
            f"(W = work/{self.work_scale:.3g}; work(n) = {self.work_of_size})"
        )


def _work_features(w, p) -> np.ndarray:
    w = np.atleast_1d(np.asarray(w, dtype=float))
    p = np.atleast_1d(np.asarray(p, dtype=float))
    w, p = np.broadcast_arrays(w, p)
    return np.column_stack([np.ones_like(w), w / p, w, p])


def fit_work_model(n, p, t, work, *, work_of_size: PmnfModel | None = None) -> WorkModel:
    """Non-negative least squares of time on work (see WorkModel).

    ``work_of_size`` (the size-to-work model) is fitted from ``n`` and ``work`` unless
    given: work is deterministic, so resampling fits reuse one.
    """
    n = np.asarray(n, dtype=float)
    work = np.asarray(work, dtype=float)
    scale = float(work.max())
    theta, _ = optimize.nnls(_work_features(work / scale, p), np.asarray(t, dtype=float))
    return WorkModel(tuple(float(v) for v in theta), work_of_size or fit_pmnf(n, work), scale)
