"""Hand-computable schedules the simulator must reproduce exactly.

Usage::

    .venv/bin/pytest tests/unit/simulate -q
"""

from __future__ import annotations

import pytest

from scaling_lib.simulate import SimCluster, SimGraph, SimResult, SimTask, simulate
from scaling_lib.simulate.core import Simulation
from scaling_lib.simulate.network import FairShareNetwork, Flow
from scaling_lib.simulate.policies import rootish_tasks, steal_level

from ._build import graph, task

EXACT = 1e-9


def approx(x: float) -> object:
    return pytest.approx(x, rel=EXACT, abs=EXACT)


def quiet(n_workers: int, **kw: object) -> SimCluster:
    """A cluster whose transfers and overheads cost nothing unless asked."""
    base: dict = {"task_overhead_s": 0.0, "latency_s": 0.0}
    base.update(kw)
    return SimCluster(n_workers=n_workers, **base)


# 1. chain ------------------------------------------------------------------------------
CHAIN = graph([task("a", 1.0), task("b", 2.0, [0]), task("c", 3.0, [1])])


def test_chain_wall_is_sum_of_durations() -> None:
    assert simulate(CHAIN, quiet(1)).wall_s == approx(6.0)


def test_chain_wall_adds_task_overhead_per_task() -> None:
    r = simulate(CHAIN, quiet(1, task_overhead_s=0.1))
    assert r.wall_s == approx(6.3)
    assert r.busy_s == (approx(6.3),)
    assert r.idle_s == (approx(0.0),)
    assert [s[0] for s in r.task_stream] == [0, 1, 2]


def test_scheduler_overhead_delays_dependents_serially() -> None:
    # a: 0-1, its message done at 1.5; b: 1.5-3.5, message at 4; c: 4-7.
    r = simulate(CHAIN, quiet(1, scheduler_overhead_s=0.5))
    assert r.wall_s == approx(7.0)


# 2. fan-out / fan-in ------------------------------------------------------------------
FAN = graph(
    [task("root", 1.0)]
    + [task(f"m{i}", 1.0, [0], group="m") for i in range(4)]
    + [task("final", 1.0, [1, 2, 3, 4])]
)


def test_fan_out_fan_in_two_workers() -> None:
    # root on w0 (0-1). Every m has only w0 as candidate, so all four go there; the
    # stealing pass at t=1 moves m3 to idle w1 (w1 then stops being idle), the pass at
    # t=2 moves m2. m0,m1 on w0 and m3,m2 on w1 end at 3; final on w0 ends at 4.
    r = simulate(FAN, quiet(2))
    assert r.wall_s == approx(4.0)
    assert r.stolen == 2
    assert simulate(FAN, quiet(2, work_stealing=False)).wall_s == approx(6.0)


def test_fan_out_fan_in_four_workers() -> None:
    # At t=1 w0 is saturated and the pass moves m3, m2, m1 to w1, w2, w3 at once.
    r = simulate(FAN, quiet(4))
    assert r.wall_s == approx(3.0)
    assert r.stolen == 3
    workers = {i: w for i, w, *_ in r.task_stream}
    assert sorted(workers[i] for i in (1, 2, 3, 4)) == [0, 1, 2, 3]


def test_fan_with_tiny_bytes_and_huge_bandwidth_is_close_to_exact() -> None:
    tiny = graph(
        [task("root", 1.0, nbytes=1)]
        + [task(f"m{i}", 1.0, [0], nbytes=1, group="m") for i in range(4)]
        + [task("final", 1.0, [1, 2, 3, 4], nbytes=1)]
    )
    r = simulate(tiny, quiet(4, bandwidth_Bps=1e15))
    assert r.wall_s == pytest.approx(3.0, rel=1e-9)
    assert r.bytes_moved == 6 and r.n_transfers == 6


