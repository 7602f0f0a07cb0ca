"""Task traces: recorded by a scheduler plugin on a real LocalCluster, stored as Parquet
beside the records, read back by ``load_trace``; bad trace files are named and skipped."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from scaling_lib.run.sweep import run_study
from scaling_lib.simulate.what_if import what_if_study
from scaling_lib.store.records import ResultsStore
from scaling_lib.store.traces import (
    CorruptTraceWarning,
    TaskTrace,
    TraceError,
    load_trace,
    load_traces,
)
from tests.specs import TRACED_ARRAY

SPEC = dict(TRACED_ARRAY, study="traced")


@pytest.fixture(scope="module")
def traced_study(tmp_path_factory) -> str:
    results = str(tmp_path_factory.mktemp("traces") / "results")
    run_study(SPEC, results=results)
    return results


def test_every_run_has_a_trace_that_round_trips_through_the_store(traced_study):
    df = ResultsStore(traced_study).load_study("traced")
    assert (df["status"] == "ok").all()
    assert df["trace_file"].str.match(r"traces/[0-9a-f]+-r[01]-[0-9a-f]{8}\.parquet").all()
    point = _point(df, 1000, 2)
    for repeat in (0, 1):
        trace = load_trace("traced", point, repeat, results=traced_study)
        record = df[(df["point_id"] == point) & (df["repeat"] == repeat)].iloc[0]
        # Every task the span counted was traced, with its worker, thread and times.
        assert trace.n_tasks == record["task_count"]
        tasks = trace.tasks
        assert set(tasks["worker"]) <= set(trace.meta["workers"])
        assert len(trace.meta["workers"]) == 2
        assert (tasks["stop"] >= tasks["start"]).all()
        assert (tasks["start"] >= trace.meta["started"]).all()
        assert (tasks["nbytes"] >= 0).all()
        assert tasks["priority"].map(len).min() >= 1
        # Dependencies name tasks of the run or its persisted inputs (the two matrices).
        known = set(tasks["key"]) | set(trace.inputs["key"])
        deps = {d for ds in tasks["dependencies"] for d in ds}
        assert deps <= known
        assert set(trace.inputs["prefix"]) == {"gen"}
        assert trace.inputs["nbytes"].sum() == 2 * 1000 * 1000 * 8
        # A 4x4-block matrix product on two workers moves blocks: transfers carry bytes,
        # between the two workers, and their total is what the record measured.
        transfers = trace.transfers
        assert len(transfers) > 0
        assert (transfers["source"] != transfers["worker"]).all()
        assert transfers["nbytes"].sum() == record["bytes_transferred"]


def _point(df, size, workers):
    return df[(df["size"] == size) & (df["n_workers"] == workers)]["point_id"].iloc[0]


def test_trace_file_bytes_round_trip_exactly(traced_study):
    df = ResultsStore(traced_study).load_study("traced")
    trace = load_trace("traced", df["point_id"].iloc[0], 0, results=traced_study)
    again = TaskTrace.from_parquet(trace.to_parquet())
    assert again.meta == trace.meta
    for name in ("tasks", "transfers", "inputs"):
        left, right = getattr(trace, name), getattr(again, name)
        assert list(left.columns) == list(right.columns)
        assert len(left) == len(right)
    assert list(again.tasks["key"]) == list(trace.tasks["key"])
    assert [list(d) for d in again.tasks["dependencies"]] == [
        list(d) for d in trace.tasks["dependencies"]
    ]


def test_corrupt_or_missing_trace_is_named_and_the_rest_still_loads(traced_study, tmp_path):
    import shutil

    results = str(tmp_path / "copy")
    shutil.copytree(traced_study, results)
    df = ResultsStore(results).load_study("traced")
    point = _point(df, 1000, 2)
    files = df[df["point_id"] == point].sort_values("repeat")["trace_file"].tolist()
    Path(results, "traced", files[0]).write_bytes(b"not parquet")
    Path(results, "traced", files[1]).unlink()

    with pytest.raises(TraceError, match=f"trace file .*{files[0]} is corrupt"):
        load_trace("traced", point, 0, results=results)
    with pytest.raises(TraceError, match=f"trace file .*{files[1]} is missing"):
        load_trace("traced", point, 1, results=results)
    with pytest.warns(CorruptTraceWarning) as caught:
        traces = load_traces(df, results=results)
    assert len(caught) == 2 and len(traces) == len(df) - 2
    assert all(point != p for p, _ in traces)
    # The records themselves are untouched, and the study still simulates from the
    # traces left (the 1,000 x 2 point lost both: the largest size at 1 worker is used).
    assert len(ResultsStore(results).load_study("traced")) == len(df)
    with pytest.warns(CorruptTraceWarning):
        sim = what_if_study("traced", results, workers=[4])
    assert sim.source_workers == 1 and sim.size == 1000


def test_trace_false_records_no_trace_and_load_trace_says_why(results_dir):
    spec = dict(SPEC, study="untraced", repeats=1, trace=False, sizes=[500])
    run_study(spec, results=results_dir)
    df = ResultsStore(results_dir).load_study("untraced")
    assert df["trace_file"].isna().all()
    assert not Path(results_dir, "untraced", "traces").exists()
    with pytest.raises(TraceError, match="measured without a trace"):
        load_trace("untraced", df["point_id"].iloc[0], 0, results=results_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_traces(df, results=results_dir) == {}


def test_simulate_cli_replays_the_traced_graph_on_more_workers(traced_study, cli, cli_env):
    import json
    import subprocess

    out = subprocess.run(
        [*cli, "what-if", "traced", "--results", traced_study, "--workers", "1,2,8"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "replay of the measured graph at 2 worker(s)" in out.stdout
    assert "8 x 1" in out.stdout and "Traceback" not in out.stderr

    out = subprocess.run(
        [
            *cli,
            "simulate",
            "traced",
            "--results",
            traced_study,
            "--workers",
            "1,8",
            "--json",
            "--bandwidth",
            "10Gbit/s",
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    sim = json.loads(out.stdout)
    assert [t["n_workers"] for t in sim["targets"]] == [1, 8]
    assert sim["constants"]["bandwidth_Bps"] == {
        "value": 1.25e9,
        "low": 1.25e9,
        "high": 1.25e9,
        "n": 0,
        "source": "override",
    }
    for target in sim["targets"]:
        assert 0 < target["simulated_low"] <= target["simulated_s"] <= target["simulated_high"]
        # each repeat: the central value at four stealing phases, and both ends
        assert target["replays"] == 2 * (4 + 2)
    one, eight = sim["targets"]
    assert one["bytes_moved"] == 0 and one["transfer_share"] == 0
    assert eight["bytes_moved"] > 0
    # The inputs (two 1000 x 1000 float64 matrices) are spread over 8 workers.
    assert eight["peak_memory_per_worker_bytes"] < one["peak_memory_per_worker_bytes"]
    # Measured once, kept beside the records.
    assert Path(traced_study, "traced", "what-if-constants.json").exists()


def test_simulate_without_traces_says_how_to_get_them(results_dir, cli, cli_env):
    import subprocess

    run_study(dict(SPEC, study="bare", repeats=1, trace=False, sizes=[500]), results=results_dir)
    out = subprocess.run(
        [*cli, "what-if", "bare", "--results", results_dir],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("scaling-lib: error: study 'bare' has no task traces")
    assert "remove `trace: false` from its spec" in out.stderr
    assert "Traceback" not in out.stderr
    for bad, field in (("--workers", "--workers: 'two'"), ("--bandwidth", "--bandwidth: 'fast'")):
        value = "two" if bad == "--workers" else "fast"
        out = subprocess.run(
            [*cli, "what-if", "bare", "--results", results_dir, bad, value],
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=120,
        )
        assert out.returncode == 2 and field in out.stderr, out.stderr


def test_recommend_simulates_beyond_the_measured_workers_and_says_so(
    traced_study, cli, cli_env, tmp_path
):
    import json
    import subprocess

    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "instances:\n"
        "  - {name: small, vcpus: 2, memory_gib: 8, on_demand_hour: 0.1, network_gbps: 0.78}\n"
        "  - {name: big, vcpus: 8, memory_gib: 32, on_demand_hour: 0.4, network_gbps: 3.125}\n"
    )
    out = subprocess.run(
        [
            *cli,
            "recommend",
            "traced",
            "--results",
            traced_study,
            "--size",
            "2000",
            "--json",
            "--catalog",
            str(catalog),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    by_source = {}
    for option in rec["options"]:
        by_source.setdefault(option["source"], set()).add(option["workers"])
    # Up to the 2 workers measured, the fitted law; beyond, the simulation.
    assert by_source["fitted"] == {2}  # one small instance
    assert min(by_source["simulated"]) == 4  # two small instances
    simulated = [o for o in rec["options"] if o["source"] == "simulated"]
    assert all(0 < o["seconds_low"] <= o["seconds"] <= o["seconds_high"] for o in simulated)
    assumption = next(a for a in rec["assumptions"] if a.startswith("beyond 2 workers"))
    # 2,000 was never traced: the array workload builds its graph at that size.
    assert "graph built at size 2000 by the workload" in assumption


def test_inputs_are_recorded_where_they_were_held_before_any_fetch():
    # Eight blocks persisted alternately on two workers; every consumer needs one block
    # from each, so half its inputs are fetched. Each input must be recorded on the
    # worker that held it at the start, not on whichever holder sorts first once a
    # copy has been fetched (which put 64 of 72 array blocks on one worker).
    import dask
    import numpy as np
    from distributed import Client, LocalCluster

    from scaling_lib.run.trace_capture import RunTracer

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = sorted(client.scheduler_info()["workers"])
        blocks = [
            client.submit(np.full, 50_000, float(i), workers=[workers[i % 2]], pure=False)
            for i in range(8)
        ]
        client.gather(blocks)
        held = {b.key: workers[i % 2] for i, b in enumerate(blocks)}
        pairs = [
            dask.delayed(np.add)(blocks[i], blocks[(i + 1) % 8], dask_key_name=f"pair-{i}")
            for i in range(8)
        ]
        tracer = RunTracer(client, workers)
        tracer.begin()
        client.compute(pairs, sync=True)
        trace = tracer.end()
    recorded = dict(zip(trace.inputs["key"], trace.inputs["worker"], strict=True))
    assert recorded == {str(k): w for k, w in held.items()}
    assert len(trace.transfers) > 0  # inputs did move, so the old reading would be wrong


@pytest.mark.parametrize(
    ("workload", "params", "size"),
    [
        ("array", {"chunks": 250}, 1000),
        ("dataframe", {"partitions": 4, "keys": 500, "shuffle": "tasks"}, 200_000),
    ],
)
def test_a_workloads_graph_at_a_size_is_the_graph_a_run_at_that_size_traces(
    workload, params, size, tmp_path
):
    # What `simulate --size` builds for an untraced size must be the graph Dask runs:
    # the same tasks by prefix, over the same persisted inputs.
    from collections import Counter

    from scaling_lib.workloads import get_workload
    from scaling_lib.workloads.graph_at import graph_parts

    spec = dict(
        TRACED_ARRAY, study=f"graph-{workload}", workload=workload, params=params, sizes=[size],
        workers=[2], repeats=1,
    )  # fmt: skip
    results = str(tmp_path / "results")
    run_study(spec, results=results)
    df = ResultsStore(results).load_study(spec["study"])
    row = df[df["status"] == "ok"].iloc[0]
    trace = load_trace(spec["study"], row["point_id"], int(row["repeat"]), results=results)
    wl = get_workload(workload)
    parts = graph_parts(wl.task_graph(size, wl.check_params(params)))
    built = Counter(p for k, p in parts["prefixes"].items() if k not in parts["inputs"])
    # `compute` adds one finalize task (a few ms at the end) that the built graph lacks.
    ran = Counter(p for p in trace.tasks["prefix"] if not p.startswith("finalize-"))
    assert built == ran
    assert len(parts["inputs"]) == len(trace.inputs)
