"""Turn a measured run's task trace into a graph the simulator replays.

Usage::

    from scaling_lib.simulate.from_trace import graph_from_trace

    graph = graph_from_trace(trace)                 # inputs where they were measured
    graph = graph_from_trace(trace, n_workers=16)   # inputs spread over 16 workers

Each traced task becomes a ``SimTask`` with its measured compute time, output bytes,
Dask priority and dependencies; each input (data persisted before the timer) becomes a
task held in memory from the start on the worker that held it. At another worker count
the inputs are spread round-robin in priority order: an assumption. Dask's queue hands a
persist's partitions to whichever worker asks first, which can be uneven (5 down to 3
of 32 on 8 workers here) and no trace of another worker count can foretell. Pure: a
``TaskTrace`` (pandas frames) in, a ``SimGraph`` out.
"""

from __future__ import annotations

import math
from typing import Any

from scaling_lib.simulate.graph import SimGraph, SimTask

__all__ = ["graph_from_trace", "trace_workers"]


def trace_workers(trace: Any) -> list[str]:
    """The measured run's workers, sorted: worker ``i`` of the replay is ``[i]``."""
    return sorted(trace.meta["workers"])


def graph_from_trace(trace: Any, *, n_workers: int | None = None) -> SimGraph:
    """The trace's graph; ``n_workers`` other than the measured count spreads the inputs."""
    workers = {w: i for i, w in enumerate(trace_workers(trace))}
    index: dict[str, int] = {}
    specs: list[tuple] = []
    for row in trace.inputs.itertuples(index=False):
        index[row.key] = len(specs)
        held = workers.get(row.worker, 0)
        specs.append((row.key, row.group, row.prefix, 0.0, _bytes(row.nbytes), (), row, held))
    for row in trace.tasks.itertuples(index=False):
        index[row.key] = len(specs)
        duration = _seconds(row.stop) - _seconds(row.start)
        specs.append(
            (row.key, row.group, row.prefix, duration, _bytes(row.nbytes), row.dependencies, row)
        )
    tasks = []
    for spec in specs:
        key, group, prefix, duration, nbytes, deps, row = spec[:7]
        held_on = spec[7] if len(spec) > 7 else None
        # A dependency outside the window (released before it) is left out: it was in
        # memory and cost nothing in this run.
        dep_idx = tuple(sorted({index[d] for d in deps or () if d in index}))
        tasks.append(
            SimTask(
                key=key,
                group=group or prefix or key,
                prefix=prefix or key,
                duration_s=max(duration, 0.0),
                output_bytes=nbytes,
                dependencies=dep_idx,
                priority=tuple(int(p) for p in (row.priority or ())) or (0,),
                held_on=held_on,
            )
        )
    graph = SimGraph(tuple(tasks))
    if n_workers is not None and n_workers != len(workers):
        graph = graph.spread_inputs(n_workers)
    return graph


def _seconds(value: Any) -> float:
    value = float(value) if value is not None else math.nan
    return 0.0 if math.isnan(value) else value


def _bytes(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
