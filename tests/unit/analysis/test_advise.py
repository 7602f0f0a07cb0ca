"""The advisor: which measurement narrows the target's interval most per second."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scaling_lib.analysis.advise import Reach, advise
from scaling_lib.analysis.advise_candidates import candidate_points, reach_from_records
from scaling_lib.errors import AnalysisError
from scaling_lib.present.advice import advice_line, advice_table, advice_text
from tests.unit.analysis.records import make_records


def _amdahl(noise: float = 0.03, seed: int = 0):
    """Seconds of a law with a serial part, with multiplicative run noise."""
    rng = np.random.default_rng(seed)

    def time(n, p):
        return (0.3 + n / 1000 * (0.2 + 0.8 / p)) * math.exp(noise * rng.standard_normal())

    return time


def test_only_uncertainty_beyond_the_measured_workers_names_more_workers_not_sizes():
    # Sizes measured up to the target itself, on 1 and 2 workers; the target is 16 workers:
    # no size this machine can add narrows it, only runs on more workers would.
    df = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), time=_amdahl())
    reach = Reach(workers=(1, 2), max_size=8000, repeats=3, beyond=(4, 8, 16))
    report = advise(df, target_size=8000, target_workers=16, reach=reach)
    assert report.out_of_reach, report.best
    assert "more workers" in report.out_of_reach or "workers on a bigger machine" in (
        report.out_of_reach
    )
    assert "larger size" not in report.best
    assert not any(a.candidate.kind == "new size" for a in report.ranked)  # none to add
    assert report.best.startswith("nothing this machine can measure narrows")


def test_a_far_size_target_is_narrowed_by_a_larger_size_first():
    df = make_records(sizes=(1000, 2000), workers=(1, 2), time=_amdahl())
    reach = Reach(workers=(1, 2), repeats=3)
    report = advise(df, target_size=64_000, target_workers=2, reach=reach)
    assert not report.out_of_reach
    best = report.ranked[0]
    assert best.candidate.kind == "new size" and best.candidate.size == 4000
    assert best.width < report.width  # it narrows the target's interval
    assert best.cost_s > 0
    assert [a.per_second for a in report.ranked] == sorted(
        (a.per_second for a in report.ranked), reverse=True
    )
    assert report.best.startswith("measure 4,000 on")


def test_the_json_has_each_candidates_cost_and_expected_interval():
    df = make_records(sizes=(1000, 2000), workers=(1, 2), time=_amdahl())
    report = advise(df, target_size=16_000, target_workers=2, reach=Reach(workers=(1, 2)))
    out = json.loads(json.dumps(report.as_dict()))
    assert out["schema"] == "advice/1"
    assert out["candidates"], out
    for c in out["candidates"]:
        assert c["cost_s"] > 0
        assert 0 < c["expected_low"] <= c["expected_high"]
        assert c["expected_width"] == pytest.approx(c["expected_high"] / c["expected_low"])
        assert c["text"].startswith(("measure", "repeat"))
    assert out["now"]["low"] < out["now"]["seconds"] < out["now"]["high"]
    text = advice_text(out)
    assert "expected 90% interval" in text and advice_line(out) in text
    assert len(advice_table(out, top=100)) == len(out["candidates"]) + len(out["beyond_reach"])


def test_the_cost_counts_start_prepare_warmup_and_runs():
    df = make_records(
        sizes=(1000, 2000), workers=(1, 2), time=_amdahl(), cluster_start_s=2.0, prepare_s=0.5
    )
    reach = Reach(workers=(1, 2), repeats=3, warmup=1)
    report = advise(df, target_size=8000, target_workers=2, reach=reach)
    for a in report.ranked:
        assert a.cost_s == pytest.approx(2.0 + 0.5 + 4 * a.run_s)


def test_a_budget_leaves_out_what_does_not_fit():
    df = make_records(sizes=(1000, 2000), workers=(1, 2), time=_amdahl())
    full = advise(df, target_size=16_000, target_workers=2, reach=Reach(workers=(1, 2)))
    cheap = min(a.cost_s for a in full.ranked)
    budget = advise(
        df, target_size=16_000, target_workers=2, reach=Reach(workers=(1, 2)), budget_s=cheap
    )
    assert budget.ranked and all(a.cost_s <= cheap for a in budget.ranked)


def test_new_sizes_stop_at_the_target_and_the_memory_and_dataset_sizes_are_partitions():
    df = make_records(sizes=(1000, 2000), workers=(1, 2))
    sizes = {c.size for c in candidate_points(df, Reach(workers=(1, 2)), target_size=3000,
                                             target_workers=2) if c.kind == "new size"}  # fmt: skip
    assert sizes == {3000}  # twice the largest would pass the target
    capped = candidate_points(df, Reach(workers=(1, 2), max_size=2500), target_size=1e6,
                              target_workers=2)  # fmt: skip
    assert {c.size for c in capped if c.kind == "new size"} == {2500}
    # A dataset of 100 partitions of 0.01; samples of 2 and 4 partitions measured.
    ds = make_records(sizes=(0.02, 0.04), workers=(1, 2), dataset_partitions=100,
                      sample_partitions=lambda n, p: round(n / 0.01), dataset_rows=10**7,
                      size_unit="fraction")  # fmt: skip
    new = [c.size for c in candidate_points(ds, Reach(workers=(1, 2)), target_size=1.0,
                                            target_workers=2) if c.kind == "new size"]  # fmt: skip
    assert new and all(abs(s / 0.01 - round(s / 0.01)) < 1e-9 for s in new)


def test_the_reach_of_records_is_their_hosts_cores_and_memory():
    df = make_records(sizes=(1000, 2000), workers=(1, 2), input_bytes=lambda n, p: n * 1e5)
    reach = reach_from_records(df, target_workers=32)
    assert reach.workers == (1, 2, 4, 8)  # host_cores = 8 in these records
    assert reach.beyond == (16, 32)
    assert reach.repeats == 3
    # 8 workers x 2 GiB, half of it for input, at 1e5 bytes per unit of size
    assert reach.max_size == pytest.approx(0.5 * 8 * 2**31 / 1e5)


def test_too_few_points_is_an_error_that_says_what_to_measure():
    df = make_records(sizes=(1000,), workers=(1, 2))
    with pytest.raises(AnalysisError, match="at least 4 distinct"):
        advise(df, target_size=8000, target_workers=2, reach=Reach(workers=(1, 2)))
