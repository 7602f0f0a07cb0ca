"""Max-min fair sharing of worker network links between concurrent flows.

Usage::

    net = FairShareNetwork(n_workers=4, bandwidth_Bps=100e6)
    f = Flow(src=0, dst=1, nbytes=10**8, payload=None)
    net.add(f, now)
    for flow in net.settle(now):          # flows whose rate changed, f included
        schedule(now + flow.remaining / flow.rate, flow, flow.version)
    ...
    net.remove(f, later)                  # when f's completion event fires
    for flow in net.settle(later):
        reschedule(flow)

Each worker has an outgoing and an incoming link of ``bandwidth_Bps`` (the model ESTEE
calls "max-min flow"). A flow uses its source's outgoing link and its destination's
incoming link; rates are the max-min fair allocation (progressive filling). ``add`` and
``remove`` only record the change; ``settle`` re-shares once for every change made at
that instant (a task fetching four inputs starts four flows at once).

A change only moves rates inside the connected component of links it touches, so only
that component is recomputed, exactly, while it holds at most ``exact_limit`` flows. A
larger component (an all-to-all shuffle couples every link) is re-shared locally: only
the flows on the changed links get new rates, each of their far links offering what
its other flows leave free. That keeps every link within capacity and the cost of a
flow event local to the links involved; the approximation is that a change is not
propagated beyond one hop (flows further away keep their rates until an event on their
own links).
"""

from __future__ import annotations

import heapq

__all__ = ["FairShareNetwork", "Flow"]


class Flow:
    """One transfer's bytes in flight. ``version`` grows at every rate change, so a stale
    completion event (scheduled under an older rate) can be recognised and dropped."""

    __slots__ = ("dst", "last_t", "payload", "rate", "remaining", "src", "version")

    def __init__(self, src: int, dst: int, nbytes: float, payload: object) -> None:
        self.src = src
        self.dst = dst
        self.remaining = float(nbytes)
        self.rate = 0.0
        self.last_t = 0.0
        self.version = 0
        self.payload = payload


class FairShareNetwork:
    """Flows over per-worker out/in links with equal capacity; max-min fair rates.

    Link ids: ``w`` is worker w's outgoing link, ``n_workers + w`` its incoming link.
    """

    def __init__(self, n_workers: int, bandwidth_Bps: float, exact_limit: int = 16) -> None:
        self.n_workers = n_workers
        self.bandwidth = float(bandwidth_Bps)
        self.exact_limit = exact_limit
        # Insertion-ordered dicts (used as ordered sets) keep every pass deterministic.
        self._links: list[dict[Flow, None]] = [{} for _ in range(2 * n_workers)]
        # Sum of the rates on each link, kept up to date as rates change.
        self._load = [0.0] * (2 * n_workers)
        # Links touched since the last settle.
        self._changed: dict[int, None] = {}

    @property
    def pending(self) -> bool:
        """Whether flows were added or removed since the last ``settle``."""
        return bool(self._changed)

    def link_load(self, link: int) -> float:
        """Sum of the rates of the flows on ``link`` (``w``: out of w, ``n + w``: into w)."""
        return self._load[link]

    def add(self, flow: Flow, now: float) -> None:
        """Start ``flow`` at ``now`` (rate 0 until ``settle``)."""
        flow.last_t = now
        flow.rate = 0.0
        for link in (flow.src, self.n_workers + flow.dst):
            self._links[link][flow] = None
            self._changed[link] = None

    def remove(self, flow: Flow, now: float) -> None:
        """End ``flow`` at ``now``."""
        for link in (flow.src, self.n_workers + flow.dst):
            flows = self._links[link]
            flows.pop(flow, None)
            # An empty link restarts from an exact 0 so rounding cannot build up.
            self._load[link] = self._load[link] - flow.rate if flows else 0.0
            if flows:
                self._changed[link] = None
        flow.remaining = 0.0
        flow.rate = 0.0

    def settle(self, now: float) -> list[Flow]:
        """Re-share after the changes since the last call; return the flows whose rate
        changed (their ``remaining`` brought up to ``now``)."""
        seeds = list(self._changed)
        self._changed.clear()
        if not seeds:
            return []
        links = self._links
        nw = self.n_workers
        bw = self.bandwidth
        # The connected component of the changed links, explored up to `exact_limit` flows.
        seen = dict.fromkeys(seeds)
        stack = list(seeds)
        flows: dict[Flow, None] = {}
        limit = self.exact_limit
        while stack and len(flows) <= limit:
            for f in links[stack.pop()]:
                if f not in flows:
                    flows[f] = None
                    for other in (f.src, nw + f.dst):
                        if other not in seen:
                            seen[other] = None
                            stack.append(other)
        if len(flows) <= limit:
            if not flows:
                return []
            cap = dict.fromkeys(seen, bw)
            count = {link: len(links[link]) for link in seen}
        else:
            # Large component: re-share only the flows on the changed links, against
            # what the other flows on their far links already use.
            flows = {}
            for link in seeds:
                flows.update(dict.fromkeys(links[link]))
            load = self._load
            cap = {}
            count = {}
            for f in flows:
                for link in (f.src, nw + f.dst):
                    if link in cap:
                        cap[link] += f.rate
                        count[link] += 1
                    else:
                        cap[link] = bw - load[link] + f.rate
                        count[link] = 1
            for link in seeds:
                cap[link] = bw  # every flow on a changed link is re-shared
        return self._fill(flows, cap, count, now)

    def _fill(
        self, flows: dict[Flow, None], cap: dict[int, float], count: dict[int, int], now: float
    ) -> list[Flow]:
        """Progressive filling of ``flows`` over the links in ``cap`` (the capacity each
        leaves for these flows) and ``count`` (how many of them use it): the link with
        the smallest fair share fixes the rate of its unfixed flows, and their other
        links lose that much capacity."""
        links = self._links
        nw = self.n_workers
        heap = [(cap[link] / n if cap[link] > 0.0 else 0.0, link) for link, n in count.items() if n]
        heapq.heapify(heap)
        new_rate: dict[Flow, float] = {}
        while heap:
            share, link = heapq.heappop(heap)
            n = count[link]
            c = cap[link]
            if n == 0 or share != (c / n if c > 0.0 else 0.0):
                continue  # stale entry: the link's share moved since it was pushed
            count[link] = 0
            for f in links[link]:
                if f in new_rate or f not in flows:
                    continue
                new_rate[f] = share
                other = nw + f.dst if link == f.src else f.src
                c = cap[other] - share
                cap[other] = c
                k = count[other] - 1
                count[other] = k
                if k:
                    heapq.heappush(heap, (c / k if c > 0.0 else 0.0, other))
        changed = []
        load = self._load
        for f, rate in new_rate.items():
            old = f.rate
            if rate != old:
                # Bring the flow up to `now` under its old rate before switching.
                if old > 0.0:
                    left = f.remaining - old * (now - f.last_t)
                    f.remaining = left if left > 0.0 else 0.0
                f.last_t = now
                f.rate = rate
                f.version += 1
                load[f.src] += rate - old
                load[nw + f.dst] += rate - old
                changed.append(f)
        return changed
