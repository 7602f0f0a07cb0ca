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


@settings(max_examples=40, deadline=None)
@given(s=st.floats(0.01, 0.5), t1=st.floats(1.0, 100.0), seed=st.integers(0, 2**16))
def test_amdahl_recovers_serial_fraction(s, t1, seed):
    rng = np.random.default_rng(seed)
    p = np.repeat(WORKERS, 3)
    t = t1 / amdahl_speedup(p, s) * rng.normal(1, 0.01, len(p))  # 1% noise
    fit = fit_amdahl(p, t)
    assert abs(fit.serial_fraction - s) < 0.02 + 0.05 * s


@settings(max_examples=40, deadline=None)
@given(s=st.floats(0.0, 0.6), seed=st.integers(0, 2**16))
def test_gustafson_recovers_serial_fraction(s, seed):
    rng = np.random.default_rng(seed)
    y = gustafson_speedup(WORKERS, s) * rng.normal(1, 0.005, len(WORKERS))
    assert abs(fit_gustafson(WORKERS, y).serial_fraction - s) < 0.03


@settings(max_examples=40, deadline=None)
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


@settings(max_examples=30, deadline=None)
@given(
    term=st.sampled_from(
        [Term(1, 1, 0), Term(2, 1, 0), Term(3, 2, 0), Term(1, 1, 1), Term(1, 2, 0)]
    ),
    c0=st.floats(0.5, 5.0),
    c1=st.floats(0.5, 5.0),
    seed=st.integers(0, 2**16),
)
def test_pmnf_recovers_planted_exponent(term, c0, c1, seed):
    rng = np.random.default_rng(seed)
    # Over 4..256, sqrt(n) and n^(1/3) log2(n) differ by less than 1% noise: a wider
    # range of sizes is what tells such terms apart (as it would in a real study).
    x = np.repeat(2.0 ** np.arange(2, 13), 3)
    y = (c0 + c1 * term(x)) * rng.normal(1, 0.01, len(x))
    model = fit_pmnf(x, y)
    assert model.term == term
    assert abs(model.c1 - c1) / c1 < 0.1
