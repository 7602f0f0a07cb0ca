"""A change of regime in T(n): two PMNF models joined at a change point.

Usage::

    seg = fit_segmented(sizes, seconds)
    if seg is not None:
        seg.change_point, str(seg.left), str(seg.right)
        seg.predict([1e7])            # the right-hand model beyond the change point

Memory that starts spilling, data that outgrows a cache or a shuffle that switches
algorithm changes the law a run follows; one PMNF form over all sizes averages the two
and extrapolates neither. As Extra-P's segmented modeler, every measured value is tried
as the change point, shared by both segments (each needs 3 distinct values), each
segment gets the default single-parameter search, and the split whose two models fit
best wins, but only when it fits clearly better than one model over everything.

Pure: arrays in, models out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scaling_lib.analysis.fit import PmnfModel, fit_pmnf, smape

__all__ = ["SegmentedModel", "fit_segmented"]

MIN_SEGMENT = 3  # distinct values per segment: fewer cannot choose a term
BETTER_BY = 2.0  # the split must cut one model's error at least this many times


@dataclass(frozen=True)
class SegmentedModel:
    change_point: float
    left: PmnfModel  # for values up to the change point
    right: PmnfModel  # from the change point on
    error: float  # SMAPE (%) of the two models on their own segments
    single_error: float  # SMAPE (%) of one model over everything

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(x <= self.change_point, self.left.predict(x), self.right.predict(x))


def fit_segmented(x, y, *, var: str = "n") -> SegmentedModel | None:
    """The best two-segment model (see the module docstring), or None when the values
    are too few to split or one model fits about as well."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    values = np.unique(x)
    if len(values) < 2 * MIN_SEGMENT - 1:
        return None
    single = fit_pmnf(x, y, var=var)
    single_error = smape(y, single.predict(x))
    best: SegmentedModel | None = None
    for change in values[MIN_SEGMENT - 1 : len(values) - MIN_SEGMENT + 1]:
        left_rows, right_rows = x <= change, x >= change
        left = fit_pmnf(x[left_rows], y[left_rows], var=var)
        right = fit_pmnf(x[right_rows], y[right_rows], var=var)
        predicted = np.concatenate([left.predict(x[left_rows]), right.predict(x[right_rows])])
        actual = np.concatenate([y[left_rows], y[right_rows]])
        error = smape(actual, predicted)
        if best is None or error < best.error - 1e-12:
            best = SegmentedModel(float(change), left, right, error, single_error)
    if best is None or best.error * BETTER_BY > single_error:
        return None
    return best
