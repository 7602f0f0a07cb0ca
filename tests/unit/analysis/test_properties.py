"""Property tests: fits recover parameters planted in noisy synthetic data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_lib.analysis.fit import Term, fit_pmnf
from scaling_lib.analysis.laws import (
    amdahl_speedup,
    fit_amdahl,
    fit_gustafson,
    fit_usl,
    gustafson_speedup,
    usl_throughput,
)

WORKERS = np.array([1, 2, 4, 8, 16, 32, 64])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(s=st.floats(0.01, 0.5), t1=st.floats(1.0, 100.0), seed=st.integers(0, 2**16))
def test_amdahl_recovers_serial_fraction(s, t1, seed):
    rng = np.random.default_rng(seed)
    p = np.repeat(WORKERS, 3)
    t = t1 / amdahl_speedup(p, s) * rng.normal(1, 0.01, len(p))  # 1% noise
    fit = fit_amdahl(p, t)
    assert abs(fit.serial_fraction - s) < 0.02 + 0.05 * s


@settings(max_examples=40, deadline=None, derandomize=True)
@given(s=st.floats(0.0, 0.6), seed=st.integers(0, 2**16))
def test_gustafson_recovers_serial_fraction(s, seed):
    rng = np.random.default_rng(seed)
    y = gustafson_speedup(WORKERS, s) * rng.normal(1, 0.005, len(WORKERS))
    assert abs(fit_gustafson(WORKERS, y).serial_fraction - s) < 0.03


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    sigma=st.floats(0.01, 0.2),
    kappa=st.floats(1e-4, 5e-3),
    lam=st.floats(10, 1000),
    seed=st.integers(0, 2**16),
)
def test_usl_recovers_coefficients(sigma, kappa, lam, seed):
    rng = np.random.default_rng(seed)
    n = np.array([1, 2, 4, 8, 12, 16, 24, 32, 48, 64])
    x = usl_throughput(n, sigma, kappa, lam) * rng.normal(1, 0.005, len(n))
    fit = fit_usl(n, x)
    assert abs(fit.sigma - sigma) < 0.01 + 0.1 * sigma
    assert abs(fit.kappa - kappa) < 1e-4 + 0.15 * kappa
    assert abs(fit.lam - lam) / lam < 0.03


TERMS = [  # for the behavioural test
    Term(1, 2, 0),
    Term(1, 1, 0),
    Term(3, 2, 0),
    Term(2, 1, 0),
    Term(1, 1, 1),
    Term(4, 3, 1),
    Term(3, 1, 0),
]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    term=st.sampled_from([Term(1, 1, 0), Term(2, 1, 0), Term(3, 1, 0)]),
    share=st.floats(0.0, 0.2),
    c1=st.floats(0.5, 5.0),
    seed=st.integers(0, 2**16),
)
def test_pmnf_recovers_a_planted_polynomial_degree(term, share, c1, seed):
    # An Extra-P-like design: sizes 4..256. Over several decades with multiplicative
    # noise, unweighted least squares lets the largest sizes fix the constant and the
    # choice can drift to a neighbouring term (seen by hypothesis; see the test below).
    x, y = planted(term, share, c1, seed, top=8)
    assert fit_pmnf(x, y).term == term


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    term=st.sampled_from(TERMS),
    share=st.floats(0.05, 0.5),
    c1=st.floats(0.5, 5.0),
    seed=st.integers(0, 2**16),
)
def test_pmnf_with_a_fixed_cost_predicts_like_the_planted_law(term, share, c1, seed):
    # With a constant that is a real share of the values, Extra-P's estimator (unweighted
    # least squares) may pick a neighbouring term under 1% noise (found by hypothesis:
    # 2048 + n fitted as n^(3/4) log2(n)^2). What extrapolation needs is that the chosen
    # law predicts like the planted one (within 10%), up to 2x beyond the data.
    x, y = planted(term, share, c1, seed)
    model = fit_pmnf(x, y)
    grid = np.geomspace(4, 2 * x.max(), 20)
    truth = share * c1 * float(term(x.max())) + c1 * term(grid)
    assert np.max(np.abs(model.predict(grid) / truth - 1)) < 0.10


def planted(term, share, c1, seed, top=12):
    """y = c0 + c1 * term(x) with 1% multiplicative noise, c0 = share of the largest value,
    at x = 4 .. 2**top, three repetitions each."""
    rng = np.random.default_rng(seed)
    x = np.repeat(2.0 ** np.arange(2, top + 1), 3)
    c0 = share * c1 * float(term(x.max()))
    return x, (c0 + c1 * term(x)) * rng.normal(1, 0.01, len(x))
