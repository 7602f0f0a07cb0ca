"""The simulation state machine: scheduler decisions, workers, transfers, memory.

Usage (``engine.simulate`` is the public entry point; this class is for tests and tools
that need internals such as the most tasks ever processing on a worker)::

    sim = Simulation(graph, cluster, seed=0)
    fields = sim.run()                # dict of SimResult fields
    sim.max_processing                # per worker: most tasks processing at once
    sim.transfer_log                  # (source, destination, tasks, bytes, start) each

Everything is integer-indexed lists and dicts for speed: task ``i`` of the graph,
worker ``w`` in ``range(n_workers)``, a (task, worker) pair as the int ``i * W + w``.
Events are ``(time, class, seq, kind, a, b)`` on one heap; ``class`` puts the periodic
stealing pass after every other event of the same instant, ``seq`` keeps insertion order.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import math
from typing import Any

import numpy as np

from scaling_lib.simulate.data import DataMovement, Transfer
from scaling_lib.simulate.graph import SimGraph
from scaling_lib.simulate.host import HostSharing
from scaling_lib.simulate.network import FairShareNetwork
from scaling_lib.simulate.policies import rootish_tasks, slots_per_worker, steal_level
from scaling_lib.simulate.scheduler import SchedulerDecisions
from scaling_lib.simulate.states import (
    ASSIGNED,
    DONE,
    DONE_STATE,
    EXECUTING,
    FLOW,
    HELD,
    LATENCY,
    SCHED,
    TICK,
    WAITING,
)
from scaling_lib.simulate.stealing import balance

__all__ = ["Simulation"]


class Simulation(SchedulerDecisions, DataMovement, HostSharing):
    """One run of ``graph`` on ``cluster`` (a ``SimCluster``); see ``engine.simulate``."""

    def __init__(self, graph: SimGraph, cluster: Any, seed: int = 0) -> None:
        graph.validate()
        tasks = graph.tasks
        n = len(tasks)
        W = cluster.n_workers
        for i, t in enumerate(tasks):
            if t.held_on is not None and t.held_on >= W:
                raise ValueError(
                    f"task {i} ({t.key!r}): held_on={t.held_on} but the cluster has {W} workers"
                )
        self.W = W
        self.nt = cluster.threads_per_worker
        self.bw = float(cluster.bandwidth_Bps)
        self.latency = float(cluster.latency_s)
        self.task_overhead = float(cluster.task_overhead_s)
        self.sched_overhead = float(cluster.scheduler_overhead_s)
        self.msg_latency = float(cluster.message_latency_s)
        # Workers sharing one host's cores (validation on a small machine): Dask's
        # per-task CPU and the tasks' own CPU share ``host_cores`` (see _stretch).
        self.host_cores = cluster.host_cores
        self.cpu_fraction = float(cluster.cpu_fraction)
        self.host_gaps = sorted(cluster.host_gaps) if cluster.host_cores else []
        self.recent: collections.deque[float] = collections.deque(maxlen=max(W, 2))
        self.executing = 0
        computed = [float(t.duration_s) for t in tasks if t.held_on is None]
        self.mean_dur = sum(computed) / len(computed) if computed else 0.0
        self.queuing = not math.isinf(cluster.worker_saturation)
        self.cap = slots_per_worker(cluster.worker_saturation, self.nt) if self.queuing else 0
        self.stealing = bool(cluster.work_stealing) and W > 1
        self.steal_every = float(cluster.steal_interval_s)
        self.steal_phase = float(cluster.steal_phase_s)
        # Tie-breaking: seed 0 ranks workers by index, any other seed by a seeded
        # permutation. The rank is the last key of every worker choice, nothing else.
        if seed == 0:
            self.rank = list(range(W))
        else:
            perm = np.random.default_rng(seed).permutation(W)
            self.rank = [0] * W
            for pos, w in enumerate(perm.tolist()):
                self.rank[w] = pos
        self.by_rank = sorted(range(W), key=self.rank.__getitem__)

        # Static task data.
        self.dur = [float(t.duration_s) for t in tasks]
        self.occupied = [0.0] * n  # how long each task held its thread
        # Expected durations in integer nanoseconds: occupancy sums stay exact, so ties
        # between workers are real ties rather than float noise.
        # Dask estimates a task by its prefix's average duration (TaskPrefix), not by its
        # own: a straggler looks like its siblings to placement and stealing.
        if cluster.duration_estimate == "prefix":
            sums: dict[str, list[float]] = {}
            for t, d in zip(tasks, self.dur, strict=True):
                if t.held_on is None:
                    acc = sums.setdefault(t.prefix, [0.0, 0])
                    acc[0] += d
                    acc[1] += 1
            self.expected = [
                sums[t.prefix][0] / sums[t.prefix][1] if t.prefix in sums else d
                for t, d in zip(tasks, self.dur, strict=True)
            ]
        else:
            self.expected = list(self.dur)
        self.exp_ns = [round(d * 1e9) for d in self.expected]
        self.nbytes = [t.output_bytes for t in tasks]
        self.deps = [tuple(dict.fromkeys(t.dependencies)) for t in tasks]
        held = [t.held_on is not None for t in tasks]
        dependents = graph.dependents
        self.consumers = [tuple(j for j in dependents[i] if not held[j]) for i in range(n)]
        order = sorted(range(n), key=lambda i: (tasks[i].priority, i))
        self.prank = [0] * n
        for pos, i in enumerate(order):
            self.prank[i] = pos
        self.rootish = rootish_tasks(graph, W * self.nt)
        gids: dict[str, int] = {}
        self.gid = [gids.setdefault(t.group, len(gids)) for t in tasks]
        self.group_size = [0] * len(gids)
        self.undispatched = [0] * len(gids)
        for i in range(n):
            self.group_size[self.gid[i]] += 1
            if not held[i]:
                self.undispatched[self.gid[i]] += 1
        self.last_worker = [-1] * len(gids)
        self.last_left = [0] * len(gids)
        self.level: list[int | None] = [None] * n
        if self.stealing:
            for i, t in enumerate(tasks):
                dep_bytes = sum(self.nbytes[d] for d in self.deps[i]) if self.deps[i] else -1
                self.level[i] = steal_level(self.expected[i], dep_bytes, self.bw, t.prefix)

        # Dynamic task state.
        self.state = [HELD if h else WAITING for h in held]
        self.n_waiting = [
            0 if held[i] else sum(not held[d] for d in self.deps[i]) for i in range(n)
        ]
        self.assigned = [-1] * n
        self.missing = [0] * n
        self.token = [0] * n
        self.holders: list[set[int]] = [set() for _ in range(n)]
        # Consumers not finished that do not yet have this result where they run.
        self.unfetched = [len(c) for c in self.consumers]
        self.local_need: dict[int, int] = {}  # (dep, worker) -> unfinished consumers there
        self.waiting_on: dict[int, list[int]] = {}  # (dep, worker) -> tasks awaiting arrival
        self.needs: dict[int, int] = {}  # (dep, worker) -> processing tasks needing it there
        self.inflight: dict[int, Transfer] = {}  # (dep, worker) -> transfer bringing it

        # Scheduler-side worker state.
        self.nproc = [0] * W
        self.max_processing = [0] * W
        self.occ_ns = [0] * W
        self.need_bytes = [0] * W
        self.total_occ_ns = 0
        self.total_need_bytes = 0
        self.free_slots = self.cap * W
        self.slot_heap = [(0, self.rank[w], w) for w in range(W)]
        heapq.heapify(self.slot_heap)
        self.queue: list[tuple[int, int]] = []
        self.n_assigned = 0
        self.stealable: list[list[dict[int, None]]] = [[{} for _ in range(15)] for _ in range(W)]
        self.n_stealable = 0
        self.stolen = 0

        # Worker-side state.
        self.free_threads = [list(range(self.nt)) for _ in range(W)]
        self.ready: list[list[tuple[int, int, int]]] = [[] for _ in range(W)]
        self.mem = [0] * W
        self.peak = [0] * W
        self.busy = [0.0] * W
        self.n_in = [0] * W
        self.n_out = [0] * W
        self.in_since = [0.0] * W
        self.transfer_s = [0.0] * W
        self.bytes_moved = 0
        self.n_transfers = 0
        # (source, destination, task indices, bytes, start): for tests and reports.
        self.transfer_log: list[tuple[int, int, tuple[int, ...], int, float]] = []
        self.net = FairShareNetwork(W, self.bw)
        self.stream: list[tuple[int, int, int, float, float]] = []
        self.wall = 0.0
        # The run ends when its last task does (``compute`` returns then). Events after
        # that (a fetch for a task that was stolen meanwhile) still settle the state, but
        # count towards no time and no peak: ``end_t`` is the wall once it is known.
        self.left = sum(not h for h in held)
        self.end_t = math.inf

        for i, t in enumerate(tasks):
            if t.held_on is not None:
                self._add_replica(i, t.held_on)

        self.events: list[tuple] = []
        self.seq = itertools.count()
        self.sched_free_at = 0.0
        self.tick_pending = False
        self.last_tick_k = -1
        self.dirty = True

    # event loop
    def run(self) -> dict[str, Any]:
        """Simulate to the end; return the fields of a ``SimResult``."""
        ready = [
            i for i in range(len(self.state)) if self.state[i] == WAITING and not self.n_waiting[i]
        ]
        ready.sort(key=self.prank.__getitem__)
        for i in ready:
            self._dispatch(i, 0.0)
        self._after_event(0.0)
        events, net = self.events, self.net
        if net.pending:
            self._schedule_flows(net.settle(0.0), 0.0)
        while events:
            t, _, _, kind, a, b = heapq.heappop(events)
            if kind == DONE:
                self._task_done(a, b, t)
            elif kind == FLOW:
                if a.version != b:
                    continue  # scheduled under a rate that has since changed
                self._flow_done(a, t)
            elif kind == SCHED:
                self._scheduler_task_done(a, b, t)
            elif kind == LATENCY:
                self._start_flow(a, t)
            else:
                self._tick(a, t)
            if kind != TICK:
                self.dirty = True
                self._after_event(t)
            # Flows started or ended at this instant are re-shared once, after the last
            # event of the instant.
            if net.pending and (not events or events[0][0] > t):
                self._schedule_flows(net.settle(t), t)
        W, nt, wall = self.W, self.nt, self.wall
        return {
            "wall_s": wall,
            "busy_s": tuple(self.busy),
            "idle_s": tuple(nt * wall - b for b in self.busy),
            "transfer_s": tuple(self.transfer_s),
            "bytes_moved": self.bytes_moved,
            "n_transfers": self.n_transfers,
            "peak_memory_bytes": tuple(self.peak),
            "task_stream": tuple(self.stream),
            "stolen": self.stolen,
            "n_workers": W,
        }

    def _push(self, t: float, kind: int, a: Any = None, b: Any = None, cls: int = 0) -> None:
        heapq.heappush(self.events, (t, cls, next(self.seq), kind, a, b))

    def _after_event(self, t: float) -> None:
        # Dask balances every steal_every seconds on the scheduler's clock (passes at
        # phase + k * steal_every); a pass with no event since the previous one would see
        # the same state and do nothing, so a pass is only booked after a change.
        if self.stealing and not self.tick_pending and self.n_stealable:
            every, phase = self.steal_every, self.steal_phase
            k = max(math.ceil((t - phase) / every), 0)
            if phase + k * every < t:
                k += 1
            k = max(k, self.last_tick_k + 1)
            self.tick_pending = True
            self._push(phase + k * every, TICK, k, None, cls=1)

    def _tick(self, k: int, t: float) -> None:
        self.tick_pending = False
        self.last_tick_k = k
        if not self.dirty:
            return
        self.dirty = False
        if balance(self, t):
            self.dirty = True
            self._after_event(t)

    # assignment (scheduler to worker)
    def _assign(self, i: int, w: int, t: float) -> None:
        """Make ``i`` processing on ``w``; the worker starts fetching missing inputs now."""
        W = self.W
        self.assigned[i] = w
        self.state[i] = ASSIGNED
        self._set_nproc(w, 1)
        self.occ_ns[w] += self.exp_ns[i]
        self.total_occ_ns += self.exp_ns[i]
        lvl = self.level[i]
        if lvl is not None:
            self.stealable[w][lvl][i] = None
            self.n_stealable += 1
        holders, nb, local_need = self.holders, self.nbytes, self.local_need
        missing = 0
        by_src: dict[int, list[int]] = {}
        for d in self.deps[i]:
            key = d * W + w
            local_need[key] = local_need.get(key, 0) + 1
            hs = holders[d]
            if w in hs:
                self._dec_unfetched(d, 1)
                continue
            missing += 1
            wl = self.waiting_on.get(key)
            if wl is None:
                self.waiting_on[key] = [i]
            else:
                wl.append(i)
            c = self.needs.get(key, 0)
            if not c:
                self.need_bytes[w] += nb[d]
                self.total_need_bytes += nb[d]
            self.needs[key] = c + 1
            if key in self.inflight:
                continue
            # Fetch from the holder with the fewest outgoing transfers (rank breaks ties).
            n_out, rank = self.n_out, self.rank
            src = min(hs, key=lambda h: (n_out[h], rank[h]))
            by_src.setdefault(src, []).append(d)
        self.missing[i] = missing
        for src, ds in by_src.items():
            self._start_transfer(src, w, ds, t)
        if not missing:
            heapq.heappush(self.ready[w], (self.prank[i], i, self.token[i]))
            self._try_start(w, t)

    def unassign(self, i: int) -> int:
        """Take a not-yet-started task off its worker (work stealing); return the worker."""
        W = self.W
        v = self.assigned[i]
        self._set_nproc(v, -1)
        self.occ_ns[v] -= self.exp_ns[i]
        self.total_occ_ns -= self.exp_ns[i]
        lvl = self.level[i]
        if lvl is not None and self.stealable[v][lvl].pop(i, 0) is None:
            self.n_stealable -= 1
        self.token[i] += 1
        self.assigned[i] = -1
        self.state[i] = WAITING
        for d in self.deps[i]:
            key = d * W + v
            self.local_need[key] -= 1
            wl = self.waiting_on.get(key)
            if wl is not None and i in wl:
                wl.remove(i)
                if not wl:
                    del self.waiting_on[key]
                c = self.needs[key] - 1
                if c:
                    self.needs[key] = c
                else:
                    del self.needs[key]
                    self.need_bytes[v] -= self.nbytes[d]
                    self.total_need_bytes -= self.nbytes[d]
            else:
                self.unfetched[d] += 1  # it had the input; now it has to fetch it again
        for d in self.deps[i]:
            self._maybe_release(d, v)
        return v

    def reassign(self, i: int, w: int, t: float) -> None:
        """Give a stolen task to its thief."""
        self.stolen += 1
        self._assign(i, w, t)

    # worker side
    def _try_start(self, w: int, t: float) -> None:
        free, rh = self.free_threads[w], self.ready[w]
        token, state, assigned = self.token, self.state, self.assigned
        while free and rh:
            _, i, tok = heapq.heappop(rh)
            if tok != token[i] or state[i] != ASSIGNED or assigned[i] != w:
                continue  # stolen since it was queued here
            thread = heapq.heappop(free)
            state[i] = EXECUTING
            lvl = self.level[i]
            if lvl is not None and self.stealable[w][lvl].pop(i, 0) is None:
                self.n_stealable -= 1
            self.executing += 1
            if self.host_cores is None:
                stop = t + self.dur[i] + self.task_overhead  # summed in this order: exact
                self.occupied[i] = self.dur[i] + self.task_overhead
            else:
                k, f = self._stretch(), self.cpu_fraction
                o = self.task_overhead * self._host_ratio()
                self.occupied[i] = self.dur[i] * (1.0 - f + f * k) + o * k
                stop = t + self.occupied[i]
            self.stream.append((i, w, thread, t, stop))
            self._push(stop, DONE, i, thread)

    def _task_done(self, i: int, thread: int, t: float) -> None:
        w = self.assigned[i]
        self.state[i] = DONE_STATE
        heapq.heappush(self.free_threads[w], thread)
        self.executing -= 1
        self.busy[w] += self.occupied[i]
        if t > self.wall:
            self.wall = t
        self._add_replica(i, w)
        if self.host_gaps:
            self.recent.append(t)
        self.left -= 1
        if not self.left:
            self.end_t = t  # events come in time order: no task ends later
        W = self.W
        for d in self.deps[i]:
            self.local_need[d * W + w] -= 1
            self._maybe_release(d, w)
        self._try_start(w, t)
        if self.sched_overhead > 0.0 or self.msg_latency > 0.0:
            # The completion reaches the scheduler after the round trip (which also
            # covers the message that starts a released dependent), then queues behind
            # the messages before it: one serial scheduler.
            arrive = t + self.msg_latency * self._host_ratio()
            cost = self.sched_overhead * (self._stretch() if self.host_cores else 1.0)
            self.sched_free_at = max(arrive, self.sched_free_at) + cost
            self._push(self.sched_free_at, SCHED, i, w)
        else:
            self._scheduler_task_done(i, w, t)
