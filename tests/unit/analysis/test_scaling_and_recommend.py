"""Scaling tables, predictions and recommendations on synthetic records."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.recommend import Catalog, Instance, recommend
from scaling_lib.analysis.report import analyze_study, recommendation_dict
from scaling_lib.analysis.roofline import roofline
from scaling_lib.analysis.scaling import data_scaling, strong_scaling, weak_scaling
from scaling_lib.errors import AnalysisError

from .records import make_records

CATALOG = Catalog(
    instances=(
        Instance("small", vcpus=4, memory_gib=8, on_demand_hour=0.2, committed_hour=0.12),
        Instance("big", vcpus=16, memory_gib=64, on_demand_hour=0.8, committed_hour=0.5),
        Instance(
            "gpu",
            vcpus=4,
            memory_gib=16,
            on_demand_hour=1.0,
            committed_hour=0.6,
            gpus=1,
            gpu_memory_gib=24,
        ),
    ),
    source="test",
)


def amdahl_time(n, p):
    return n / 1000 * (0.05 + 0.95 / p)


def cpu_and_gpu_records(**gpu_fields) -> pd.DataFrame:
    """A CPU study (Amdahl, workers 1-2) and a GPU one 20x faster on one GPU, sizes
    1,000-8,000, with ``gpu_fields`` set on the GPU runs."""
    cpu = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), time=amdahl_time)
    gpu = make_records(
        sizes=(1000, 2000, 4000, 8000),
        workers=(1,),
        time=lambda n, p: amdahl_time(n, p) / 20,
        backend="gpu",
        **gpu_fields,
    )
    return pd.concat([cpu, gpu.assign(study="synthetic-gpu")], ignore_index=True)


def test_strong_and_weak_scaling_tables():
    df = make_records(time=amdahl_time)
    strong = strong_scaling(df)
    row = strong[(strong["size"] == 4000) & (strong["n_workers"] == 4)].iloc[0]
    assert row["speedup"] == pytest.approx(1 / (0.05 + 0.95 / 4), rel=1e-3)
    assert row["efficiency"] == pytest.approx(row["speedup"] / 4)
    weak = weak_scaling(df)
    assert set(weak["size_per_worker"]) >= {1000}
    assert (weak["efficiency"] <= 1.0 + 1e-9).all()


def test_data_scaling_predicts_out_of_memory_size():
    df = make_records(peak_memory_bytes=lambda n, p: 2e8 + 1e5 * n, memory_limit_bytes=2**30)
    one = next(d for d in data_scaling(df) if d.n_workers == 1)
    # 2e8 + 1e5 n = 2^30  ->  n = 8737.4
    assert one.oom_size == pytest.approx((2**30 - 2e8) / 1e5, rel=0.01)


def test_prediction_interval_and_flags():
    df = make_records(sizes=(1000, 2000, 4000, 8000), time=amdahl_time)
    model = fit_time_model(df)
    near = model.predict(16000, 4)
    assert near.low <= amdahl_time(16000, 4) <= near.high
    assert near.seconds == pytest.approx(amdahl_time(16000, 4), rel=0.05)
    assert not near.warnings
    far = model.predict(1e6, 64)
    assert any("largest measured" in w for w in far.warnings)
    assert any("beyond the measured worker counts (1, 2, 4)" in w for w in far.warnings)


def test_recommend_ranks_and_names_picks():
    df = make_records(sizes=(1000, 2000, 4000, 8000), time=amdahl_time)
    rec = recommend(df, CATALOG, size=16000, deadline_s=5.0, budget=0.05, draws=30)
    assert all(o.instance != "gpu" for o in rec.options)  # no GPU measurements
    assert any("GPU instances left out" in a for a in rec.assumptions)
    cheapest = rec.cheapest_meeting_deadline
    assert cheapest is not None and cheapest.seconds_high <= 5.0
    assert all(cheapest.cost <= o.cost for o in rec.options if o.feasible and o.meets_deadline)
    fastest = rec.fastest_within_budget
    assert fastest.cost_high <= 0.05
    assert rec.knee_workers and rec.knee_workers >= 4
    committed = recommend(df, CATALOG, size=16000, pricing="committed", draws=10)
    # the same option, priced at its committed rate (billed time is the same)
    same = {(o.instance, o.count): o for o in committed.options}
    for o in rec.options:
        inst = next(i for i in CATALOG.instances if i.name == o.instance)
        ratio = inst.committed_hour / inst.on_demand_hour
        if o.count == 1:
            assert same[o.instance, 1].cost == pytest.approx(o.cost * ratio)
    recommendation_dict(rec)  # JSON-ready


def test_recommend_marks_memory_infeasible_options():
    df = make_records(sizes=(1000, 2000, 4000), peak_memory_bytes=lambda n, p: 1e6 * n / p)
    rec = recommend(df, CATALOG, size=64000, draws=10)
    small_one = next(o for o in rec.options if o.instance == "small" and o.count == 1)
    assert not small_one.feasible and small_one.headroom_gib < 0
    assert rec.options[0].feasible


def test_baseline_crossover():
    dask = make_records(sizes=(1000, 2000, 4000, 8000), time=lambda n, p: 2.0 + n / 1000 / p)
    base = make_records(
        sizes=(1000, 2000, 4000, 8000),
        workers=(0,),
        runner="baseline",
        time=lambda n, p: n / 1000 / 2,
    )
    rec = recommend(pd.concat([dask, base]), CATALOG, size=16000, draws=10)
    # 2 + n/4000 (4 workers) < n/2000  ->  n > 8000
    assert rec.baseline_crossover_size == pytest.approx(8000, rel=0.1)


def test_roofline_fraction():
    df = make_records(flops=lambda n, p: 1e9 * n / 1000, bytes_processed=lambda n, p: 8e6 * n)
    host_limits = {"peak_flops": 4e10, "peak_flops_per_core": 1e10, "bandwidth_bytes_s": 1e10}
    table = roofline(df, host_limits)
    row = table[(table["size"] == 1000) & (table["n_workers"] == 2)].iloc[0]
    # 1e9 flop in 0.5 s = 2e9 flop/s; roof min(2 x 1e10, 1e9/8e9 * 1e10 = 1.25e9): memory-bound
    assert row["bound"] == "memory"
    assert row["fraction"] == pytest.approx(2e9 / 1.25e9 * 0.99 / 0.99, rel=0.05)


def test_analyze_study_is_json_ready():
    import json

    result = analyze_study(make_records(time=amdahl_time))
    text = json.dumps(result)
    assert result["schema"] == "analysis/1" and "NaN" not in text and "Infinity" not in text
    assert result["laws"][0]["usl"] is not None  # three worker counts
    assert not math.isnan(result["laws"][0]["amdahl"]["serial_fraction"])


def test_fixed_cost_regime_is_flagged():
    flat = make_records(
        sizes=(1000, 2000, 4000, 8000), time=lambda n, p: 1.0 + n / 1e6, work_items=lambda n, p: n
    )
    warnings = fit_time_model(flat).predict(32000, 2).warnings
    assert any("fixed costs dominate" in w for w in warnings)
    # Fixed cost at the small sizes only (a cubic workload): nothing to warn about.
    cubic = make_records(
        sizes=(512, 1024, 2048, 4096),
        time=lambda n, p: 0.15 + 4.4e-11 * n**3 / p,
        work_items=lambda n, p: 2.0 * n**3,
    )
    warnings = fit_time_model(cubic).predict(16384, 2).warnings
    assert not any("fixed costs dominate" in w for w in warnings)


def test_cpu_and_gpu_instances_are_each_predicted_from_their_own_runs():
    # A GPU 20x faster per worker, one worker per GPU.
    df = cpu_and_gpu_records(gpu_model="NVIDIA H100 80GB HBM3")
    rec = recommend(df, CATALOG, size=16000, draws=10)
    gpu_one = next(o for o in rec.options if o.instance == "gpu" and o.count == 1)
    cpu_one = next(o for o in rec.options if o.instance == "small" and o.count == 1)
    # Each instance kind follows its own measurements, not one model fitted to both.
    assert gpu_one.seconds == pytest.approx(amdahl_time(16000, 1) / 20, rel=0.15)
    assert cpu_one.seconds > 5 * gpu_one.seconds
    assert any("GPU instances predicted from the GPU runs" in a for a in rec.assumptions)
    assert any("NVIDIA H100" in a for a in rec.assumptions)
    # Each warning says whose runs it is about.
    gpu_two = next(o for o in rec.options if o.instance == "gpu" and o.count == 2)
    assert "GPU runs: only one worker count measured" in " ".join(gpu_two.warnings)
    assert all(w.startswith("GPU runs: ") for w in gpu_two.warnings)
    cpu_warnings = [w for o in rec.options if o.instance == "small" for w in o.warnings]
    assert cpu_warnings and all(w.startswith("CPU runs: ") for w in cpu_warnings)


def test_too_few_gpu_points_is_an_error_that_names_the_gpu_runs():
    # One GPU at three sizes: three (size, workers) points, one short of a model.
    cpu = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), time=amdahl_time)
    gpu = make_records(sizes=(1000, 2000, 4000), workers=(1,), backend="gpu")
    df = pd.concat([cpu, gpu.assign(study="synthetic-gpu")], ignore_index=True)
    with pytest.raises(AnalysisError, match=r"GPU runs: .* 4 distinct .* got 3: measure more"):
        recommend(df, CATALOG, size=16000, draws=10)


def test_weak_scaling_pairs_points_by_work_per_worker_not_size():
    # A matrix product: work 2 n^3. Side 1000 on 1 worker and 1260 (2^(1/3) x) on 2 do
    # the same work per worker; 2000 on 2 workers does 4x as much per worker.
    df = make_records(
        sizes=(1000, 1260, 2000),
        workers=(1, 2),
        time=lambda n, p: 2e-9 * n**3 / p,
        work_items=lambda n, p: 2.0 * n**3,
    )
    weak = weak_scaling(df)
    assert set(weak["basis"]) == {"work per worker"}
    assert sorted(zip(weak["size"], weak["n_workers"], strict=True)) == [(1000, 1), (1260, 2)]
    assert weak["efficiency"].min() == pytest.approx(1000**3 / (1260**3 / 2), rel=1e-6)
    by_size = weak_scaling(df.drop(columns="work_items"))
    assert set(by_size["basis"]) == {"size per worker"}
    assert (2000, 2) in set(zip(by_size["size"], by_size["n_workers"], strict=True))


def test_gpu_instances_are_checked_against_the_measured_device_memory():
    # Device peak: 1 GiB of context plus 2 bytes per input byte; input 1 MiB per size unit.
    df = cpu_and_gpu_records(
        input_bytes=lambda n, p: n * 2**20,
        gpu_memory_peak_bytes=lambda n, p: 2**30 + 2 * n * 2**20,
        peak_memory_bytes=2**30,  # host memory stays flat: it must not be what is checked
        gpu_model="NVIDIA A10G",
    )
    # 16000 units: 1 + 31.25 GiB on one 24 GiB GPU; on four, 1 + 7.8 GiB each.
    rec = recommend(df, CATALOG, size=16000, counts=(1, 4), draws=10)
    one = next(o for o in rec.options if o.instance == "gpu" and o.count == 1)
    four = next(o for o in rec.options if o.instance == "gpu" and o.count == 4)
    assert one.memory_per_worker_gib == 24
    assert one.predicted_peak_gib == pytest.approx(1 + 2 * 16000 / 1024, rel=0.05)
    assert not one.feasible and four.feasible


def test_a_jobs_cost_includes_start_up_preparation_boot_and_the_scheduler_node():
    df = make_records(
        sizes=(1000, 2000, 4000, 8000),
        workers=(1, 2),
        time=amdahl_time,
        cluster_start_s=lambda n, p: 1.0 + 0.5 * p,  # measured per worker count
        prepare_s=lambda n, p: 0.002 * n / p,  # per size unit each worker prepares
    )
    booting = dataclasses.replace(CATALOG.instances[0], boot_s=30.0)
    catalog = dataclasses.replace(CATALOG, instances=(booting, *CATALOG.instances[1:]))
    rec = recommend(df, catalog, size=16000, counts=(1, 2), draws=10)
    small_two = next(o for o in rec.options if o.instance == "small" and o.count == 2)
    # 8 workers: start-up 1 + 0.5 x 8, preparation 0.002 x 16000 / 8, boot 30
    assert small_two.overhead_s == pytest.approx(5.0 + 4.0 + 30.0, rel=0.02)
    per_hour = 2 * 0.2 + min(i.on_demand_hour for i in CATALOG.instances if not i.gpus)
    expected = per_hour / 3600 * max(small_two.seconds + small_two.overhead_s, 60)
    assert small_two.cost == pytest.approx(expected, rel=1e-6)
    assert any("start-up and preparation as measured here" in a for a in rec.assumptions)


def test_committed_prices_state_their_utilisation_and_spot_leaves_out_unpriced_instances():
    df = make_records(sizes=(1000, 2000, 4000, 8000), workers=(1, 2), time=amdahl_time)
    full = recommend(df, CATALOG, size=16000, pricing="committed", counts=(1,), draws=10)
    half = recommend(
        df, CATALOG, size=16000, pricing="committed", utilisation=0.5, counts=(1,), draws=10
    )
    assert half.options[0].cost == pytest.approx(2 * full.options[0].cost)
    assert any("used 50% of its term" in a for a in half.assumptions)
    spot_small = dataclasses.replace(CATALOG.instances[0], spot_hour=0.07)
    catalog = dataclasses.replace(CATALOG, instances=(spot_small, *CATALOG.instances[1:]))
    spot = recommend(df, catalog, size=16000, pricing="spot", counts=(1,), draws=10)
    assert {o.instance for o in spot.options} == {"small"}
    assert any("left out, no spot price: big, gpu" in a for a in spot.assumptions)
    with pytest.raises(AnalysisError, match="no instance in the catalog has a spot_hour"):
        recommend(df, CATALOG, size=16000, pricing="spot", draws=10)


def test_gpu_times_scale_across_models_by_the_published_rate_for_the_precision_measured():
    from scaling_lib.analysis.catalog import load_gpu_rates

    rates, source = load_gpu_rates()
    df = cpu_and_gpu_records(
        gpu_model="NVIDIA A100-SXM4-80GB",
        precision="float64",
    )
    a10g = dataclasses.replace(CATALOG.instances[2], name="g5", gpu_type="NVIDIA A10G")
    a100 = dataclasses.replace(CATALOG.instances[2], name="p4", gpu_type="NVIDIA A100")
    catalog = dataclasses.replace(
        CATALOG, instances=(a10g, a100), gpu_rates=rates, gpu_rates_source=source
    )
    rec = recommend(df, catalog, size=16000, counts=(1,), draws=10)
    on = {o.instance: o for o in rec.options}
    # float64: 9.7 TFLOP/s on an A100, 0.49 on an A10G (1/64 of its float32)
    assert on["g5"].seconds / on["p4"].seconds == pytest.approx(9.7 / 0.49, rel=1e-6)
    assert any("float64 rate" in a and "NVIDIA data sheets" in a for a in rec.assumptions)
    as_float32 = recommend(
        df.assign(precision="float32"), catalog, size=16000, counts=(1,), draws=10
    )
    on32 = {o.instance: o for o in as_float32.options}
    assert on32["g5"].seconds / on32["p4"].seconds == pytest.approx(19.5 / 31.2, rel=1e-6)
