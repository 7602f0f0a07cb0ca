"""Each diagnosis rule on records built to show it (and not on records that do not)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from scaling_lib.analysis.bottlenecks import (
    SINGLE_RUN_NOISE,
    Finding,
    diagnose,
    rank_findings,
    run_noise,
)
from scaling_lib.analysis.findings import tie_note

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
    # 0.3 s apart against a run noise of 0.01 s (repeats 1% apart): ranked, not tied
    assert problems[0].noise_s == pytest.approx(0.01)
    assert [f.rank for f in problems[:2]] == [1, 2] and not problems[0].tied_with
    assert [f.rank for f in findings] == sorted(f.rank for f in findings)
    assert names.index("compute-bound") > names.index("memory")  # a state, after problems
    assert findings[-1].kind == "caveat"
    json.dumps([f.__dict__ for f in findings])
    for f in findings:
        assert f.summary and f.fix and isinstance(f.evidence, dict)


def _spread(df, walls):
    """The records with the reference point's (size 4000, 4 workers) wall times set."""
    at = (df["size"] == 4000) & (df["n_workers"] == 4)
    df.loc[at, "wall_s"] = walls
    return df


def test_run_noise_is_the_spread_of_the_reference_repeats():
    # Median absolute deviation of the wall times at the reference point
    assert run_noise(_spread(make_records(), [0.9, 1.0, 1.1])) == pytest.approx(0.1)
    assert run_noise(_spread(make_records(), [0.5, 1.0, 1.02])) == pytest.approx(0.02)
    two = make_records(repeats=2)  # two repeats: half the gap between them
    assert run_noise(_spread(two, [0.9, 1.3])) == pytest.approx(0.2)
    # One run at the reference: the other points' relative spread, times its wall time
    one = _spread(make_records(repeats=1, sizes=(4000,), workers=(4,)), [2.0])
    assert run_noise(one) == pytest.approx(SINGLE_RUN_NOISE * 2.0)  # no repeats: 10%
    repeated = make_records(sizes=(1000,), workers=(1,))  # 1 s x (0.99, 1, 1.01): 1%
    both = pd.concat([repeated, one], ignore_index=True)
    assert run_noise(both) == pytest.approx(0.01 * 2.0)


def _memory_and_tiny_tasks(memory_s, tasks):
    """Spilling costing memory_s per thread, and tasks x 1 ms / 4 threads of overhead, at
    the reference point (1 s on median), whose repeats take 0.9, 1.0 and 1.1 s."""
    df = make_records(
        bytes_spilled=1e9,
        disk_read_s=lambda n, p: memory_s * p,
        task_count=lambda n, p: tasks if (n, p) == (4000, 4) else n / 2,
    )
    problems = [f for f in diagnose(_spread(df, [0.9, 1.0, 1.1])) if f.kind == "problem"]
    return {f.name: f for f in problems}, [f.name for f in problems]


def test_findings_within_the_run_noise_are_tied_in_a_fixed_order():
    # 0.45 s and 0.5 s apart by 0.05 s, within the 0.1 s the reference repeats move
    for memory_s, tasks in ((0.45, 2000), (0.5, 1800)):  # either one ahead
        found, order = _memory_and_tiny_tasks(memory_s, tasks)
        memory, tiny = found["memory"], found["scheduler-overhead"]
        assert order[:2] == ["memory", "scheduler-overhead"]  # by name, not by chance
        assert memory.rank == tiny.rank == 1
        assert memory.tied_with == ("scheduler-overhead",) and tiny.tied_with == ("memory",)
        assert memory.noise_s == tiny.noise_s == pytest.approx(0.1)
        assert tie_note(tiny) == "tied with memory (within the run noise of 0.1 s)"
        assert tie_note(dataclasses.asdict(memory)).startswith("tied with scheduler-overhead")


def test_findings_further_apart_than_the_run_noise_are_not_tied():
    found, order = _memory_and_tiny_tasks(0.2, 2000)  # 0.5 s against 0.2 s, noise 0.1 s
    assert order[:2] == ["scheduler-overhead", "memory"]
    assert [found[n].rank for n in order[:2]] == [1, 2]
    assert not found["memory"].tied_with and tie_note(found["memory"]) == ""


def _problem(name, seconds):
    return Finding(name, 0.5, name, {}, "fix", seconds, "how")


def test_a_tie_group_is_within_the_noise_of_its_largest_and_ranks_count_places():
    # 1.0 and 0.92 tie; 0.85 is within 0.1 of 0.92 but not of 1.0: it ranks third,
    # alone, as 0.7 is more than the noise below it. Estimates and kinds after.
    found = rank_findings(
        [
            _problem("d", 0.7),
            _problem("c", 0.85),
            _problem("b", 1.0),
            _problem("a", 0.92),
            _problem("e", None),
            Finding("s", 0.8, "state", kind="state"),
            Finding("f", 1.0, "failed", kind="failure"),
        ],
        noise=0.1,
    )
    assert [(f.name, f.rank, f.tied_with) for f in found] == [
        ("f", 1, ()),
        ("a", 2, ("b",)),
        ("b", 2, ("a",)),
        ("c", 4, ()),
        ("d", 5, ()),
        ("e", 6, ()),
        ("s", 7, ()),
    ]
    assert [f.noise_s for f in found] == [None, 0.1, 0.1, 0.1, 0.1, None, None]


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
