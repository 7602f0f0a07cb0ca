"""Each bottleneck planted in a real small run is named first among the problems,
ranked by the time it costs: spilling, transfers, tiny tasks, a serial section and
GIL-bound threads (the last three in custom workloads: planted_bottlenecks.py)."""

from __future__ import annotations

import pytest

from scaling_lib import load_results, run_study
from scaling_lib.analysis.bottlenecks import diagnose

PLANTED = "tests.integration.planted_bottlenecks:"


def study(results_dir, **spec):
    base = {"repeats": 2, "warmup": 0, "baseline": False, "calibrate": False, "trace": False}
    run_study({**base, **spec}, results=results_dir, progress=False)
    df = load_results(results_dir, spec["study"])
    assert (df["status"] == "ok").all(), df[["status", "error_message"]]
    return df, {f.name: f for f in diagnose(df)}


def first_problem(found):
    """The finding diagnose ranks first among the problems (states and caveats come
    after them), checking that problems come ranked by the time they cost."""
    problems = [f for f in found.values() if f.kind == "problem"]  # diagnose's order
    lost = [f.seconds_lost for f in problems if f.seconds_lost is not None]
    assert lost == sorted(lost, reverse=True)
    assert problems[0].seconds_lost > 0 and problems[0].lost_how
    return problems[0]


def test_spill_is_diagnosed_when_inputs_outgrow_worker_memory(results_dir):
    # Two 5000 x 5000 float64 matrices (400 MB) on one worker limited to 600 MiB: Dask
    # keeps managed memory under 60% of the limit by spilling the rest to disk.
    df, found = study(
        results_dir,
        study="spill",
        workload="array",
        params={"chunks": 625},
        sizes=[5000],
        workers=[1],
        repeats=1,
        memory_limit="600MiB",
        timeout_s=180,
    )
    assert df["bytes_spilled"].iloc[0] > 50 * 2**20
    assert found["memory"].evidence["max_spilled_bytes"] > 50 * 2**20
    assert first_problem(found).name == "memory"


def test_communication_is_diagnosed_for_a_shuffle_join_on_two_workers(results_dir):
    _, found = study(
        results_dir,
        study="comm",
        workload="dataframe",
        params={"partitions": 8, "keys": 20000},
        sizes=[400_000],
        workers=[1, 2],
    )
    finding = found["communication"]
    shares = finding.evidence["transfer_share_by_workers"]
    assert shares["2"] > 0.02 and shares["1"] < 0.005
    assert finding.evidence["median_bytes_transferred"] > 1e6


def test_transfers_are_named_first_when_every_block_crosses_workers(results_dir):
    _, found = study(
        results_dir,
        study="transfers",
        workload=PLANTED + "transfer_bound",
        params={"megabytes": 40},
        sizes=[8],
        workers=[2],
    )
    finding = first_problem(found)
    assert finding.name == "communication"
    assert finding.evidence["median_bytes_transferred"] >= 8 * 40 * 2**20


@pytest.mark.filterwarnings("ignore::dask.array.PerformanceWarning")
def test_scheduler_overhead_is_diagnosed_for_tiny_chunks(results_dir):
    # 300 x 300 in 30 x 30 blocks: about a thousand tasks of microseconds each.
    df, found = study(
        results_dir,
        study="tiny",
        workload="array",
        params={"chunks": 30},
        sizes=[300],
        workers=[1],
    )
    finding = found["scheduler-overhead"]
    assert finding.evidence["median_task_seconds"] < 0.002
    assert df["task_count"].min() > 500
    assert first_problem(found) is finding


def test_a_serial_section_is_named_first_and_its_idle_time_not_counted_twice(results_dir):
    # 1.5 s on the client, then 12 tasks of 0.1 s: T(1) = 2.7 s, T(2) = 2.1 s, and more on
    # a loaded machine (one run here took 2.5 s on 1 worker for 2.2 planted). The serial
    # part dominates what the load adds, so the fraction stays well inside its bounds.
    _, found = study(
        results_dir,
        study="serial",
        workload=PLANTED + "serial_section",
        params={"serial_s": 1.5, "task_s": 0.1},
        sizes=[12],
        workers=[1, 2],
    )
    finding = first_problem(found)
    assert finding.name == "serial-section"
    assert 0.2 < finding.evidence["implied_serial_fraction"] < 0.9
    assert "idle-workers" not in found  # the serial section explains the idle threads


# 3 threads on a 2-core host: oversubscribed (said as a caveat), and no matter here,
# since Python code holding the GIL runs one thread at a time however many cores.
@pytest.mark.filterwarnings("ignore:.*oversubscribed:RuntimeWarning")
def test_gil_bound_threads_are_named_first(results_dir):
    _, found = study(
        results_dir,
        study="gil",
        workload=PLANTED + "gil_bound",
        params={"loop": 400_000},
        sizes=[24],
        workers=[1],
        threads_per_worker=3,
    )
    finding = first_problem(found)
    assert finding.name == "gil"
    assert finding.evidence["compute_share_threaded"] < 0.5
