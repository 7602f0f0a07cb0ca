"""Each diagnosis rule on records built to show it (and not on records that do not)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from scaling_lib.analysis.bottlenecks import diagnose

from .records import make_records


def names(df):
    return [f.name for f in diagnose(df)]


def test_healthy_compute_bound_study_has_no_false_alarms():
    found = names(make_records())
    assert found[0] == "compute-bound"
    for rule in (
        "memory",
        "communication",
        "serialization",
        "scheduler-overhead",
        "serial-section",
        "oversubscription",
        "idle-workers",
        "not-enough-data",
    ):
        assert rule not in found, rule


def test_spill_and_oom():
    spilled = make_records(bytes_spilled=lambda n, p: 3e8 if n == 4000 else 0.0)
    top = diagnose(spilled)[0]
    assert top.name == "memory" and top.evidence["max_spilled_bytes"] == 3e8
    oom = pd.concat([make_records(), make_records(sizes=(8000,), repeats=1, status="oom")])
    finding = next(f for f in diagnose(oom) if f.name == "memory")
    assert finding.score == 1.0 and finding.evidence["oom_sizes"] == [8000]


def test_gpu_device_spill_is_a_memory_finding():
    gpu = make_records(backend="gpu", gpu_bytes_spilled=lambda n, p: 5e8 if n == 4000 else 0.0)
    finding = next(f for f in diagnose(gpu) if f.name == "memory")
    assert finding.evidence["max_device_spilled_bytes"] == 5e8
    assert "device to host" in finding.summary and "device_memory_limit" in finding.fix
    calm = make_records(backend="gpu", gpu_bytes_spilled=0.0)
    assert "memory" not in names(calm)


def test_communication_grows_with_workers():
    df = make_records(transfer_s=lambda n, p: 0.05 * (p - 1) * n / 1000)
    finding = next(f for f in diagnose(df) if f.name == "communication")
    shares = finding.evidence["transfer_share_by_workers"]
    assert shares["4"] > shares["2"] > shares["1"] == 0


def test_serialization():
    df = make_records(
        serialize_s=lambda n, p: 0.1 * n / 1000, deserialize_s=lambda n, p: 0.1 * n / 1000
    )
    assert "serialization" in names(df)


def test_scheduler_overhead_from_tiny_tasks():
    df = make_records(task_count=lambda n, p: n * 100)  # ~10 us of compute per task
    finding = next(f for f in diagnose(df) if f.name == "scheduler-overhead")
    assert finding.evidence["median_task_seconds"] < 0.001


def test_gil_when_threads_do_not_compute():
    threads = make_records(
        workers=(1, 2), threads_per_worker=4, cpu_s=lambda n, p: 0.25 * n / 1000 / p * p * 4
    )
    procs = make_records(workers=(4, 8))
    finding = next(f for f in diagnose(pd.concat([threads, procs])) if f.name == "gil")
    assert (
        finding.evidence["compute_share_single_threaded"]
        > 2 * finding.evidence["compute_share_threaded"]
    )


def test_serial_section_from_amdahl():
    df = make_records(time=lambda n, p: n / 1000 * (0.3 + 0.7 / p))
    finding = next(f for f in diagnose(df) if f.name == "serial-section")
    assert finding.evidence["serial_fraction"] == pytest.approx(0.3, abs=0.02)


def test_oversubscription():
    assert "oversubscription" in names(make_records(oversubscribed=True))


def test_idle_workers():
    df = make_records(cpu_s=lambda n, p: 0.3 * n / 1000, noncpu_s=0.0)
    assert "idle-workers" in names(df)


def test_not_worth_distributing():
    dask = make_records(time=lambda n, p: 1.0 + n / 1000 / p)
    base = make_records(workers=(0,), runner="baseline", time=lambda n, p: n / 4000)
    finding = next(
        f for f in diagnose(pd.concat([dask, base])) if f.name == "not-worth-distributing"
    )
    assert finding.score == 0.9


def test_not_enough_data():
    df = make_records(sizes=(1000,), workers=(1,), repeats=2)
    finding = next(f for f in diagnose(df) if f.name == "not-enough-data")
    assert "1 size(s)" in finding.summary and "fewer than 3 repeats" in finding.summary


def test_noisy_repeats_are_flagged():
    df = make_records()
    df.loc[df["repeat"] == 0, "wall_s"] *= 1.5
    assert "noisy" in next(f for f in diagnose(df) if f.name == "not-enough-data").summary


def test_findings_are_ranked_by_time_lost_and_serialise():
    # At the reference point (size 4000 on 4 workers, 1 s): spilling costs 0.2 s of
    # disk time per thread; 2000 tiny tasks x 1 ms / 4 threads, 0.5 s; computing 90% of
    # the time is the state of the run, not a problem.
    df = make_records(
        bytes_spilled=1e9,
        disk_read_s=lambda n, p: 0.2 * p,
        task_count=lambda n, p: n / 2,
        oversubscribed=True,
    )
    findings = diagnose(df)
    names = [f.name for f in findings]
    problems = [f for f in findings if f.kind == "problem"]
    assert [f.name for f in problems[:2]] == ["scheduler-overhead", "memory"]
    assert problems[0].seconds_lost == pytest.approx(2000 * 1e-3 / 4)
    assert problems[1].seconds_lost == pytest.approx(0.2)
    assert "1 ms of Dask overhead" in problems[0].lost_how
    assert names.index("compute-bound") > names.index("memory")  # a state, after problems
    assert findings[-1].kind == "caveat"
    json.dumps([f.__dict__ for f in findings])
    for f in findings:
        assert f.summary and f.fix and isinstance(f.evidence, dict)


def test_no_successful_runs():
    df = make_records(status="failed")
    assert diagnose(df)[0].name == "no-successful-runs"


def _training(strategy, hidden, outputs=8, transfer_share=0.2):
    """Records of the train workload: parameters and analytic bytes as train computes them."""
    from scaling_lib.analysis.ai_workloads import strategy_bytes

    parameters = 64 * hidden + hidden * outputs
    return make_records(
        sizes=(20_000, 40_000),
        workers=(1, 2),
        transfer_s=lambda n, p: transfer_share * (n / 1000 / p) * p,
        **{
            "metric.strategy": strategy,
            "metric.parameters": parameters,
            "param.outputs": outputs,
            "param.hidden": hidden,
            "param.model_shards": 2,
            "precision": "float64",
            "metric.analytic_bytes_per_step": lambda n, p: strategy_bytes(
                strategy, p, n, parameters, outputs, 8
            ),
            "metric.bytes_per_step": lambda n, p: strategy_bytes(
                strategy, p, n, parameters, outputs, 8
            ),
        },
    )


def test_training_strategy_rule_names_the_strategy_that_moves_less():
    # A wide model trained data-parallel: gradients of 2.4M weights cross the wire each
    # step, while model-parallel would move only the 40,000 x 8 activations.
    finding = next(f for f in diagnose(_training("data", 32_768)) if f.name == "training-strategy")
    assert "'model' would move" in finding.summary
    assert finding.fix.startswith("try strategy: model")
    assert finding.evidence["analytic_bytes_per_step"]["model"] < (
        0.5 * finding.evidence["analytic_bytes_per_step"]["data"]
    )
    # A small model is already best data-parallel: no finding.
    assert "training-strategy" not in names(_training("data", 16))
    # And a small model trained model-parallel is told to go data-parallel.
    small_model = next(f for f in diagnose(_training("model", 16)) if f.name == "training-strategy")
    assert small_model.fix.startswith("try strategy: data")


def test_ai_tables_summarise_strategies_and_latency():
    from scaling_lib.analysis.ai_workloads import latency_table, strategy_table

    table = strategy_table(pd.concat([_training("data", 16), _training("model", 16)]))
    two = table[table["n_workers"] == 2]
    assert set(two["strategy"]) == {"data", "model"}
    assert (two["measured_over_analytic"] == 1).all()
    assert set(two["fastest_here"]) <= {"data", "model"}
    assert table[table["n_workers"] == 1]["measured_over_analytic"].isna().all()  # 0 / 0
    serving = make_records(
        sizes=(100,),
        workers=(1, 2),
        **{
            "param.concurrency": 8,
            "param.rate": 0.0,
            "metric.latency_p50_s": lambda n, p: 0.04 / p,
            "metric.latency_p95_s": lambda n, p: 0.06 / p,
            "metric.latency_p99_s": lambda n, p: 0.08 / p,
        },
    )
    lat = latency_table(serving)
    assert list(lat["n_workers"]) == [1, 2]
    assert (lat["latency_p50_s"] <= lat["latency_p99_s"]).all()


@pytest.mark.parametrize(
    ("workload", "knob", "foreign"),
    [
        ("array", "`chunks`", "`partitions`"),
        ("dataframe", "`partitions`", "`chunks`"),
        ("train", "`blocks`", "`chunks`"),
        ("xgboost", "`partitions`", "`blocks`"),
        ("my_pipeline", "chunks or partitions", "`"),  # custom: no parameter it lacks
    ],
)
def test_each_fix_names_the_parameter_of_the_workload_it_is_shown_for(workload, knob, foreign):
    tiny = make_records(task_count=lambda n, p: n * 100, workload=workload)
    idle = make_records(cpu_s=lambda n, p: 0.3 * n / 1000, noncpu_s=0.0, workload=workload)
    for df, rule in ((tiny, "scheduler-overhead"), (idle, "idle-workers")):
        fix = next(f for f in diagnose(df) if f.name == rule).fix
        assert knob in fix and foreign not in fix, (rule, fix)
    comm = make_records(transfer_s=lambda n, p: 0.05 * (p - 1) * n / 1000, workload=workload)
    fix = next(f for f in diagnose(comm) if f.name == "communication").fix
    # A shuffle's fix only where there is a shuffle to avoid.
    assert ("broadcast the small table" in fix) == (workload == "dataframe"), fix
