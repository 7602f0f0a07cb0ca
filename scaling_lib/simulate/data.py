"""Worker data: results held in memory and transfers between workers (a mixin).

Usage (mixed into ``core.Simulation``, which owns the state these methods read)::

    sim._add_replica(i, w)                   # w now holds task i's result
    sim._start_transfer(src, dst, [d], now)  # dst fetches d from src

Memory rule: a copy of a result is freed when its consumers on that worker have
finished and no consumer anywhere still has to fetch it; results nobody consumes stay.
A transfer is ``latency_s`` then its bytes through ``network.FairShareNetwork``.
"""

from __future__ import annotations

import heapq
import math

from scaling_lib.simulate.network import Flow
from scaling_lib.simulate.states import FLOW, LATENCY

__all__ = ["DataMovement", "Transfer"]


class Transfer:
    """Inputs one worker fetches from another in one request."""

    __slots__ = ("dst", "keys", "nbytes", "src")

    def __init__(self, src: int, dst: int, keys: list[int], nbytes: int) -> None:
        self.src = src
        self.dst = dst
        self.keys = keys
        self.nbytes = nbytes


class DataMovement:
    """Methods of ``core.Simulation`` for memory and transfers."""

    # memory
    def _add_replica(self, i: int, w: int) -> None:
        self.holders[i].add(w)
        m = self.mem[w] + self.nbytes[i]
        self.mem[w] = m
        if m > self.peak[w] and self.end_t == math.inf:
            self.peak[w] = m

    def _dec_unfetched(self, d: int, k: int) -> None:
        self.unfetched[d] -= k
        if not self.unfetched[d]:
            for h in sorted(self.holders[d]):
                self._maybe_release(d, h)

    def _maybe_release(self, d: int, w: int) -> None:
        """Free ``d`` on ``w`` once no consumer there is unfinished and no consumer
        anywhere still has to fetch it. Results nobody consumes stay (final results)."""
        if self.unfetched[d] or not self.consumers[d]:
            return
        key = d * self.W + w
        if self.local_need.get(key, 0):
            return
        hs = self.holders[d]
        if w in hs:
            hs.discard(w)
            self.mem[w] -= self.nbytes[d]
            self.local_need.pop(key, None)

    # transfers
    def _start_transfer(self, src: int, dst: int, keys: list[int], t: float) -> None:
        nbytes = sum(self.nbytes[d] for d in keys)
        tr = Transfer(src, dst, keys, nbytes)
        W = self.W
        for d in keys:
            self.inflight[d * W + dst] = tr
        self.n_transfers += 1
        self.bytes_moved += nbytes
        self.transfer_log.append((src, dst, tuple(keys), nbytes, t))
        if not self.n_in[dst]:
            self.in_since[dst] = t
        self.n_in[dst] += 1
        self.n_out[src] += 1
        if self.latency > 0.0:
            # On one shared host a transfer's fixed cost is CPU (serialising, the event
            # loops): it stretches like the rest.
            stretch = self._stretch() if self.host_cores else 1.0
            self._push(t + self.latency * stretch, LATENCY, tr)
        else:
            self._start_flow(tr, t)

    def _start_flow(self, tr: Transfer, t: float) -> None:
        if tr.nbytes <= 0:
            self._arrive(tr, t)
            return
        self.net.add(Flow(tr.src, tr.dst, tr.nbytes, tr), t)

    def _flow_done(self, flow: Flow, t: float) -> None:
        self.net.remove(flow, t)
        self._arrive(flow.payload, t)

    def _schedule_flows(self, flows: list[Flow], t: float) -> None:
        for f in flows:
            # A rate of 0 (a far link left with no spare capacity) waits for the next
            # change on its links, which gives it a rate and a completion event.
            if f.rate > 0.0:
                self._push(t + f.remaining / f.rate, FLOW, f, f.version)

    def _arrive(self, tr: Transfer, t: float) -> None:
        src, dst, W = tr.src, tr.dst, self.W
        self.n_in[dst] -= 1
        if not self.n_in[dst]:
            # Only the part before the run's end counts (see ``core.Simulation.end_t``).
            end = self.end_t
            self.transfer_s[dst] += min(t, end) - min(self.in_since[dst], end)
        self.n_out[src] -= 1
        missing, rh, token, prank = self.missing, self.ready[dst], self.token, self.prank
        for d in tr.keys:
            key = d * W + dst
            del self.inflight[key]
            self._add_replica(d, dst)
            if self.needs.pop(key, 0):
                self.need_bytes[dst] -= self.nbytes[d]
                self.total_need_bytes -= self.nbytes[d]
            wl = self.waiting_on.pop(key, None)
            if wl:
                for j in wl:
                    missing[j] -= 1
                    if not missing[j]:
                        heapq.heappush(rh, (prank[j], j, token[j]))
                self._dec_unfetched(d, len(wl))
            self._maybe_release(d, dst)
        self._try_start(dst, t)