# 3. one transfer -----------------------------------------------------------------------
def test_one_transfer_costs_latency_plus_bytes_over_bandwidth() -> None:
    # B needs A (100 MB on w0) and E (150 MB on w1): fetching A is cheaper, so B runs
    # on w1 and A crosses at 50 MB/s after 10 ms: 2.01 s, then 1 s of compute.
    g = graph(
        [
            task("A", 0.0, nbytes=100_000_000, held_on=0),
            task("E", 0.0, nbytes=150_000_000, held_on=1),
            task("B", 1.0, [0, 1], nbytes=8),
        ]
    )
    r = simulate(g, quiet(2, bandwidth_Bps=50e6, latency_s=0.01))
    assert r.task_stream == ((2, 1, 0, approx(2.01), approx(3.01)),)
    assert r.wall_s == approx(3.01)
    assert r.bytes_moved == 100_000_000
    assert r.n_transfers == 1
    assert r.transfer_s == (0.0, approx(2.01))
    # w1 held E, received A, then produced B (final, kept); A and E are freed after B.
    assert r.peak_memory_bytes == (100_000_000, 250_000_008)


# 4. two transfers share the receiver's link -------------------------------------------
def test_two_transfers_into_one_worker_share_its_bandwidth() -> None:
    # C needs A (w0), B (w1) and D (1 GB on w2): it runs on w2 and pulls A and B at once,
    # each at 25 MB/s instead of 50: 0.01 + 100 MB / 25 MB/s = 4.01 s.
    g = graph(
        [
            task("A", 0.0, nbytes=100_000_000, held_on=0),
            task("B", 0.0, nbytes=100_000_000, held_on=1),
            task("D", 0.0, nbytes=1_000_000_000, held_on=2),
            task("C", 1.0, [0, 1, 2]),
        ]
    )
    r = simulate(g, quiet(3, bandwidth_Bps=50e6, latency_s=0.01))
    assert r.task_stream == ((3, 2, 0, approx(4.01), approx(5.01)),)
    assert r.n_transfers == 2
    assert r.bytes_moved == 200_000_000
    assert r.transfer_s == (0.0, 0.0, approx(4.01))


def test_max_min_fair_rates_progressive_filling() -> None:
    # Three flows leave w0 (a third each); w4 -> w1 shares w1's inbound link with one of
    # them and takes what that one leaves: two thirds.
    net = FairShareNetwork(5, 90.0)
    flows = [Flow(0, 1, 1e9, None), Flow(0, 2, 1e9, None), Flow(0, 3, 1e9, None)]
    for f in flows:
        net.add(f, 0.0)
    extra = Flow(4, 1, 1e9, None)
    net.add(extra, 0.0)
    assert net.pending
    assert len(net.settle(0.0)) == 4
    assert [f.rate for f in flows] == [approx(30.0)] * 3
    assert extra.rate == approx(60.0)
    assert net.link_load(0) == approx(90.0) and net.link_load(5 + 1) == approx(90.0)
    net.remove(flows[0], 1.0)
    changed = net.settle(1.0)
    assert set(changed) == {flows[1], flows[2], extra}
    assert extra.rate == approx(90.0)
    assert flows[1].remaining == approx(1e9 - 30.0)
    assert [flows[1].rate, flows[2].rate] == [approx(45.0)] * 2


# 5. root-task queuing ------------------------------------------------------------------
INDEPENDENT = graph([task(f"x{i}", 0.5, group="x") for i in range(100)])


def test_root_task_queuing_limits_processing_per_worker() -> None:
    cluster = quiet(2, threads_per_worker=2)
    sim = Simulation(INDEPENDENT, cluster)
    fields = sim.run()
    assert sim.max_processing == [3, 3]  # ceil(1.1 * 2)
    assert fields["wall_s"] == approx(100 / 4 * 0.5)
    assert fields["stolen"] == 0


def test_without_queuing_root_tasks_are_co_assigned_in_blocks() -> None:
    # Dask's co-assignment: floor(100 / 4 threads * 2 threads) = 50 tasks per worker.
    sim = Simulation(INDEPENDENT, quiet(2, threads_per_worker=2, worker_saturation=float("inf")))
    fields = sim.run()
    assert sim.max_processing == [50, 50]
    assert fields["wall_s"] == approx(12.5)


