"""Graphs at untraced sizes: per-prefix laws recover planted power laws exactly."""

from __future__ import annotations

import pandas as pd
import pytest

from scaling_lib.simulate import SimGraph, SimTask
from scaling_lib.simulate.scale import fit_prefix_laws, graph_at_size, scale_graph
from scaling_lib.store.traces import TaskTrace


def _trace(size: float) -> TaskTrace:
    """Two prefixes: "mul" takes 1e-9 * n^2 s and returns 8 n bytes; "add" 1e-3 s, 8 B."""
    rows = []
    for i in range(3):
        rows.append(("mul", f"('mul', {i})", 1e-9 * size**2, 8 * size, []))
    rows.append(("add", "('add', 0)", 1e-3, 8, [f"('mul', {i})" for i in range(3)]))
    tasks = pd.DataFrame(
        [
            {
                "key": key,
                "group": prefix,
                "prefix": prefix,
                "dependencies": deps,
                "worker": "w",
                "thread": 0,
                "runnable": 0.0,
                "start": 10.0,
                "stop": 10.0 + seconds,
                "nbytes": int(nbytes),
                "priority": [0],
            }
            for prefix, key, seconds, nbytes, deps in rows
        ]
    )
    inputs = pd.DataFrame(
        [{"key": "x", "group": "x", "prefix": "x", "nbytes": int(16 * size), "worker": "w",
          "priority": [0]}]
    )  # fmt: skip
    transfers = pd.DataFrame(columns=["source", "worker", "start", "stop", "nbytes", "keys"])
    return TaskTrace(tasks=tasks, transfers=transfers, inputs=inputs, meta={"workers": {"w": 1}})


def test_prefix_laws_recover_planted_power_laws():
    laws = fit_prefix_laws({1000: [_trace(1000)], 2000: [_trace(2000)], 4000: [_trace(4000)]})
    mul, add, inputs = laws.law("mul"), laws.law("add"), laws.law("x")
    assert mul.seconds_b == pytest.approx(2.0) and mul.duration(8000) == pytest.approx(0.064)
    assert mul.bytes_b == pytest.approx(1.0) and mul.nbytes(8000) == 64_000
    assert add.seconds_b == pytest.approx(0.0, abs=1e-9) and add.duration(8000) == pytest.approx(
        1e-3
    )
    assert inputs.nbytes(8000) == 128_000
    assert laws.guessed == set()
    # A prefix never traced borrows its parent's law ("mul-partial" -> "mul"), and is listed.
    assert laws.law("mul-partial") == mul
    assert laws.guessed == {"mul-partial"}


def test_one_traced_size_is_refused():
    with pytest.raises(ValueError, match="two sizes or more"):
        fit_prefix_laws({1000: [_trace(1000)]})


def test_graph_at_size_times_a_built_graph_and_spreads_its_inputs():
    laws = fit_prefix_laws({1000: [_trace(1000)], 2000: [_trace(2000)]})
    deps = {"x0": [], "x1": [], "mul-0": ["x0"], "mul-1": ["x1"], "add": ["mul-0", "mul-1"]}
    prefixes = {"x0": "x", "x1": "x", "mul-0": "mul", "mul-1": "mul", "add": "add"}
    priorities = {k: (0, i) for i, k in enumerate(deps)}
    graph = graph_at_size(deps, priorities, prefixes, {"x0", "x1"}, laws, size=3000, n_workers=2)
    by_key = {t.key: t for t in graph.tasks}
    assert by_key["mul-0"].duration_s == pytest.approx(9e-3)
    assert by_key["x0"].held_on == 0 and by_key["x1"].held_on == 1
    assert by_key["x0"].output_bytes == 48_000 and by_key["x0"].duration_s == 0
    assert len(by_key["add"].dependencies) == 2


def test_conserving_prefix_work_shares_each_prefix_total_among_its_tasks():
    """A graph whose shape changed (6 "mul" tasks where the traces had 3): each task takes
    its share of the prefix's total law, and a prefix no trace saw shares what the run's
    total leaves."""
    laws = fit_prefix_laws({1000: [_trace(1000)], 2000: [_trace(2000)]})
    mul = laws.law("mul")
    assert mul.total_b == pytest.approx(2.0) and mul.total(4000) == pytest.approx(3 * 16e-3)
    deps = {f"mul-{i}": [] for i in range(6)} | {"add": [f"mul-{i}" for i in range(6)]}
    deps["shuffle"] = ["add"]
    prefixes = {k: k.split("-")[0] for k in deps}
    priorities = {k: (0, i) for i, k in enumerate(deps)}
    graph = graph_at_size(
        deps, priorities, prefixes, set(), laws, size=4000, n_workers=2, conserve_prefix_work=True
    )
    by_key = {t.key: t for t in graph.tasks}
    assert by_key["mul-0"].duration_s == pytest.approx(3 * 16e-3 / 6)
    assert by_key["add"].duration_s == pytest.approx(1e-3)
    run_total = laws.total.duration(4000)
    assert by_key["shuffle"].duration_s == pytest.approx(max(run_total - 3 * 16e-3 - 1e-3, 1e-3))
    assert sum(t.duration_s for t in graph.tasks) >= run_total  # never less work than traced
    # Without it, each "mul" task takes the median law: twice the tasks, twice the work.
    median = graph_at_size(deps, priorities, prefixes, set(), laws, size=4000, n_workers=2)
    assert {t.key: t for t in median.tasks}["mul-0"].duration_s == pytest.approx(16e-3)


def test_scale_graph_stretches_each_task_by_its_prefix_law():
    laws = fit_prefix_laws({1000: [_trace(1000)], 2000: [_trace(2000)]})
    measured = SimGraph(
        (
            SimTask("m", "mul", "mul", 0.004, 16_000, (), (0,)),
            SimTask("a", "add", "add", 0.001, 8, (0,), (1,)),
        )
    )
    scaled = scale_graph(measured, laws, from_size=2000, to_size=4000, n_workers=4)
    assert scaled.tasks[0].duration_s == pytest.approx(0.016)  # n^2: 4x
    assert scaled.tasks[0].output_bytes == 32_000  # n: 2x
    assert scaled.tasks[1].duration_s == pytest.approx(0.001)
