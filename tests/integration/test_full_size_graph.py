"""The what-if at the full dataset times the graph the user's function builds there.

A dataset of 16 row groups read with ``split_row_groups``: pilots at a quarter and a
half (4 and 8 partitions, where Dask's groupby tree-reduces), and the full dataset (16
partitions, where the same groupby becomes a shuffle) measured with traces on a real
cluster. The graph captured at the full dataset, without reading anything, must have
the traced full run's tasks, prefix by prefix.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scaling_lib import load_results, run_study
from scaling_lib.simulate.what_if import WhatIfModel, what_if_study
from scaling_lib.store.records import ResultsStore
from scaling_lib.store.traces import load_traces
from scaling_lib.workloads import get_workload
from scaling_lib.workloads.capture import GraphNotCaptured, capture_graph
from scaling_lib.workloads.dataset import DatasetWorkload
from scaling_lib.workloads.graph_at import graph_parts

GROUPS, GROUP_ROWS = 16, 2000


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders")
    rng = np.random.default_rng(1)
    n = GROUPS * GROUP_ROWS
    table = pa.table({"user": rng.integers(0, 5000, n), "amount": rng.random(n)})
    pq.write_table(table, folder / "orders.parquet", row_group_size=GROUP_ROWS)
    results = str(tmp_path_factory.mktemp("results"))
    base = {
        "workload": "tests.dataset_workloads:amount_by_user",
        "dataset": {
            "path": str(folder / "orders.parquet"),
            "options": {"split_row_groups": True},
        },
        "workers": [2],
        "repeats": 1,
        "warmup": 0,
        "calibrate": False,
        "baseline": False,
        "timeout_s": 120,
    }
    for study, sizes in (("pilot", [0.25, 0.5]), ("full", [1.0])):
        summary = run_study(
            {**base, "study": study, "sizes": sizes}, results=results, progress=False
        )
        assert set(summary.statuses) == {"ok"}
    return results


def _traced_prefixes(results: str, study: str) -> Counter:
    """The task prefixes of the study's run at its largest size."""
    df = load_results(results, study)
    df = df[df["size"] == df["size"].max()]
    (trace,) = load_traces(df, results=ResultsStore(results)).values()
    return Counter(trace.tasks["prefix"])


def test_the_graph_captured_at_the_full_dataset_is_the_traced_full_run(measured):
    df = load_results(measured, "pilot")
    workload = WhatIfModel("pilot", measured, size=1.0)
    assert workload.method.startswith("graph built at size 1 by the workload"), workload.method

    from scaling_lib.simulate.graph_source import _dataset_workload

    inner = get_workload("tests.dataset_workloads:amount_by_user")
    dataset_workload = _dataset_workload(inner, df.iloc[-1])
    assert isinstance(dataset_workload, DatasetWorkload)
    parts = graph_parts(dataset_workload.task_graph(1.0, {}))
    captured = Counter(parts["prefixes"].values())
    full = _traced_prefixes(measured, "full")
    assert captured == full
    # The pilots tree-reduce; at 16 partitions the groupby shuffles: a graph of another
    # shape, which stretching the sample's graph could never give.
    pilot = _traced_prefixes(measured, "pilot")
    assert any("shuffle" in p for p in full) and not any("shuffle" in p for p in pilot)

    # It names the tasks no pilot ran, and the smallest sample whose graph has them:
    # the measurement that would time the shuffle.
    unseen = workload.new_shape["unseen_tasks"]
    assert set(unseen) == set(full) - set(pilot) and unseen["shuffle-transfer"] > 0
    first = workload.new_shape["first_size"]
    assert 0.5 < first <= 1.0
    below = first - 1 / GROUPS  # one partition fewer
    prefixes = set(graph_parts(dataset_workload.task_graph(first, {}))["prefixes"].values())
    assert set(unseen) <= prefixes
    fewer = set(graph_parts(dataset_workload.task_graph(below, {}))["prefixes"].values())
    assert not set(unseen) <= fewer

    # The what-if at the full dataset simulates that graph, every task of it.
    sim = what_if_study("pilot", measured, workers=[2], size=1.0)
    assert sim.to_dict()["new_shape"]["first_size"] == first
    assert sim.method == workload.method
    assert len(sim.task_stream(2)) == sum(full.values())
    assert (
        sim.rows[0]["simulated_low"] <= sim.rows[0]["simulated_s"] <= sim.rows[0]["simulated_high"]
    )


def test_a_function_that_needs_computed_values_is_not_captured():
    import dask.dataframe as dd
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame({"a": range(10)}), npartitions=2)

    def imperative(client, ddf):
        future = client.submit(sum, [1, 2])
        return future.result()

    with pytest.raises(GraphNotCaptured, match=r"client\.submit"):
        capture_graph(imperative, frame, {})

    def nothing(client, ddf):
        return 3

    with pytest.raises(GraphNotCaptured, match="computed nothing"):
        capture_graph(nothing, frame, {})

    def total(client, ddf):
        return ddf.a.sum().compute()

    graph = capture_graph(total, frame, {})
    assert len(graph) >= 3  # two partitions' sums and their combination, nothing computed