def test_rootish_follows_dask_thresholds() -> None:
    g = graph(
        [task(f"in{i}", 0.0, held_on=0, group="in") for i in range(5)]
        + [task(f"t{i}", 1.0, [i % 5], group="t") for i in range(10)]
        + [task(f"r{i}", 1.0, group="r") for i in range(5)]
    )
    flags = rootish_tasks(g, total_nthreads=2)
    # "t" depends on a group of 5 tasks (not < 5): not root-ish; "r" has 5 > 4 tasks.
    assert flags[5:15] == [False] * 10
    assert flags[15:] == [True] * 5
    assert rootish_tasks(g, total_nthreads=3)[15:] == [False] * 5


# 6. work stealing ----------------------------------------------------------------------
STEAL = graph(
    [task(f"in{i}", 0.0, held_on=0, group="in") for i in range(5)]
    + [task(f"t{i}", 1.0, [i % 5], group="t") for i in range(10)]
)


def test_without_stealing_the_holder_does_everything() -> None:
    r = simulate(STEAL, quiet(2, work_stealing=False))
    assert r.wall_s == approx(10.0)
    assert r.stolen == 0
    assert {w for _, w, *_ in r.task_stream} == {0}


def test_stealing_splits_the_load() -> None:
    # t=0: w1 steals 3 (it stays "unoccupied" until its occupancy reaches 1/2 the mean
    # per thread); t=2: one more; t=4: the last queued one. 5 tasks each, wall 5.
    r = simulate(STEAL, quiet(2))
    assert r.wall_s == approx(5.0)
    assert r.stolen == 5
    assert r.busy_s == (approx(5.0), approx(5.0))


def test_the_first_steal_waits_for_the_first_balancing_pass() -> None:
    # Passes fall at phase + k * interval on the scheduler's clock: w1 gets its first
    # task at the first pass, and nothing before.
    for phase in (0.0, 0.25, 0.5):
        r = simulate(STEAL, quiet(2, steal_interval_s=1.0, steal_phase_s=phase))
        first_on_w1 = min(start for _, w, _, start, _ in r.task_stream if w == 1)
        assert first_on_w1 == approx(phase)
    with pytest.raises(ValueError, match="steal_phase_s"):
        quiet(2, steal_interval_s=1.0, steal_phase_s=1.0)
    with pytest.raises(ValueError, match="steal_interval_s"):
        quiet(2, steal_interval_s=0.0)


def test_steal_levels_follow_dask_cost_multiplier() -> None:
    assert steal_level(1.0, -1, 100e6, "x") == 0  # no dependencies
    assert steal_level(1.0, 0, 100e6, "x") == 3  # round(log2(0.1) + 6)
    assert steal_level(0.001, 10**9, 100e6, "x") is None  # moving costs far too much
    assert steal_level(1.0, 0, 100e6, "rechunk-split") is None
    assert steal_level(0.0, 0, 100e6, "x") is None


# 7. memory -----------------------------------------------------------------------------
def test_chain_frees_inputs_after_their_consumer() -> None:
    g = graph(
        [
            task("a", 1.0, nbytes=100),
            task("b", 1.0, [0], nbytes=200),
            task("c", 1.0, [1], nbytes=300),
        ]
    )
    sim = Simulation(g, quiet(1))
    fields = sim.run()
    # a+b while b finishes, then b+c while c finishes; c (final) stays.
    assert fields["peak_memory_bytes"] == (500,)
    assert sim.mem == [300]


def test_fan_in_holds_every_input_until_the_reducer_finishes() -> None:
    g = graph(
        [task(f"x{i}", 1.0, nbytes=100, group="x") for i in range(4)]
        + [task("r", 1.0, [0, 1, 2, 3], nbytes=10)]
    )
    sim = Simulation(g, quiet(1))
    fields = sim.run()
    assert fields["peak_memory_bytes"] == (410,)
    assert sim.mem == [10]


