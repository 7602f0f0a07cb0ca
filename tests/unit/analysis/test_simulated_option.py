"""A simulated option keeps the fit's warnings, and its interval carries the time model's
error at that point as well as the spread between replays (``option_cost.simulated``)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from scaling_lib.analysis.narrowing import WIDE
from scaling_lib.analysis.offers import Instance
from scaling_lib.analysis.option_cost import simulated
from scaling_lib.analysis.predict import Prediction

INSTANCE = Instance("box", vcpus=8, memory_gib=32, on_demand_hour=0.4, committed_hour=0.25)
SIZE_WARNING = "the work at this size is 16x that of the largest measured size (1,000)"
WORKERS_WARNING = "16 workers is beyond the measured worker counts (1, 2): the fitted law ..."


class Replays:
    """What ``recommend`` asks of a simulation: ``at`` and ``method``."""

    method = "replay of the measured graph"

    def __init__(self, wall_s: float, low: float, high: float):
        self.figures = SimpleNamespace(wall_s=wall_s, low=low, high=high)
        self.asked: list[tuple[int, float | None]] = []

    def at(self, n_workers: int, bandwidth_Bps: float | None = None):
        self.asked.append((n_workers, bandwidth_Bps))
        return self.figures


def fitted(seconds=10.0, low=8.0, high=12.5, too_wide="", warnings=(SIZE_WARNING,), size_ratio=1.0):
    return Prediction(
        size=1000.0 * size_ratio,
        n_workers=16,
        seconds=seconds,
        low=low,
        high=high,
        model="T(n, p) = ...",
        size_ratio=size_ratio,
        workers_ratio=8.0,
        noisy=False,
        warnings=(*warnings, WORKERS_WARNING, *((too_wide,) if too_wide else ())),
        work_ratio=size_ratio,
        too_wide=too_wide,
    )


def test_the_centre_is_simulated_and_the_interval_adds_the_fits_error_in_quadrature():
    pred = simulated(Replays(4.0, 3.6, 4.8), fitted(), INSTANCE, count=1, workers=16)
    assert pred.seconds == 4.0 and pred.model == "simulation: replay of the measured graph"
    below = math.hypot(math.log(4.0 / 3.6), math.log(10.0 / 8.0))
    above = math.hypot(math.log(4.8 / 4.0), math.log(12.5 / 10.0))
    assert pred.low == pytest.approx(4.0 * math.exp(-below))
    assert pred.high == pytest.approx(4.0 * math.exp(above))
    # Wider than the replays' range, and than the fit's relative interval, on both sides.
    assert pred.low < 3.6 and pred.high > 4.8
    assert pred.low / pred.seconds < 8.0 / 10.0 and pred.high / pred.seconds > 12.5 / 10.0


def test_replays_that_agree_still_carry_the_fits_error():
    pred = simulated(Replays(4.0, 4.0, 4.0), fitted(), INSTANCE, count=1, workers=16)
    assert pred.low == pytest.approx(4.0 * 8.0 / 10.0)
    assert pred.high == pytest.approx(4.0 * 12.5 / 10.0)


def test_beyond_the_largest_measured_size_it_also_spans_the_fitted_interval():
    # The simulated graph is extrapolated too: two models the data cannot tell apart.
    far = fitted(seconds=10.0, low=8.0, high=12.5, size_ratio=16.0)
    pred = simulated(Replays(4.0, 3.6, 4.8), far, INSTANCE, count=1, workers=16)
    assert pred.seconds == 4.0
    below = math.hypot(math.log(4.0 / 3.6), math.log(10.0 / 8.0))
    assert pred.low == pytest.approx(4.0 * math.exp(-below)) and pred.high == 12.5
    near = simulated(Replays(4.0, 3.6, 4.8), fitted(), INSTANCE, count=1, workers=16)
    assert near.high < 12.5


def test_the_fits_warnings_stay_with_the_simulated_option():
    pred = simulated(Replays(4.0, 3.6, 4.8), fitted(), INSTANCE, count=1, workers=16)
    assert SIZE_WARNING in pred.warnings and WORKERS_WARNING in pred.warnings


def test_a_cluster_without_a_network_in_the_catalog_says_it_was_simulated_at_this_hosts():
    replays = Replays(4.0, 3.6, 4.8)
    pred = simulated(replays, fitted(), INSTANCE, count=2, workers=16)
    assert replays.asked == [(16, None)]
    assert any("has no network_gbps" in w for w in pred.warnings)
    assert SIZE_WARNING in pred.warnings
    fast = Instance("fast", 8, 32, 0.4, 0.25, network_gbps=12.5)
    simulated(replays, fitted(), fast, count=2, workers=16)
    assert replays.asked[-1] == (16, 12.5e9 / 8 / 8)  # the instance's network, per worker


def test_a_too_wide_forecast_is_said_again_with_the_simulated_interval():
    sentence = (
        "the 90% interval spans 100x (1 s to 100 s): these points cannot forecast this "
        "target; most of the width is the extrapolation in size (...): measure a larger size"
    )
    fit = fitted(seconds=10.0, low=1.0, high=100.0, too_wide=sentence)
    pred = simulated(Replays(4.0, 3.6, 4.8), fit, INSTANCE, count=1, workers=16)
    assert pred.high / pred.low > WIDE
    assert pred.too_wide.startswith(f"the 90% interval spans {pred.high / pred.low:.0f}x")
    assert pred.too_wide.endswith("most of the width is the extrapolation in size (...): "
                                  "measure a larger size")  # fmt: skip
    # One sentence per option, the restated one: the fit's figures are not this interval's.
    assert pred.too_wide in pred.warnings and sentence not in pred.warnings


def test_replays_that_disagree_widely_are_named_as_the_width():
    pred = simulated(Replays(4.0, 0.5, 40.0), fitted(), INSTANCE, count=1, workers=16)
    assert "the spread between the replays of the measured graph" in pred.too_wide
    assert pred.too_wide in pred.warnings


def test_a_fitted_interval_that_reaches_zero_keeps_the_simulated_low_at_zero():
    zero = "the 90% interval reaches 0 s: these points cannot forecast this target; ..."
    fit = fitted(seconds=10.0, low=0.0, high=30.0, too_wide=zero)
    pred = simulated(Replays(4.0, 3.6, 4.8), fit, INSTANCE, count=1, workers=16)
    assert pred.low == 0.0 and pred.high > 4.8 and pred.too_wide == zero
    assert pred.warnings.count(zero) == 1
