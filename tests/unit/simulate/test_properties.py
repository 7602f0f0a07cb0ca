"""Invariants of the simulator on random DAGs and clusters (hypothesis).

Usage::

    .venv/bin/pytest tests/unit/simulate/test_properties.py -q
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaling_lib.simulate import SimCluster, SimGraph, SimTask
from scaling_lib.simulate.core import Simulation

TOL = 1e-9


@st.composite
def dags(draw: st.DrawFn) -> SimGraph:
    n = draw(st.integers(1, 25))
    n_groups = draw(st.integers(1, 4))
    tasks = []
    for i in range(n):
        held = i < 6 and draw(st.booleans()) and draw(st.booleans())
        deps = (
            ()
            if held or i == 0
            else tuple(sorted(draw(st.sets(st.integers(0, i - 1), max_size=min(i, 4)))))
        )
        g = f"g{draw(st.integers(0, n_groups - 1))}" if not held else "input"
        tasks.append(
            SimTask(
                key=f"('{g}', {i})",
                group=g,
                prefix=g,
                duration_s=0.0 if held else draw(st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0, 2.5])),
                output_bytes=draw(st.sampled_from([0, 1, 1000, 10**6, 5 * 10**7])),
                dependencies=deps,
                priority=(draw(st.integers(0, 3)), i),
                held_on=draw(st.integers(0, 5)) if held else None,
            )
        )
    return SimGraph(tuple(tasks))


clusters = st.builds(
    lambda n, t, bw, lat, ovh, sovh, sat, steal: SimCluster(
        n_workers=n,
        threads_per_worker=t,
        bandwidth_Bps=bw,
        latency_s=lat,
        task_overhead_s=ovh,
        scheduler_overhead_s=sovh,
        worker_saturation=sat,
        work_stealing=steal,
    ),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from([1e6, 100e6, 1e9]),
    st.sampled_from([0.0, 0.001, 0.05]),
    st.sampled_from([0.0, 0.0005, 0.01]),
    st.sampled_from([0.0, 0.001]),
    st.sampled_from([1.0, 1.1, 2.0, float("inf")]),
    st.booleans(),
)


# derandomize: the same 300 graphs every run, so a new kind of graph found by chance
# shows up in a deliberate run (drop it and raise max_examples), never as a red CI for
# unrelated work. 4,000 random draws passed when the transfer-after-the-end case below
# was fixed; before, that case failed within the first hundred.
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(dags(), clusters, st.integers(0, 3))
def test_random_dags_respect_the_invariants(g: SimGraph, cluster: SimCluster, seed: int) -> None:
    # Held inputs must live on a worker of this cluster.
    g = g.spread_inputs(cluster.n_workers)
    sim = Simulation(g, cluster, seed)
    r = sim.run()
    assert Simulation(g, cluster, seed).run() == r  # deterministic
    ovh = cluster.task_overhead_s
    tasks = g.tasks
    computed = [i for i, t in enumerate(tasks) if t.held_on is None]

    # Every computed task exactly once, after all its computed dependencies finished.
    stream = r["task_stream"]
    assert sorted(s[0] for s in stream) == computed
    stop = {s[0]: s[4] for s in stream}
    start = {s[0]: s[3] for s in stream}
    for i in computed:
        assert stop[i] == start[i] + tasks[i].duration_s + ovh
        for d in tasks[i].dependencies:
            if tasks[d].held_on is None:
                assert start[i] >= stop[d] - TOL

    # No thread runs two tasks at once.
    by_thread: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for _, w, th, a, b in stream:
        assert 0 <= th < cluster.threads_per_worker
        by_thread.setdefault((w, th), []).append((a, b))
    for spans in by_thread.values():
        spans.sort()
        for (_, b), (a2, _) in itertools.pairwise(spans):
            assert a2 >= b - TOL

    # Lower bounds: critical path and total work over total threads.
    longest = [0.0] * len(tasks)
    for i in g.topological_order():
        if tasks[i].held_on is None:
            before = max((longest[d] for d in tasks[i].dependencies), default=0.0)
            longest[i] = before + tasks[i].duration_s + ovh
    wall = r["wall_s"]
    assert wall >= max(longest, default=0.0) - TOL
    work = sum(tasks[i].duration_s + ovh for i in computed)
    threads = cluster.n_workers * cluster.threads_per_worker
    assert wall >= work / threads - TOL
    assert wall == (max(s[4] for s in stream) if stream else 0.0)

    # Accounting.
    log = sim.transfer_log
    assert r["bytes_moved"] == sum(x[3] for x in log)
    assert r["n_transfers"] == len(log)
    for w in range(cluster.n_workers):
        busy = sum(b - a for _, ww, _, a, b in stream if ww == w)
        assert abs(r["busy_s"][w] - busy) <= 1e-6
        assert r["idle_s"][w] >= -1e-6
        assert 0.0 <= r["transfer_s"][w] <= wall + TOL
    assert r["stolen"] >= 0 if cluster.work_stealing else r["stolen"] == 0

    # Memory at the end: only results nobody consumes are still held, once each where
    # they were made (held inputs included), and peaks bound what is left.
    final = [i for i in range(len(tasks)) if not sim.consumers[i]]
    assert sum(sim.mem) == sum(tasks[i].output_bytes for i in final)
    for i in range(len(tasks)):
        if sim.consumers[i]:
            assert not sim.holders[i]
    assert all(p >= m for p, m in zip(r["peak_memory_bytes"], sim.mem, strict=True))
    assert not sim.inflight and not sim.waiting_on and not sim.queue
    assert sum(sim.nproc) == 0 and sim.n_stealable == 0


def test_a_transfer_still_running_when_the_last_task_ends_counts_only_until_then() -> None:
    # Found by a random draw: the 2.5 s consumer of a 50 MB result is placed on another
    # worker, whose fetch starts (50 s at 1 MB/s); the first steal pass at t = 0 moves the
    # consumer next to its input and the run ends at 2.5 s, with the fetch still going.
    # The run is over when its last task is: time and peak memory stop there.
    def t(i: int, deps: tuple[int, ...] = (), dur: float = 0.0, nbytes: int = 0) -> SimTask:
        return SimTask(f"('g0', {i})", "g0", "g0", dur, nbytes, deps, (int(i == 7), i))

    tasks = [t(i) for i in range(19)]
    tasks[1] = t(1, (0,))
    tasks[2] = SimTask("('input', 2)", "input", "input", 0.0, 0, (), (0, 2), held_on=0)
    tasks[5] = t(5, nbytes=50_000_000)
    tasks[10], tasks[11], tasks[12] = t(10, (0, 1)), t(11, (0, 1)), t(12, (8,), dur=0.01)
    tasks[13] = t(13, (0, 1, 5), dur=2.5)
    cluster = SimCluster(
        n_workers=3,
        threads_per_worker=1,
        bandwidth_Bps=1e6,
        latency_s=0.0,
        task_overhead_s=0.0,
        scheduler_overhead_s=0.0,
        worker_saturation=1.1,
        work_stealing=True,
    )
    sim = Simulation(SimGraph(tuple(tasks)), cluster, 0)
    r = sim.run()
    assert r["wall_s"] == 2.5
    assert any(nbytes == 50_000_000 for *_, nbytes, _ in sim.transfer_log)  # the fetch ran
    assert all(0.0 <= s <= r["wall_s"] for s in r["transfer_s"])
    # The 50 MB copy that lands after the end is no peak of the run.
    assert max(r["peak_memory_bytes"]) == 50_000_000
