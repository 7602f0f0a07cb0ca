"""Forecast intervals are prediction intervals for one run: they cover fresh runs about
as often as they say, widen with the extrapolation in work and in workers, and every
extrapolation beyond the measured worker counts says so."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scaling_lib.analysis.interval import WORKER_RATE, run_noise
from scaling_lib.analysis.predict import LEVEL, fit_time_model

from .records import make_records


def law(n, p):
    return 0.3 + 2e-5 * n * (0.1 + 0.9 / p)


def lognormal(seed, sd):
    rng = np.random.default_rng(seed)
    return lambda n, p: law(n, p) * math.exp(sd * rng.standard_normal())


SIZES = (10_000, 20_000, 40_000, 80_000)


def test_run_noise_is_the_pooled_spread_of_log_time_within_points():
    n = np.array([1, 1, 1, 2, 2, 2.0])
    p = np.ones(6)
    t = np.exp([0.0, 0.1, -0.1, 1.0, 1.2, 0.8])
    sd, dof = run_noise(n, p, t)
    assert dof == 4
    assert sd == pytest.approx(np.sqrt((0.02 + 0.08) / 4))


def test_intervals_cover_fresh_runs_about_as_often_as_they_say():
    covered = checks = 0
    rng = np.random.default_rng(7)
    for seed in range(30):
        df = make_records(sizes=SIZES, workers=(1, 2), time=lognormal(seed, 0.05))
        model = fit_time_model(df, draws=60)
        for pred in model.predict_many(160_000, [1, 2]):
            for _ in range(10):  # fresh runs at the target, the truth a forecast is for
                truth = law(160_000, pred.n_workers) * math.exp(0.05 * rng.standard_normal())
                covered += pred.low <= truth <= pred.high
                checks += 1
    assert pred.level == LEVEL == 0.9
    # 600 checks: binomial sd 1.2% at 90%; the bounds are 4 sd either side.
    assert 0.85 <= covered / checks <= 0.97


def test_intervals_widen_with_the_work_and_workers_beyond_those_measured():
    df = make_records(sizes=SIZES, workers=(1, 2), time=lognormal(1, 0.05))
    model = fit_time_model(df, draws=60)

    def log_width(size, p):
        pred = model.predict(size, p)
        return math.log(pred.high / pred.low)

    assert log_width(160_000, 2) < log_width(640_000, 2) < log_width(2_560_000, 2)
    assert log_width(160_000, 2) < log_width(160_000, 4) < log_width(160_000, 16)
    assert model.spread.worker_rate == WORKER_RATE  # two counts: the stated prior
    assert "prior" in model.spread.worker_rate_source


def test_eight_workers_from_two_and_work_far_beyond_the_measured_say_so():
    # array's size is a matrix side: 4x the side is 64x the flops.
    df = make_records(
        sizes=(512, 1024, 2048, 4096),
        workers=(1, 2),
        time=lambda n, p: 0.2 + 2e-11 * n**3 / p,
        work_items=lambda n, p: 2.0 * n**3,
    )
    model = fit_time_model(df, draws=20)
    eight = model.predict(4096, 8)
    assert any("8 workers is beyond the measured worker counts (1, 2)" in w for w in eight.warnings)
    assert any("scaling-lib what-if" in w for w in eight.warnings)
    near = model.predict(8192, 2)  # 2x the side: 8x the work
    assert near.size_ratio == 2
    assert abs(near.work_ratio - 8) < 0.01
    assert any("8x that of the largest measured size" in w for w in near.warnings)
    assert not any("work at this size" in w for w in model.predict(4096 * 1.5, 2).warnings)


def test_cpu_bound_oversubscribed_runs_are_left_out_of_the_fit_and_it_says_so():
    def contended(n, p):  # 4 workers on a 2-core host: slower than 2, not faster
        return 0.2 + 1e-4 * n / min(p, 2) * (1.6 if p > 2 else 1.0)

    df = make_records(
        sizes=SIZES,
        workers=(1, 2, 4),
        time=contended,
        oversubscribed=lambda n, p: p > 2,
        host_cores=2,
    )
    model = fit_time_model(df, draws=20)
    assert set(model.p) == {1.0, 2.0}
    assert "12 CPU-bound run(s)" in model.excluded and "workers 4" in model.excluded
    # waiting tasks (no CPU) oversubscribed are real measurements and stay
    waiting = df.assign(cpu_s=0.0)
    assert set(fit_time_model(waiting, draws=20).p) == {1.0, 2.0, 4.0}


def test_when_more_workers_were_never_faster_the_low_end_allows_the_added_work_to_divide():
    # A matrix product whose blocks, at the measured sides, cost more to move (0.1 s on
    # 2 workers) than dividing saves: the runs never get faster. At 2x the side the work
    # may divide, which no law fitted to the measured runs can see: the interval's low
    # end must reach the work divided, and the forecast must say why.
    def one_block(n, p):
        return 0.3 + 0.1 * (p > 1) + 6e-11 * n**3

    df = make_records(
        sizes=(512, 1024, 1536, 2048),
        workers=(1, 2),
        time=one_block,
        work_items=lambda n, p: 2.0 * n**3,
    )
    model = fit_time_model(df, draws=20)
    two = model.predict(4096, 2)
    divided = 0.4 + 6e-11 * 2048**3 + 6e-11 * (4096**3 - 2048**3) / 2
    assert two.low <= divided * 1.01
    assert two.seconds > divided * 1.5  # the central figure still follows the runs
    assert any("never faster" in w for w in two.warnings)
    # Not for one worker, nor inside the measured sizes.
    assert not any("never faster" in w for w in model.predict(4096, 1).warnings)
    assert not any("never faster" in w for w in model.predict(1024, 2).warnings)

    # Where 2 workers were faster, the runs speak for themselves: no such allowance.
    df = make_records(
        sizes=(512, 1024, 1536, 2048),
        workers=(1, 2),
        time=lambda n, p: 0.3 + 6e-11 * n**3 / p,
        work_items=lambda n, p: 2.0 * n**3,
    )
    faster = fit_time_model(df, draws=20).predict(4096, 2)
    assert not any("never faster" in w for w in faster.warnings)
