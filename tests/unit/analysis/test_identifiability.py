"""A law the measured worker counts cannot identify is refused, and why is said where
the law would have been: in the JSON `analyze --json` prints and in its text."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scaling_lib.analysis.laws import NotIdentified, fit_amdahl, fit_usl, usl_throughput
from scaling_lib.analysis.report import analyze_study
from scaling_lib.present.analysis import analysis_text

from .records import make_records


def amdahl_time(n, p):
    return n / 1000 * (0.2 + 0.8 / p)


def test_a_one_and_two_worker_study_reports_no_usl_and_no_speedup_limit():
    df = make_records(sizes=(1000, 2000, 4000), workers=(1, 2), time=amdahl_time)
    analysis = analyze_study(df)
    for law in analysis["laws"]:
        assert law["usl"] is None and law["amdahl"] is None
        assert "USL not fitted" in law["note"] and "Amdahl not fitted" in law["note"]
        assert "2 distinct worker count(s)" in law["note"]
        # what two counts do show: T(2) / T(1) = 0.6 -> 20% did not divide
        assert law["implied_serial_fraction"] == pytest.approx(0.2, abs=0.02)
    text = analysis_text(analysis)
    assert "peak at" not in text and "speedup at most" not in text
    assert "Amdahl not fitted" in text and "did not divide" in text


def test_three_worker_counts_fit_both():
    df = make_records(sizes=(1000, 2000), workers=(1, 2, 4), time=amdahl_time)
    for law in analyze_study(df)["laws"]:
        assert law["amdahl"]["serial_fraction"] == pytest.approx(0.2, abs=0.03)
        assert law["usl"] is not None


def test_the_public_fits_refuse_too():
    with pytest.raises(NotIdentified, match="USL not fitted"):
        fit_usl([1, 1, 2, 2, 2], [1.0, 1.1, 1.8, 1.9, 1.7])
    with pytest.raises(NotIdentified, match="Amdahl not fitted"):
        fit_amdahl([1, 1, 2, 2], [10.0, 10.2, 6.0, 6.1])


def test_no_residual_freedom_means_no_interval_and_intervals_stay_in_bounds():
    n = np.array([1.0, 2, 4])
    exact = fit_usl(n, usl_throughput(n, 0.05, 0.001, 10.0))
    assert exact.dof == 0 and all(ci is None for ci in exact.ci95.values())
    assert math.isnan(exact.se["sigma"])
    rng = np.random.default_rng(3)
    n = np.array([1.0, 2, 4, 8, 16])
    noisy = fit_usl(n, usl_throughput(n, 0.001, 0.0, 10.0) * rng.normal(1, 0.05, len(n)))
    assert noisy.ci95["sigma"][0] >= 0 and noisy.ci95["kappa"][0] >= 0
    assert noisy.ci95["sigma"][1] <= 1
