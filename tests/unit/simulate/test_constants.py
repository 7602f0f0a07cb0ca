"""SimConstants and replay from hand-made traces: each constant recovers what was planted."""

from __future__ import annotations

import pandas as pd
import pytest

from scaling_lib.simulate import simulate
from scaling_lib.simulate.constants import Estimate, SimConstants, measure_constants
from scaling_lib.simulate.from_trace import graph_from_trace
from scaling_lib.simulate.replay import what_if
from scaling_lib.store.traces import TaskTrace

W0, W1 = "tcp://a:1", "tcp://b:2"


def _trace(tasks, transfers=(), inputs=(), *, cpu=0.0, submitted=0.0) -> TaskTrace:
    task_rows = [
        {
            "key": k,
            "group": k.rstrip("0123456789"),
            "prefix": k.rstrip("0123456789"),
            "dependencies": list(deps),
            "worker": w,
            "thread": 0,
            "runnable": runnable,
            "start": start,
            "stop": stop,
            "nbytes": nbytes,
            "priority": [i],
        }
        for i, (k, deps, w, runnable, start, stop, nbytes) in enumerate(tasks)
    ]
    transfer_rows = [
        {"source": s, "worker": d, "start": a, "stop": b, "nbytes": n, "keys": list(keys)}
        for s, d, a, b, n, keys in transfers
    ]
    input_rows = [
        {"key": k, "group": "in", "prefix": "in", "nbytes": n, "worker": w, "priority": [0]}
        for k, n, w in inputs
    ]
    meta = {
        "started": 0.0,
        "submitted": submitted,
        "ended": 100.0,
        "scheduler_cpu_s": cpu,
        "workers": {W0: 1, W1: 1},
        "truncated": False,
    }
    return TaskTrace(
        tasks=pd.DataFrame(task_rows),
        transfers=pd.DataFrame(
            transfer_rows, columns=["source", "worker", "start", "stop", "nbytes", "keys"]
        ),
        inputs=pd.DataFrame(
            input_rows, columns=["key", "group", "prefix", "nbytes", "worker", "priority"]
        ),
        meta=meta,
    )


def test_task_overhead_is_the_gap_between_back_to_back_tasks_on_one_thread():
    # Three independent tasks, all runnable at 0 on one thread: gaps of 2 ms and 4 ms.
    trace = _trace(
        [
            ("t0", (), W0, 0.0, 0.010, 1.010, 8),
            ("t1", (), W0, 0.0, 1.012, 2.012, 8),
            ("t2", (), W0, 0.0, 2.016, 3.016, 8),
        ],
        cpu=0.003,
    )
    cal = measure_constants([trace], walls=[3.116])
    assert cal.task_overhead_s.value == pytest.approx(0.003)
    assert cal.task_overhead_s.n == 2
    assert cal.scheduler_overhead_s.value == pytest.approx(0.001)  # 3 ms CPU / 3 tasks
    # No transfers: Dask's defaults, and they say so.
    assert cal.bandwidth_Bps.source == "default"
    assert cal.latency_s.value == 0.001
    # Wall 3.116 s against a traced span of 3.016 s: 0.1 s on the client.
    assert cal.client_overhead(3) == pytest.approx(0.1)


def test_round_trip_is_from_the_last_local_input_to_an_idle_thread_starting():
    trace = _trace(
        [
            ("a0", (), W0, 0.0, 0.0, 1.0, 8),
            ("b0", ("a0",), W0, 1.0005, 1.002, 2.0, 8),  # waited 2 ms after a0 on its thread
        ]
    )
    cal = measure_constants([trace])
    assert cal.message_latency_s.value == pytest.approx(0.002)


def test_bandwidth_counts_the_time_each_incoming_link_was_busy():
    # Two 100 MB transfers into W1 overlapping fully (0-2 s): the link moved 200 MB in
    # 2 s, so 100 MB/s (not 50 MB/s per transfer); one small transfer gives the latency.
    trace = _trace(
        [("x0", (), W0, 0.0, 0.0, 1.0, 100), ("y0", ("x0",), W1, 1.0, 3.0, 4.0, 8)],
        transfers=[
            (W0, W1, 0.0, 2.0, 100_000_000, ["p"]),
            (W0, W1, 0.0, 2.0, 100_000_000, ["q"]),
            (W0, W1, 5.0, 5.004, 1_000, ["x0"]),
        ],
    )
    cal = measure_constants([trace])
    assert cal.latency_s.value == pytest.approx(0.004)
    # busy 2.004 s, minus a latency per transfer (3 x 4 ms)
    assert cal.bandwidth_Bps.value == pytest.approx(200_001_000 / (2.004 - 0.012))


def test_estimates_carry_the_spread_of_per_run_medians_and_overrides_say_so():
    est = Estimate.from_runs([[1.0, 2.0, 3.0], [5.0]], default=9.0)
    assert (est.value, est.low, est.high, est.n, est.source) == (2.5, 2.0, 5.0, 4, "measured")
    assert Estimate.from_runs([[], []], default=9.0).source == "default"
    cal = measure_constants([_trace([("t0", (), W0, 0.0, 0.0, 1.0, 8)])])
    fast = cal.with_overrides(bandwidth_Bps=1.25e9)
    assert fast.bandwidth_Bps == Estimate(1.25e9, 1.25e9, 1.25e9, 0, "override")
    assert fast.cluster(4).bandwidth_Bps == 1.25e9
    with pytest.raises(ValueError, match="unknown simulator constant 'speed'"):
        cal.with_overrides(speed=2)
    assert SimConstants.from_dict(cal.to_dict()) == cal


def test_replay_of_a_trace_reproduces_its_schedule():
    # Two independent 1 s tasks measured on 2 workers, then a 0.5 s reducer on W0 that
    # fetched 1 MB from W1. Replayed with no overheads and the transfer's own figures.
    trace = _trace(
        [
            ("m0", (), W0, 0.0, 0.0, 1.0, 1_000_000),
            ("m1", (), W1, 0.0, 0.0, 1.0, 1_000_000),
            ("r0", ("m0", "m1"), W0, 1.0, 1.1, 1.6, 8),
        ],
        transfers=[(W1, W0, 1.0, 1.1, 1_000_000, ["m1"])],
    )
    graph = graph_from_trace(trace)
    assert [t.duration_s for t in graph.tasks] == [1.0, 1.0, 0.5]
    assert graph.tasks[2].dependencies == (0, 1)
    cal = measure_constants([trace]).with_overrides(
        task_overhead_s=0.0,
        message_latency_s=0.0,
        scheduler_overhead_s=0.0,
        latency_s=0.0,
        bandwidth_Bps=10e6,
    )
    result = simulate(graph, cal.cluster(2))
    assert result.wall_s == pytest.approx(1.6)
    assert result.bytes_moved == 1_000_000
    # On one worker nothing moves and the three tasks run back to back.
    one = what_if([(trace, 1.6)], cal, n_workers=1)
    assert one.wall_s == pytest.approx(2.5)
    assert one.bytes_moved == 0
    assert one.low == one.high == one.wall_s  # overridden constants have no spread
