"""What-if: a measured point's traces replayed on another number of workers.

Usage::

    from scaling_lib.simulate.replay import what_if

    runs = [(trace, wall_s), ...]            # the repeats of one measured point
    cal = measure_constants([t for t, _ in runs], [w for _, w in runs])
    est = what_if(runs, cal, n_workers=16, threads_per_worker=1)
    est.wall_s, est.low, est.high, est.transfer_share, est.peak_memory_bytes

Every repeat's trace is simulated with the measured constants at their central value
at four phases of Dask's work-stealing pass (its periodic callback runs on the
scheduler's clock, so a graph meets the first pass anywhere in the interval, and when
stealing first fires can decide where stragglers run), and at both ends of the
constants' spread ("fast", "slow"). The figure is the median of the central replays plus
the client's overhead for that many tasks, and the interval spans every replay. So the
interval carries the run-to-run spread of the measured graph (task durations differ
between repeats), the scheduler's timing and the spread of the constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from scaling_lib.simulate.constants import SimConstants
from scaling_lib.simulate.engine import SimResult, simulate
from scaling_lib.simulate.from_trace import graph_from_trace

__all__ = ["WhatIf", "what_if", "what_if_graphs"]

SETTINGS = ("value", "fast", "slow")
# Where the first work-stealing pass falls, as fractions of its interval: the central
# replays are run at each (Dask's phase is that of the scheduler's clock, not the graph's).
STEAL_PHASES = (0.0, 0.25, 0.5, 0.75)


@dataclass(frozen=True)
class WhatIf:
    """The simulated figures of one target (worker count x threads)."""

    n_workers: int
    threads_per_worker: int
    wall_s: float
    low: float
    high: float
    busy_s: float  # median over the central replays, summed over workers
    transfer_share: float  # time with incoming transfers / (workers x wall)
    bytes_moved: float
    peak_memory_bytes: float  # the largest worker's peak
    n_tasks: int
    replays: int
    example: SimResult  # the central replay of the first repeat (its task stream)
    prefixes: tuple[str, ...] = ()  # task prefix by task index, for the example's stream

    def task_stream(self) -> list[dict[str, Any]]:
        """The example replay's tasks: prefix, worker, thread, start, stop (seconds)."""
        return [
            {"prefix": self.prefixes[i], "worker": w, "thread": th, "start": a, "stop": b}
            for i, w, th, a, b in self.example.task_stream
        ]

    def as_row(self) -> dict[str, Any]:
        skip = ("example", "prefixes")
        row = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}
        row["stolen"] = self.example.stolen
        return row


def what_if(
    runs: Sequence[tuple[Any, float]],
    constants: SimConstants,
    *,
    n_workers: int,
    threads_per_worker: int = 1,
    seed: int = 0,
    host_cores: int | None = None,
    host_gaps: tuple[tuple[float, float], ...] = (),
) -> WhatIf:
    """Replay ``runs`` ((trace, recorded wall) per repeat) on ``n_workers``
    (``host_cores``: all of them on one host with that many cores; None: a cluster)."""
    if not runs:
        raise ValueError("what_if needs at least one traced run")
    graphs = [graph_from_trace(trace, n_workers=n_workers) for trace, _ in runs]
    return what_if_graphs(
        graphs,
        constants,
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        seed=seed,
        host_cores=host_cores,
        host_gaps=host_gaps,
    )


def what_if_graphs(
    graphs: Sequence[Any],
    constants: SimConstants,
    *,
    n_workers: int,
    threads_per_worker: int = 1,
    seed: int = 0,
    host_cores: int | None = None,
    host_gaps: tuple[tuple[float, float], ...] = (),
) -> WhatIf:
    """As ``what_if``, for graphs already made (one per repeat, inputs placed on
    ``n_workers``): replayed traces, or graphs built or scaled to an unmeasured size."""
    if not graphs:
        raise ValueError("what_if needs at least one graph")
    central, every = [], []
    examples: list[SimResult] = []
    prefixes: tuple[str, ...] = ()
    counts, counts_central = [], []
    for graph in graphs:
        prefixes = prefixes or tuple(t.prefix for t in graph.tasks)
        n_tasks = sum(1 for t in graph.tasks if t.held_on is None)
        counts.append(n_tasks)
        client = constants.client_overhead(n_tasks)
        for at in SETTINGS:
            cluster = constants.cluster(n_workers, threads_per_worker, at=at, host_cores=host_cores)
            if host_gaps:
                cluster = replace(cluster, host_gaps=tuple(host_gaps))
            phases = STEAL_PHASES if at == "value" else STEAL_PHASES[:1]
            for phase in phases:
                at_phase = replace(cluster, steal_phase_s=phase * cluster.steal_interval_s)
                result = simulate(graph, at_phase, seed=seed)
                every.append(result.wall_s + client)
                if at == "value":
                    central.append(result)
                    counts_central.append(n_tasks)
            if not examples:
                examples.append(central[-len(STEAL_PHASES)])
    walls = [
        r.wall_s + constants.client_overhead(n)
        for r, n in zip(central, counts_central, strict=True)
    ]
    transfer = [
        sum(r.transfer_s) / (n_workers * r.wall_s) if r.wall_s > 0 else 0.0 for r in central
    ]
    return WhatIf(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        wall_s=float(np.median(walls)),
        low=float(min(every)),
        high=float(max(every)),
        busy_s=float(np.median([sum(r.busy_s) for r in central])),
        transfer_share=float(np.median(transfer)),
        bytes_moved=float(np.median([r.bytes_moved for r in central])),
        peak_memory_bytes=float(np.median([max(r.peak_memory_bytes) for r in central])),
        n_tasks=int(np.median(counts)),
        replays=len(every),
        example=examples[0],
        prefixes=prefixes,
    )
