"""T(n, p): one model over size and workers, chosen by cross-validation.

Usage::

    two = fit_two_parameter(sizes, workers, seconds)            # searched forms vs Ernest
    two = fit_two_parameter(sizes, workers, seconds, work=work)  # the work model
    two.predict(n=1e7, p=16), two.selection, two.doubt, two.alternatives

The single-parameter building blocks (PMNF terms, the Ernest and work models) are in
``fit``. Pure functions over arrays: no Dask, no I/O.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from scaling_lib.analysis.fit import (
    DEFAULT_EXPONENTS,
    NEGATIVE_EXPONENTS,
    ErnestModel,
    Term,
    WorkModel,
    fit_ernest,
    fit_pmnf,
    fit_work_model,
)
from scaling_lib.errors import AnalysisError

__all__ = ["SIGNIFICANCE", "TwoParameterModel", "fit_two_parameter", "nested_cv_error"]


@dataclass(frozen=True)
class TwoParameterModel:
    """T(n, p) = c0 + sum(c_i * product of single-parameter terms), chosen by LOO CV."""

    c0: float
    coefficients: tuple[float, ...]
    terms: tuple[tuple[Term | None, Term | None], ...]  # (term of n, term of p) per coefficient
    cv_smape: float
    kind: str  # "additive", "multiplicative", "mixed", "ernest", "work"
    ernest: ErnestModel | None = None
    candidates: dict[str, float] = field(default_factory=dict)
    work: WorkModel | None = None
    # The other forms the cross-validation cannot rule out (see fit_two_parameter),
    # fitted to all points: predictions disagree by more than noise where they disagree.
    alternatives: tuple[TwoParameterModel, ...] = ()
    selection: str = ""  # why this form was chosen, in words
    doubt: str = ""  # when the data speak against the chosen form, what they say

    def predict(self, n, p) -> np.ndarray:
        if self.work is not None:
            return self.work.predict(n, p)
        if self.ernest is not None:
            return self.ernest.predict(n, p)
        return self.c0 + _design(n, p, self.terms) @ np.asarray(self.coefficients)

    def __str__(self) -> str:
        if self.work is not None:
            return str(self.work)
        if self.ernest is not None:
            return f"Ernest: {self.ernest}"
        parts = [f"{self.c0:.3g}"]
        for c, (tn, tp) in zip(self.coefficients, self.terms, strict=True):
            labels = [t.label(v) for t, v in ((tn, "n"), (tp, "p")) if t is not None]
            parts.append(f"{c:.3g} * {' * '.join(labels)}")
        return " + ".join(parts)


def _design(n, p, terms) -> np.ndarray:
    n = np.atleast_1d(np.asarray(n, dtype=float))
    p = np.atleast_1d(np.asarray(p, dtype=float))
    n, p = np.broadcast_arrays(n, p)
    cols = []
    for tn, tp in terms:
        col = np.ones_like(n)
        if tn is not None:
            col = col * tn(n)
        if tp is not None:
            col = col * tp(p)
        cols.append(col)
    return np.column_stack(cols)


def fit_two_parameter(
    n,
    p,
    t,
    *,
    work=None,
    include_ernest: bool = True,
    forward: bool = True,
    aggregate: str = "median",
) -> TwoParameterModel:
    """A model of time over size and workers, chosen by cross-validation.

    As Extra-P's multi-parameter modeler does, the best single-parameter term of
    each parameter (fitted on the slices of the grid) is combined additively,
    multiplicatively and in the mixed forms; the Ernest form competes too. Points are
    the medians of the repetitions at each (n, p) (``aggregate``; a shared machine only
    ever slows a run down, so the median is the robust centre). Each candidate's
    errors are its leave-one-out SMAPE at every point and, with ``forward`` (the
    default), its error predicting the largest size from the smaller ones, since the
    model exists to extrapolate in size; its score is the mean of the two. With only
    two worker counts the worker term is 1/p (the work divides among workers).

    Given ``work`` (the work each run reports), the work model (see WorkModel) is the
    model: its form comes from the workload's own accounting, where a search among 42
    exponents over four sizes picks between forms whose scores differ by less than
    their noise but whose predictions far away differ severalfold. The searched forms
    are still scored; when the best one predicts each larger size from the smaller
    ones (forward chaining: the use the model is for) significantly better (paired
    t-test at ``SIGNIFICANCE``), ``doubt`` says so. That is not taken as a reason to
    switch: measured sizes start in the fixed-cost regime, and a searched form that
    fits the bend out of it extrapolates the bend (in benchmark runs where the test
    fired, switching cut the prediction at 32x to a third). Without work, the best
    score wins. Either way, every other form not significantly worse than the chosen
    one (over all its errors: leave-one-out and forward chaining) is kept in
    ``alternatives``: the interval of a prediction spans them.
    """
    n = np.asarray(n, dtype=float)
    p = np.asarray(p, dtype=float)
    t = np.asarray(t, dtype=float)
    center = {"median": np.median, "mean": np.mean}[aggregate]
    keys = sorted(set(zip(n.tolist(), p.tolist(), strict=True)))
    ns = np.array([k[0] for k in keys])
    ps = np.array([k[1] for k in keys])
    ts = np.array([center(t[(n == a) & (p == b)]) for a, b in keys])
    ws = None
    if work is not None:
        work = np.asarray(work, dtype=float)
        if np.all(np.isfinite(work)) and np.all(work > 0):
            ws = np.array([work[(n == a) & (p == b)].mean() for a, b in keys])
    if len(keys) < 4:
        raise AnalysisError(
            f"a model of (n, p) needs at least 4 distinct (size, workers) points, got "
            f"{len(keys)}: measure more sizes or worker counts"
        )

    term_n = _slice_term(ns, ps, ts, exponents=DEFAULT_EXPONENTS, var="n", forward=forward)
    if len(np.unique(ps)) >= 3:
        term_p = _slice_term(ps, ns, ts, exponents=NEGATIVE_EXPONENTS, var="p", forward=False)
    else:
        # Two worker counts cannot choose among worker terms: assume the work divides
        # among workers (1/p); the "mixed" and "additive" forms carry what does not.
        term_p = Term(-1, 1, 0) if len(np.unique(ps)) == 2 else None
    shapes: dict[str, tuple[tuple[Term | None, Term | None], ...]] = {}
    if term_n is not None and term_p is not None:
        shapes["multiplicative"] = ((term_n, term_p),)
        shapes["additive"] = ((term_n, None), (None, term_p))
        shapes["mixed"] = ((term_n, term_p), (term_n, None))
        shapes["mixed-p"] = ((term_n, term_p), (None, term_p))
    if term_n is not None:
        shapes["n only"] = ((term_n, None),)
    if term_p is not None:
        shapes["p only"] = ((None, term_p),)

    scale = float(ns.max())
    predictors: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
        kind: (lambda tr, te, terms=terms: _linear_predict(ns, ps, ts, terms, tr, te))
        for kind, terms in shapes.items()
    }
    if include_ernest:
        predictors["ernest"] = lambda tr, te: fit_ernest(
            ns[tr], ps[tr], ts[tr], size_scale=scale
        ).predict(ns[te], ps[te])
    work_of_size = None
    if ws is not None and len(np.unique(ns)) >= 2:
        work_of_size = fit_pmnf(ns, ws)
        predictors["work"] = lambda tr, te: fit_work_model(
            ns[tr], ps[tr], ts[tr], ws[tr], work_of_size=work_of_size
        ).predict(ns[te], ps[te])
    largest = ns == ns.max()
    use_forward = forward and len(np.unique(ns)) >= 3 and (~largest).sum() >= 4
    # scores rank the forms (Extra-P's criterion, plus the forward error); `errors` are
    # what the paired comparisons use: each size from the third up predicted from the
    # sizes below it (forward chaining, the use the model is for), else leave-one-out.
    errors: dict[str, np.ndarray] = {}
    evidence: dict[str, np.ndarray] = {}  # all per-point errors, for plausibility
    scores: dict[str, float] = {}
    for kind, predict in predictors.items():
        loo = _loo_errors(predict, ts)
        scores[kind] = float(loo.mean())
        if use_forward:
            held = predict(np.flatnonzero(~largest), np.flatnonzero(largest))
            ahead = _pointwise_smape(ts[largest], held)
            scores[kind] = (scores[kind] + float(ahead.mean())) / 2
        if len(np.unique(ns)) >= 3:
            errors[kind] = _forward_chain_errors(predict, ns, ts)
            evidence[kind] = np.concatenate([loo, errors[kind]])
        else:
            errors[kind] = evidence[kind] = loo

    def build(kind: str) -> TwoParameterModel:
        if kind == "work":
            work_model = fit_work_model(ns, ps, ts, ws, work_of_size=work_of_size)
            return TwoParameterModel(0.0, (), (), scores[kind], kind, None, scores, work_model)
        if kind == "ernest":
            ernest = fit_ernest(ns, ps, ts, size_scale=scale)
            return TwoParameterModel(0.0, (), (), scores[kind], kind, ernest, scores)
        c0, coefs = _linear_fit(ns, ps, ts, shapes[kind], np.arange(len(keys)))
        return TwoParameterModel(c0, coefs, shapes[kind], scores[kind], kind, None, scores)

    best = min(scores, key=scores.get)
    doubt = ""
    if "work" in scores:
        chosen = "work"
        why = "work: the workload's own accounting of its work"
        if best != "work":
            margin = _paired_margin(errors["work"], errors[best])
            why += (
                f"; the best-scoring searched form is {best} ({scores[best]:.1f} vs "
                f"{scores['work']:.1f}; forward chaining, paired t-test: {margin:.2f}x the "
                f"{SIGNIFICANCE:.0%} critical value)"
            )
            if margin > 1:
                # Not a reason to switch: over s..8s the searched forms also fit the bend
                # from fixed cost into the work-bound regime, which does not go on.
                doubt = (
                    f"the {best} form predicts each larger measured size from the smaller "
                    "ones significantly better than time proportional to the reported work: "
                    "if the work the workload reports does not grow like its cost, trust "
                    f"the interval (it spans {best}) rather than the central value"
                )
        checks = len(errors["work"])
        if not doubt and checks < FEW_CHECKS:
            # Measured on planted laws (benchmarks/coverage.py): at 4 sizes an
            # n log n cost reported as n work is doubted no more often than a true one.
            why += (
                f"; {checks} forward checks are too few to tell a cost a little steeper "
                "than the reported work (n log n against n) from noise: the interval's "
                "per-doubling error carries what they do show"
            )
    else:
        chosen = best
        why = f"{best}: lowest cross-validation score ({scores[best]:.1f})"
    alternatives = tuple(
        build(kind)
        for kind in sorted(scores, key=scores.get)
        if kind != chosen and _paired_margin(evidence[kind], evidence[chosen]) <= 1
    )
    return dataclasses.replace(build(chosen), alternatives=alternatives, selection=why, doubt=doubt)


SIGNIFICANCE = 0.05  # two-sided level of the paired t-test between two forms' errors
FEW_CHECKS = 8  # fewer forward-chaining errors than this cannot see a slightly steeper cost


def _paired_margin(errors_a: np.ndarray, errors_b: np.ndarray) -> float:
    """By how much a's per-point errors exceed b's, in units of the paired t-test's
    critical value: above 1, b is significantly better (t-distribution, few points)."""
    d = np.asarray(errors_a, float) - np.asarray(errors_b, float)
    if len(d) < 2:
        return 0.0
    se = d.std(ddof=1) / math.sqrt(len(d))
    if se == 0:
        return 0.0 if d.mean() == 0 else math.copysign(math.inf, d.mean())
    critical = stats.t.ppf(1 - SIGNIFICANCE / 2, len(d) - 1)
    return float(d.mean() / se / critical)


def _slice_term(x, other, y, *, exponents, var: str, forward: bool) -> Term | None:
    """The term chosen most often across slices of the grid with the other parameter fixed."""
    votes: dict[Term, float] = {}
    for value in np.unique(other):
        mask = other == value
        if len(np.unique(x[mask])) < 3:
            continue
        model = fit_pmnf(x[mask], y[mask], exponents=exponents, var=var, forward=forward)
        if model.term is not None:
            votes[model.term] = votes.get(model.term, 0) + 1 / (1 + model.cv_smape)
    if not votes:
        # Too few values per slice: fit all points against this parameter alone.
        if len(np.unique(x)) >= 2:
            model = fit_pmnf(x, y, exponents=exponents, var=var, forward=forward)
            return model.term
        return None
    return max(votes, key=votes.get)


def _linear_fit(ns, ps, ts, terms, rows) -> tuple[float, tuple[float, ...]]:
    return _scaled_lstsq(_design(ns[rows], ps[rows], terms), ts[rows])


def _scaled_lstsq(design: np.ndarray, y: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """c0 + design @ c by least squares, each column scaled to at most 1 first (see
    ``_solve``: unscaled, a term of 1e14 drops the constant)."""
    scale = np.max(np.abs(design), axis=0) if len(design) else np.ones(design.shape[1])
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    a = np.column_stack([np.ones(len(y)), design / scale])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(coef[0]), tuple(float(c) for c in coef[1:] / scale)


def _linear_predict(ns, ps, ts, terms, train, test) -> np.ndarray:
    c0, coefs = _linear_fit(ns, ps, ts, terms, train)
    return c0 + _design(ns[test], ps[test], terms) @ np.asarray(coefs)


def _forward_chain_errors(
    predict: Callable[[np.ndarray, np.ndarray], np.ndarray], ns: np.ndarray, actual
) -> np.ndarray:
    """SMAPE at each point of the third size up, predicted from the smaller sizes only."""
    sizes = np.unique(ns)
    out = []
    for size in sizes[2:]:
        train, test = np.flatnonzero(ns < size), np.flatnonzero(ns == size)
        out.append(_pointwise_smape(np.asarray(actual)[test], predict(train, test)))
    return np.concatenate(out)


def _pointwise_smape(actual, predicted) -> np.ndarray:
    """Each point's symmetric absolute percentage error, in percent."""
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    denom = np.abs(a) + np.abs(p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(denom != 0, 2 * np.abs(p - a) / denom * 100, 0.0)
    return np.nan_to_num(out, nan=200.0, posinf=200.0)  # 200%: SMAPE's worst


def _loo_errors(predict: Callable[[np.ndarray, np.ndarray], np.ndarray], actual) -> np.ndarray:
    """Each point's SMAPE when predicted by a model fitted without it."""
    actual = np.asarray(actual, dtype=float)
    n = len(actual)
    predicted = np.empty(n)
    for left_out in range(n):
        train = np.flatnonzero(np.arange(n) != left_out)
        predicted[left_out] = predict(train, np.array([left_out]))[0]
    return _pointwise_smape(actual, predicted)


def nested_cv_error(n, p, t, work=None, *, forward: bool = True) -> float | None:
    """The error of the whole selection, measured on points it was not chosen on.

    The cross-validation score that picks a form (``cv_smape``) is computed with the
    size term already chosen on every point, the held one included, so it flatters the
    form it picks. Here the whole of ``fit_two_parameter`` (term search, form choice,
    fit) is re-run without each (size, workers) point in turn and predicts it; with
    ``forward``, it is also re-run on the sizes below the largest and predicts the
    largest (the use a model is for), and the two means are averaged as the score is.
    None when too few points remain to fit. About one fit per point: computed when
    asked for (``TimeModel.nested_error``), not on every fit.
    """
    n, p, t = (np.asarray(a, dtype=float) for a in (n, p, t))
    work = None if work is None else np.asarray(work, dtype=float)
    keys = sorted(set(zip(n.tolist(), p.tolist(), strict=True)))

    def held_error(keep: np.ndarray, held: list[tuple[float, float]]) -> np.ndarray | None:
        try:
            inner = fit_two_parameter(
                n[keep], p[keep], t[keep], work=None if work is None else work[keep]
            )
        except AnalysisError:
            return None
        actual = [np.median(t[(n == a) & (p == b)]) for a, b in held]
        predicted = inner.predict(np.array([a for a, _ in held]), np.array([b for _, b in held]))
        return _pointwise_smape(actual, predicted)

    loo = []
    for a, b in keys:
        error = held_error(~((n == a) & (p == b)), [(a, b)])
        if error is None:
            return None
        loo.append(float(error[0]))
    score = float(np.mean(loo))
    sizes = np.unique(n)
    if forward and len(sizes) >= 3:
        ahead = held_error(n < sizes[-1], [k for k in keys if k[0] == sizes[-1]])
        if ahead is not None:
            score = (score + float(ahead.mean())) / 2
    return score
