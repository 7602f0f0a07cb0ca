"""Each built-in workload on a real LocalCluster, measured, and checked against its baseline."""

from __future__ import annotations

import pytest

from scaling_lib import get_workload
from scaling_lib.run.measure import measure_baseline_run, measure_dask_run

CASES = [
    ("array", 240, {"chunks": 60}),
    ("dataframe", 40_000, {"partitions": 4, "keys": 50}),
    ("dataframe", 40_000, {"partitions": 4, "keys": 50, "source": "parquet"}),
    ("train", 4_000, {"features": 8, "steps": 3, "blocks": 4}),
]


@pytest.mark.parametrize(("name", "size", "params"), CASES)
def test_workload_measured_on_a_real_cluster_matches_its_baseline(two_workers, name, size, params):
    wl = get_workload(name)
    params = wl.check_params(params)
    client = two_workers.client
    inputs = wl.prepare(client, size, params)
    try:
        built = wl.build(client, inputs, size, params)
        m = measure_dask_run(client, wl, built, size, params, workers=two_workers.workers)
    finally:
        wl.release(inputs)

    assert m["wall_s"] > 0
    assert m["cpu_s"] > 0 and m["compute_s"] >= m["cpu_s"]
    assert m["task_count"] > 1
    assert m["peak_memory_bytes"] >= m["memory_before_bytes"] > 10 * 2**20
    assert m["work_items"] > 0 and m["throughput"] > 0

    local = wl.baseline_inputs(size, params)
    b = measure_baseline_run(wl, local, size, params)
    assert b["wall_s"] > 0 and b["peak_memory_bytes"] > 0
    assert b["work_items"] == m["work_items"]
    # The same inputs, so the same answer: the Dask run computes what the baseline does.
    assert m["check"] == pytest.approx(b["check"], rel=1e-9)


def test_dataframe_shuffle_moves_bytes_between_workers(two_workers):
    wl = get_workload("dataframe")
    params = wl.check_params({"partitions": 6, "keys": 200})
    inputs = wl.prepare(two_workers.client, 60_000, params)
    built = wl.build(two_workers.client, inputs, 60_000, params)
    m = measure_dask_run(two_workers.client, wl, built, 60_000, params)
    assert m["bytes_transferred"] > 100_000
    assert m["transfer_s"] > 0
