"""A forecast whose interval is too wide to act on says so, and names the measurement
that would narrow it: its largest part decides which."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scaling_lib.analysis.catalog import load_catalog
from scaling_lib.analysis.narrowing import WIDE, Target, WidthParts, too_wide
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.recommend import recommend
from scaling_lib.analysis.report import recommendation_dict
from scaling_lib.present.recommend import recommendation_text

from .records import make_records

TARGET = Target(size=1e6, n_workers=64, largest_size=1e4, most_workers=2, work_ratio=100.0)


def parts(**big):
    return WidthParts(**{"noise": 0.05, "parameters": 0.05, "size": 0.05, "workers": 0.05, **big})


def test_an_interval_within_the_width_says_nothing():
    assert too_wide(1.0, WIDE * 0.99, parts(size=3.0), TARGET, 0.9) == ""


@pytest.mark.parametrize(
    ("part", "advice"),
    [
        ("size", "measure a larger size, e.g. 250,000"),
        ("workers", "measure on more workers, e.g. 4"),
        ("forms", "measure a larger size, which separates them"),
        ("parameters", "measure more sizes"),
        ("noise", "add repeats"),
        ("divides", "measure a larger size on 2 workers"),
    ],
)
def test_the_largest_part_of_the_width_names_its_measurement(part, advice):
    said = too_wide(0.5, 20.0, parts(**{part: 2.0}), TARGET, 0.9)
    assert said.startswith("the 90% interval spans 40x (0.5 s to 20 s)")
    assert "cannot forecast this target" in said and advice in said


def law(n, p):
    return 0.2 + 1e-4 * n * (0.05 + 0.95 / p)


def test_far_in_size_the_forecast_says_it_cannot_forecast_and_names_a_larger_size():
    rng = np.random.default_rng(3)
    df = make_records(
        sizes=(1000, 2000, 4000),
        workers=(1, 2),
        repeats=3,
        time=lambda n, p: law(n, p) * math.exp(0.08 * rng.standard_normal()),
    )
    model = fit_time_model(df, draws=40)
    near = model.predict(4000, 2)
    assert near.too_wide == "" and near.high / near.low <= WIDE
    far = model.predict(4_000_000, 2)
    assert far.high / far.low > WIDE
    assert "cannot forecast this target" in far.too_wide
    assert "measure a larger size" in far.too_wide
    assert far.too_wide in far.warnings  # every surface that shows warnings shows it


def test_far_in_workers_only_the_advice_is_more_workers_not_more_sizes():
    df = make_records(sizes=(1000, 2000, 4000), workers=(1, 2), repeats=3, time=law)
    model = fit_time_model(df, draws=40)
    far = model.predict(4000, 4096)  # a measured size, on 2,048x the workers
    assert far.high / far.low > WIDE
    assert "extrapolation in workers" in far.too_wide
    assert "measure on more workers, e.g. 4" in far.too_wide
    assert "larger size" not in far.too_wide


def test_recommend_says_once_and_first_that_its_forecast_is_too_wide():
    rng = np.random.default_rng(5)
    df = make_records(
        sizes=(1000, 2000, 4000),
        workers=(1, 2),
        time=lambda n, p: law(n, p) * math.exp(0.08 * rng.standard_normal()),
    )
    text = recommendation_text(
        recommendation_dict(recommend(df, load_catalog(), size=4e7, draws=10)), top=5
    )
    assert text.count("cannot forecast this target") == 1
    assert text.index("Forecast too wide to act on") < text.index("Warnings")
    near = recommend(df, load_catalog(), size=4000, draws=10)
    assert "cannot forecast" not in recommendation_text(recommendation_dict(near), top=5)
