"""Points that do not belong: planted records, no cluster, no timing."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_lib.analysis.off_trend import off_trend_points, relative_noise, threshold
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.report import analyze_study
from scaling_lib.present.analysis import analysis_text
from tests.unit.analysis.records import make_records
from tests.unit.analysis.records import sampled_dataset_records as dataset_study


def test_a_seeded_row_sample_8x_the_cost_per_row_is_flagged_and_left_out_of_the_fit():
    df = dataset_study()
    flags = off_trend_points(df)
    assert [(f.size, f.n_workers) for f in flags] == [(0.05, 1), (0.05, 2)]
    for f in flags:
        assert f.ratio == pytest.approx(8.0, rel=0.01)
        assert f.cause == "partition layout" and f.unit == "row"
        assert f.evidence == "5,000 rows per partition vs 100,000"
        assert f.left_out and f.decision == "left out of the time model"
        assert f.text.startswith(
            f"5% on {f.n_workers} worker(s): 8x the cost per row of its neighbours"
        )
    model = fit_time_model(df, draws=10)
    assert 0.05 not in set(model.n) and set(model.n) == {0.1, 0.2, 0.4}
    assert "5% on 1 worker(s) left out of the fit (8x the cost per row" in model.excluded
    assert model.off_trend == tuple(flags)


def test_without_partition_counts_the_sampling_method_names_the_layout():
    df = dataset_study().drop(columns="sample_partitions")
    (first, _) = off_trend_points(df)
    assert first.cause == "partition layout" and first.left_out
    assert first.evidence == "sampled as seeded-rows, its neighbours as row-groups"


def test_rows_per_partition_is_read_where_the_records_carry_it():
    df = dataset_study().drop(columns="sample_partitions").drop(columns="sample_method")
    df["rows_per_partition"] = np.where(df["size"] == 0.05, 5_000, 100_000)
    assert off_trend_points(df)[0].evidence == "5,000 rows per partition vs 100,000"


def test_many_more_tasks_than_the_neighbours_is_a_partition_layout():
    df = make_records(
        sizes=(1000, 2000, 4000, 8000),
        workers=(1, 2),
        time=lambda n, p: n / 1000 / p * (5 if n == 1000 else 1),
        task_count=lambda n, p: 4000 if n == 1000 else 100,
    )
    flags = off_trend_points(df)
    assert {f.cause for f in flags} == {"partition layout"} and len(flags) == 2
    assert flags[0].evidence == "4,000 tasks vs 100 at size 2,000"


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize(("noise", "repeats"), [(0.02, 3), (0.15, 3), (0.15, 2), (0.3, 5)])
def test_noisy_but_consistent_points_are_not_flagged(seed, noise, repeats):
    rng = np.random.default_rng(seed)
    df = make_records(
        sizes=(1000, 2000, 4000, 8000, 16000),
        workers=(1, 2, 4),
        repeats=repeats,
        time=lambda n, p: (0.3 + n / 1000 / p) * np.exp(noise * rng.standard_normal()),
    )
    assert off_trend_points(df) == []


def test_on_a_quiet_machine_a_point_under_the_floor_is_not_flagged():
    df = make_records(
        sizes=(1000, 2000, 4000, 8000),
        time=lambda n, p: n / 1000 / p * (1.4 if n == 2000 else 1),
    )
    assert relative_noise(df) < 0.02 and threshold(relative_noise(df)) == pytest.approx(np.log(1.5))
    assert off_trend_points(df) == []


@pytest.mark.parametrize(
    "time",
    [
        lambda n, p: 1 + 0.01 * n / p,  # fixed cost, then linear: cost per unit falls
        lambda n, p: (n / 1000) ** 2 / p,  # superlinear: cost per unit rises
        lambda n, p: 1 + 0.3 * n + 0.01 * n * n,  # both
    ],
)
def test_a_smooth_law_between_sizes_is_not_flagged(time):
    df = make_records(sizes=(1, 4, 16, 64, 256, 1024), workers=(1, 2), time=time)
    assert off_trend_points(df) == []


def test_a_spilling_point_is_flagged_and_kept():
    df = make_records(
        sizes=(1000, 2000, 4000, 8000),
        workers=(1, 2),
        time=lambda n, p: n / 1000 / p * (4 if n == 8000 else 1),
        bytes_spilled=lambda n, p: 3 * 2**30 if n == 8000 else 0,
    )
    flags = off_trend_points(df)
    assert [(f.size, f.cause, f.left_out) for f in flags] == [
        (8000, "spilling", False),
        (8000, "spilling", False),
    ]
    assert flags[0].evidence == "spilled 3 GiB to disk, its neighbours 0 B"
    assert "kept in the time model: spilling is how" in flags[0].text
    model = fit_time_model(df, draws=10)
    assert 8000 in set(model.n) and not model.excluded


def test_a_slow_first_repeat_is_a_warm_up_and_left_out():
    df = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), repeats=2)
    first = (df["size"] == 2000) & (df["n_workers"] == 1) & (df["repeat"] == 0)
    df.loc[first, "wall_s"] *= 8
    (flag,) = off_trend_points(df)
    assert (flag.size, flag.n_workers, flag.cause, flag.left_out) == (2000, 1, "warm-up", True)
    assert flag.evidence == "its first repeat took 7.92x its others"


def test_with_no_cause_in_the_records_the_point_is_kept_and_said_so():
    df = make_records(
        sizes=(1000, 2000, 4000, 8000), time=lambda n, p: n / 1000 / p * (8 if n == 2000 else 1)
    )
    flags = off_trend_points(df)
    assert {(f.size, f.cause, f.left_out) for f in flags} == {(2000, "unknown", False)}
    assert "kept in the time model: nothing says" in flags[0].text
    assert 2000 in set(fit_time_model(df, draws=10).n)


def test_with_two_sizes_the_other_worker_counts_give_the_trend():
    df = make_records(
        sizes=(1000, 2000),
        workers=(1, 2, 4),
        time=lambda n, p: n / 1000 / p * (6 if (n, p) == (1000, 2) else 1),
    )
    (flag,) = off_trend_points(df)
    assert (flag.size, flag.n_workers) == (1000, 2)
    assert flag.compared_with == "the other worker counts" and flag.ratio == pytest.approx(6)
    # Two worker counts of two sizes: which of the four points is odd cannot be told.
    assert off_trend_points(df[df["n_workers"] < 4]) == []


def test_a_layout_point_is_kept_when_the_fit_would_have_too_few_points_without_it():
    df = dataset_study()
    one_worker = df[(df["n_workers"] == 1) & (df["size"] < 0.4)]
    (flag,) = off_trend_points(one_worker)
    assert flag.cause == "partition layout" and not flag.left_out
    assert flag.decision == "kept in the time model: too few points without it"


def test_analyze_names_the_point_with_its_cause_and_that_it_was_left_out():
    result = analyze_study(dataset_study())
    (first, _) = result["off_trend"]
    assert first["cause"] == "partition layout" and first["left_out"] is True
    assert "left out of the fit" in result["time_model"]["excluded"]
    assert [d["left_out_sizes"] for d in result["data_scaling"]] == [[0.05], [0.05]]
    text = analysis_text(result)
    assert "Points off the trend" in text
    assert (
        "5% on 1 worker(s): 8x the cost per row of its neighbours, partition layout: "
        "5,000 rows per partition vs 100,000; left out of the time model"
    ) in text