def test_held_inputs_count_towards_memory() -> None:
    g = graph([task("in", 0.0, nbytes=1000, held_on=1), task("y", 1.0, [0], nbytes=1)])
    r = simulate(g, quiet(2))
    assert r.peak_memory_bytes == (0, 1001)
    assert r.n_transfers == 0


# 8. determinism and validation ---------------------------------------------------------
def test_same_seed_same_result_and_seed_only_breaks_ties() -> None:
    cluster = SimCluster(n_workers=3, threads_per_worker=2)
    a = simulate(STEAL, cluster, seed=7)
    assert a == simulate(STEAL, cluster, seed=7)
    assert isinstance(a, SimResult)
    r0 = simulate(FAN, quiet(4), seed=0)
    r1 = simulate(FAN, quiet(4), seed=1)
    assert r0.wall_s == r1.wall_s == approx(3.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_workers", 0),
        ("threads_per_worker", 1.5),
        ("bandwidth_Bps", 0.0),
        ("latency_s", -1.0),
        ("task_overhead_s", float("nan")),
        ("scheduler_overhead_s", -0.1),
        ("worker_saturation", 0.0),
        ("work_stealing", 1),
    ],
)
def test_cluster_validation_names_the_field(field: str, value: object) -> None:
    kw: dict = {"n_workers": 2, field: value}
    with pytest.raises(ValueError, match=field):
        SimCluster(**kw)


def _one(**kw: object) -> SimGraph:
    base: dict = {
        "key": "bad-key",
        "group": "g",
        "prefix": "g",
        "duration_s": 1.0,
        "output_bytes": 1,
        "dependencies": (),
        "priority": (1,),
    }
    base.update(kw)
    return SimGraph(
        (
            SimTask(
                key="ok",
                group="o",
                prefix="o",
                duration_s=1.0,
                output_bytes=1,
                dependencies=(),
                priority=(0,),
            ),
            SimTask(**base),
        )
    )


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"dependencies": (5,)}, "out of range"),
        ({"dependencies": (1,)}, "itself"),
        ({"duration_s": -1.0}, "negative duration"),
        ({"output_bytes": -3}, "negative output_bytes"),
        ({"priority": [1]}, "priority"),
    ],
)
def test_graph_validation_names_the_task(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"bad-key.*{message}|{message}.*bad-key"):
        _one(**kw).validate()


def test_cycle_is_reported_with_a_task_key() -> None:
    g = graph([task("a", 1.0, [1]), task("b", 1.0, [0])])
    with pytest.raises(ValueError, match="cycle"):
        g.validate()
    with pytest.raises(ValueError, match="cycle"):
        simulate(g, quiet(1))


def test_held_on_outside_the_cluster_is_rejected() -> None:
    g = graph([task("in", 0.0, held_on=3), task("y", 1.0, [0])])
    with pytest.raises(ValueError, match=r"'in'.*held_on=3"):
        simulate(g, quiet(2))


def test_graph_helpers() -> None:
    assert FAN.n_tasks == 6
    assert FAN.dependents[0] == (1, 2, 3, 4)
    assert FAN.dependents[5] == ()
    order = FAN.topological_order()
    assert order.index(0) < order.index(3) < order.index(5)
    spread = STEAL.spread_inputs(3)
    assert [t.held_on for t in spread.tasks[:5]] == [0, 1, 2, 0, 1]
    assert spread.tasks[5:] == STEAL.tasks[5:]
    with pytest.raises(ValueError, match="n_workers"):
        STEAL.spread_inputs(0)


def test_empty_and_all_held_graphs() -> None:
    assert simulate(SimGraph(()), quiet(2)).wall_s == 0.0
    r = simulate(graph([task("in", 0.0, nbytes=5, held_on=1)]), quiet(2))
    assert r.wall_s == 0.0 and r.task_stream == () and r.peak_memory_bytes == (0, 5)


