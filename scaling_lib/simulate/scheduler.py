"""Scheduler-side decisions: occupancy, worker choice, root-task queue (a mixin).

Usage (mixed into ``core.Simulation``, which owns the state these methods read)::

    sim.occupancy(w)          # Dask's WorkerState.occupancy
    sim.objective(i, w)       # worker_objective + seeded rank
    sim._dispatch(i, now)     # _transition_waiting_processing

Follows distributed 2026.7.1 ``scheduler.py``: ``decide_worker``,
``decide_worker_non_rootish``, ``decide_worker_rootish_queuing_enabled`` /
``_disabled``, ``worker_objective``, ``is_unoccupied``, ``_task_slots_available`` and
``stimulus_queue_slots_maybe_opened``.
"""

from __future__ import annotations

import heapq
import math

from scaling_lib.simulate.states import QUEUED

__all__ = ["SchedulerDecisions"]


class SchedulerDecisions:
    """Methods of ``core.Simulation`` that model the scheduler's choices."""

    def occupancy(self, w: int) -> float:
        """Dask's ``WorkerState.occupancy``: expected compute of processing tasks plus
        bytes still to fetch for them over the bandwidth."""
        return self.occ_ns[w] * 1e-9 + self.need_bytes[w] / self.bw

    def total_occupancy(self) -> float:
        return self.total_occ_ns * 1e-9 + self.total_need_bytes / self.bw

    def is_unoccupied(self, w: int, occ: float, nproc: int, total_occ: float) -> bool:
        """``SchedulerState.is_unoccupied``: fewer tasks than threads, or less than half
        the average occupancy per thread."""
        nt = self.nt
        return nproc < nt or occ < nt * (total_occ / (nt * self.W)) / 2

    def comm_cost(self, i: int, w: int) -> float:
        """``get_comm_cost``: bytes of ``i``'s dependencies not held on ``w`` / bandwidth."""
        nb = self.nbytes
        return sum(nb[d] for d in self.deps[i] if w not in self.holders[d]) / self.bw

    def objective(self, i: int, w: int) -> tuple[float, int, int]:
        """``worker_objective`` plus the seeded rank as the final tie-break."""
        return (self.occupancy(w) / self.nt + self.comm_cost(i, w), self.mem[w], self.rank[w])

    def _set_nproc(self, w: int, delta: int) -> None:
        old = self.nproc[w]
        new = self.nproc[w] = old + delta
        if new > self.max_processing[w]:
            self.max_processing[w] = new
        if self.queuing:
            cap = self.cap
            self.free_slots += max(0, cap - new) - max(0, cap - old)
            heapq.heappush(self.slot_heap, (new, self.rank[w], w))

    def _least_busy(self) -> int:
        """``decide_worker_rootish_queuing_enabled``: the worker with the fewest processing
        tasks among those with a free slot, or -1 (the task stays queued)."""
        if self.free_slots <= 0:
            return -1
        heap, nproc = self.slot_heap, self.nproc
        while heap:
            np_, _, w = heap[0]
            if np_ != nproc[w]:
                heapq.heappop(heap)
                continue
            return w if np_ < self.cap else -1
        return -1

    def _idle_pool(self) -> list[int]:
        total = self.total_occupancy()
        pool = [
            w
            for w in self.by_rank
            if self.is_unoccupied(w, self.occupancy(w), self.nproc[w], total)
        ]
        return pool or self.by_rank

    def _dispatch(self, i: int, t: float) -> None:
        """``_transition_waiting_processing``: pick a worker for a ready task, or queue it."""
        if self.rootish[i]:
            if self.queuing:
                w = self._least_busy()
                if w < 0:
                    self.state[i] = QUEUED
                    heapq.heappush(self.queue, (self.prank[i], i))
                    return
            else:
                w = self._rootish_no_queue(i)
        elif self.deps[i]:
            w = self._decide_by_objective(i)
        else:
            w = self._decide_no_deps()
        self.n_assigned += 1
        self._assign(i, w, t)

    def _decide_by_objective(self, i: int) -> int:
        """``decide_worker``: candidates are the holders of any dependency; minimise
        ``worker_objective`` (start time, then bytes held), then the seeded rank."""
        nb, holders = self.nbytes, self.holders
        local: dict[int, int] = {}
        total = 0
        for d in self.deps[i]:
            b = nb[d]
            total += b
            for h in holders[d]:
                local[h] = local.get(h, 0) + b
        if len(local) == 1:
            return next(iter(local))
        bw, nt, mem, rank = self.bw, self.nt, self.mem, self.rank
        best = -1
        best_key = None
        for w, lb in local.items():
            key = (self.occupancy(w) / nt + (total - lb) / bw, mem[w], rank[w])
            if best_key is None or key < best_key:
                best, best_key = w, key
        return best

    def _decide_no_deps(self) -> int:
        """``decide_worker_non_rootish`` for a task with no dependencies in a small group:
        least occupied idle worker, round-robin among empty ones (a plain round-robin from
        20 workers on, as Dask does)."""
        pool = self._idle_pool()
        n = len(pool)
        if n < 20:
            occ = self.occupancy
            w = min(pool, key=occ)
            if occ(w) == 0:
                start = self.n_assigned % n
                for k in range(n):
                    wk = pool[(k + start) % n]
                    if occ(wk) == 0:
                        return wk
            return w
        return pool[self.n_assigned % n]

    def _rootish_no_queue(self, i: int) -> int:
        """``decide_worker_rootish_queuing_disabled``: keep a group's consecutive tasks on
        one worker for its share of the group, then move to the best idle worker."""
        g = self.gid[i]
        lw = self.last_worker[g]
        if lw >= 0 and self.last_left[g] > 0:
            w = lw
        else:
            w = min(self._idle_pool(), key=lambda x: self.objective(i, x))
            self.last_left[g] = math.floor(self.group_size[g] / (self.W * self.nt) * self.nt)
        self.last_worker[g] = w if self.undispatched[g] > 1 else -1
        self.last_left[g] -= 1
        self.undispatched[g] -= 1
        return w

    def _drain_queue(self, t: float) -> None:
        """``stimulus_queue_slots_maybe_opened``: fill free slots from the queue head."""
        queue = self.queue
        while queue and self.free_slots > 0:
            w = self._least_busy()
            if w < 0:
                return
            _, i = heapq.heappop(queue)
            self.n_assigned += 1
            self._assign(i, w, t)

    def _scheduler_task_done(self, i: int, w: int, t: float) -> None:
        """The scheduler handles a completion: free the slot, release dependents."""
        self._set_nproc(w, -1)
        self.occ_ns[w] -= self.exp_ns[i]
        self.total_occ_ns -= self.exp_ns[i]
        n_waiting = self.n_waiting
        ready = []
        for j in self.consumers[i]:
            n_waiting[j] -= 1
            if not n_waiting[j]:
                ready.append(j)
        if len(ready) > 1:
            ready.sort(key=self.prank.__getitem__)
        for j in ready:
            self._dispatch(j, t)
        if self.queue:
            self._drain_queue(t)
