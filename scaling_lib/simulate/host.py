"""Workers sharing one host's cores: CPU phases stretched, round trips lengthened (a mixin).

Usage (mixed into ``core.Simulation``, which owns the state these methods read)::

    k = sim._stretch()        # how much a CPU phase slows down now (1: not at all)
    r = sim._host_ratio()     # how much longer Dask's round trip is now (host_gaps)

Only with ``SimCluster.host_cores`` set: a cluster of machines shares nothing.
"""

from __future__ import annotations

import bisect

__all__ = ["HostSharing"]


class HostSharing:
    """Methods of ``core.Simulation`` for workers on one host."""

    def _stretch(self) -> float:
        """How much CPU phases slow down on a host of ``host_cores`` cores while
        ``executing`` tasks run: each demands its CPU share of a task cycle (the
        compute's CPU fraction, Dask's per-task cost on the worker and on the
        scheduler); past the cores, processor sharing stretches every CPU phase by
        demand / cores. A mean-field estimate at the moment a task starts."""
        d, o = self.mean_dur, self.task_overhead
        cycle = d + o
        if cycle <= 0.0:
            return 1.0
        demand = self.executing * (self.cpu_fraction * d + o + self.sched_overhead) / cycle
        return max(1.0, demand / self.host_cores)

    def _host_ratio(self) -> float:
        """``host_gaps`` at the rate tasks now finish per worker: over the last ``W``
        completions, or from the mean task length before there are two."""
        gaps = self.host_gaps
        if not gaps:
            return 1.0
        recent = self.recent
        if len(recent) >= 2 and recent[-1] > recent[0]:
            rate = (len(recent) - 1) / (recent[-1] - recent[0]) / self.W
        else:
            cycle = self.mean_dur + self.task_overhead
            rate = 1.0 / cycle if cycle > 0 else gaps[-1][0]
        if rate <= gaps[0][0]:
            return gaps[0][1]
        if rate >= gaps[-1][0]:
            return gaps[-1][1]
        k = bisect.bisect_left(gaps, (rate, 0.0))
        (x0, y0), (x1, y1) = gaps[k - 1], gaps[k]
        return y0 + (y1 - y0) * (rate - x0) / (x1 - x0)