def test_package_imports_only_stdlib_numpy_and_itself() -> None:
    """The engine is pure: stdlib, NumPy and its own modules. The study-level modules
    (a study's what-if and recommendation) also read the store and the fitted law, and
    never a cluster."""
    import ast
    import pathlib

    import scaling_lib.simulate as pkg

    allowed = {"__future__", "dataclasses", "functools", "heapq", "itertools", "math", "numpy"}
    allowed |= {"bisect", "collections", "typing", "scaling_lib.simulate"}
    study_level = allowed | {"contextlib", "json", "numbers", "pandas", "scaling_lib"}
    study_level |= {"hashlib", "os", "pathlib", "sys", "threading"}
    # The study-level modules: a study's what-if, its graph at another size, its
    # recommendation and the simulated option times kept beside its records.
    studies = {"what_if.py", "graph_source.py", "study_recommendation.py", "option_figures.py"}
    for path in pathlib.Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                module = node.module or ""
                top = "scaling_lib.simulate" if module.startswith("scaling_lib.simulate") else ""
                names = [top or module.split(".")[0]]
            else:
                continue
            ok = study_level if path.name in studies else allowed
            assert set(names) <= ok, (path.name, names)
            assert not {"dask", "distributed"} & set(names), (path.name, names)


def test_workers_sharing_a_hosts_cores_stretch_cpu_but_not_sleep() -> None:
    four = graph([task(f"t{i}", 1.0) for i in range(4)])
    base = {"n_workers": 4, "task_overhead_s": 0.0, "latency_s": 0.0, "message_latency_s": 0.0}
    # Four 1 s CPU tasks on 2 cores: the third and fourth start with 3 and 4 running,
    # so they take 1.5 s and 2 s (4 CPU-seconds on 2 cores end at 2 s).
    cpu = simulate(four, SimCluster(**base, host_cores=2, cpu_fraction=1.0))
    assert cpu.wall_s == pytest.approx(2.0)
    assert sum(cpu.busy_s) == pytest.approx(1.0 + 1.0 + 1.5 + 2.0)
    # Tasks that sleep (no CPU) do not contend; nor do workers with cores of their own.
    assert simulate(four, SimCluster(**base, host_cores=2, cpu_fraction=0.0)).wall_s == 1.0
    assert simulate(four, SimCluster(**base)).wall_s == 1.0
    with pytest.raises(ValueError, match="host_cores must be None or a positive int"):
        SimCluster(n_workers=2, host_cores=0)
    with pytest.raises(ValueError, match="cpu_fraction must be between 0 and 1"):
        SimCluster(n_workers=2, cpu_fraction=1.5)


def test_a_hosts_measured_gap_scales_the_round_trip_at_the_rate_tasks_finish() -> None:
    chain = graph([task("a", 1.0), task("b", 1.0, [0]), task("c", 1.0, [1])])
    base = {"n_workers": 1, "task_overhead_s": 0.1, "latency_s": 0.0, "cpu_fraction": 0.0}
    # A round trip twice as long at every rate: each task holds its thread 1 + 0.2 s.
    doubled = ((0.5, 2.0), (2.0, 2.0))
    assert simulate(chain, SimCluster(**base, host_cores=4, host_gaps=doubled)).wall_s == (
        pytest.approx(3.6)
    )
    # On a cluster of machines (no shared host) the host's gaps do not apply.
    assert simulate(chain, SimCluster(**base, host_gaps=doubled)).wall_s == pytest.approx(3.3)
    # Between measured rates the ratio is interpolated: one completion a second per
    # worker lies a third of the way from 0.5/s (ratio 1) to 2/s (ratio 3).
    sim = Simulation(chain, SimCluster(**base, host_cores=4, host_gaps=((2.0, 3.0), (0.5, 1.0))))
    sim.recent.extend([0.0, 1.0])
    assert sim._host_ratio() == pytest.approx(1.0 + 2.0 / 3.0)
    sim.recent.extend([1.1])  # faster than any measured rate: the last point holds
    assert sim._host_ratio() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="host_gaps must be"):
        SimCluster(n_workers=1, host_gaps=((1.0, 0.0),))
