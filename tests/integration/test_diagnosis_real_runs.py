"""The spill, communication and scheduler-overhead rules confirmed on real small runs."""

from __future__ import annotations

import pytest

from scaling_lib import load_results, run_study
from scaling_lib.analysis.bottlenecks import diagnose


def study(results_dir, **spec):
    base = {"repeats": 2, "warmup": 0, "baseline": False, "calibrate": False}
    run_study({**base, **spec}, results=results_dir, progress=False)
    df = load_results(results_dir, spec["study"])
    assert (df["status"] == "ok").all(), df[["status", "error_message"]]
    return df, {f.name: f for f in diagnose(df)}


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
    assert found["memory"].score >= 0.85


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
