"""Numerical details of the PMNF search: a constant survives sizes of 1e6-1e7, and the
leave-one-out SMAPE is the mean over the n points left out (Extra-P's divisor)."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_lib.analysis.fit import Term, fit_pmnf


@pytest.mark.parametrize("term", [Term(3, 1, 0), Term(5, 2, 1), Term(2, 1, 0), Term(1, 1, 0)])
def test_the_constant_survives_large_sizes(term):
    n = np.array([1e6, 2e6, 4e6, 8e6])
    t = 3.0 + 2.0 * term(n) / term(n).max()
    model = fit_pmnf(n, t, exponents=[(term.i, term.j, term.k)])
    assert model.term == term
    assert model.c0 == pytest.approx(3.0, rel=1e-6)
    assert model.predict([16e6])[0] == pytest.approx(3.0 + 2.0 * term(16e6) / term(n).max())


def test_leave_one_out_smape_is_the_mean_over_the_points_left_out():
    n = np.array([10.0, 20, 40, 80, 160])
    t = np.array([1.0, 2.2, 3.9, 8.4, 15.7])
    model = fit_pmnf(n, t, exponents=[(1, 1, 0)])
    errors = []
    for i in range(len(n)):
        keep = np.arange(len(n)) != i
        c1, c0 = np.polyfit(n[keep], t[keep], 1)
        predicted = c0 + c1 * n[i]
        errors.append(2 * abs(predicted - t[i]) / (abs(predicted) + abs(t[i])) * 100)
    assert model.cv_smape == pytest.approx(np.mean(errors), rel=1e-9)
