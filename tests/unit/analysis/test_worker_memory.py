"""Per-worker memory is modelled against the input each worker holds: a matrix
product's input grows as n^2 / p, and a model on n / p would miss it p-fold."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_lib.analysis.memory import fit_worker_memory

from .records import make_records

BASE = 250e6  # a worker process and its libraries


def array_records(noise=0.03, seed=0):
    rng = np.random.default_rng(seed)

    def peak(n, p):  # inputs of two n x n float64 matrices, plus a result block per worker
        return (BASE + 1.5 * 16 * n * n / p) * (1 + noise * rng.standard_normal())

    return make_records(
        sizes=(1024, 2048, 4096),
        workers=(1, 2),
        peak_memory_bytes=peak,
        input_bytes=lambda n, p: 16 * n * n,
    )


def test_the_model_holds_at_every_measured_point_and_extrapolates_by_input_per_worker():
    model = fit_worker_memory(array_records())
    assert model.basis == "input bytes per worker"
    assert len(model.checks) == 6 and all(c.covered for c in model.checks)
    for check in model.checks:
        assert check.modelled_bytes == pytest.approx(check.measured_bytes, rel=0.1)
    truth = BASE + 1.5 * 16 * 16384**2 / 16
    central, upper = model.predict(16384, 16)
    assert central == pytest.approx(truth, rel=0.1)
    assert central < upper < 1.5 * truth


def test_without_input_bytes_it_falls_back_to_size_per_worker_and_says_so():
    df = array_records().drop(columns="input_bytes")
    model = fit_worker_memory(df)
    assert model.basis.startswith("size") and "(no input bytes reported)" in model.basis


def test_the_upper_bound_widens_with_the_noise_of_the_peaks():
    quiet = fit_worker_memory(array_records(noise=0.01)).predict(16384, 16)
    loud = fit_worker_memory(array_records(noise=0.2, seed=1)).predict(16384, 16)
    assert quiet[1] / quiet[0] < loud[1] / loud[0]


def test_a_peak_that_does_not_halve_with_the_workers_is_not_extrapolated_as_if_it_did():
    # Each worker fetches the other's blocks to multiply them: the peak stays at the
    # whole input whatever the workers (measured on the matrix product, make demo).
    df = make_records(
        sizes=(1024, 2048, 4096),
        workers=(1, 2),
        peak_memory_bytes=lambda n, p: BASE + 1.3 * 16 * n * n,
        input_bytes=lambda n, p: 16 * n * n,
    )
    model = fit_worker_memory(df)
    assert model.workers_exponent == 0.0 and "did not fall" in model.basis
    central, _ = model.predict(16384, 16)
    assert central == pytest.approx(BASE + 1.3 * 16 * 16384**2, rel=0.01)
