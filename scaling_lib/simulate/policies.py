"""Dask's static scheduling rules, as pure functions of the graph and the cluster.

Usage::

    rootish = rootish_tasks(graph, total_nthreads=8)      # list[bool], one per task
    level = steal_level(compute_s=1.0, dep_bytes=10**6, bandwidth_Bps=100e6,
                        prefix="sum")                     # 0..14, or None: never stolen

Sources followed (distributed 2026.7.1): ``SchedulerState.is_rootish`` and
``WorkStealing.steal_time_ratio`` / ``cost_multipliers`` / ``LATENCY``, and the
"fast tasks" of ``distributed.scheduler.default-task-durations``.
"""

from __future__ import annotations

import math

from scaling_lib.simulate.graph import SimGraph

__all__ = [
    "FAST_PREFIXES",
    "ROOTISH_TG_DEPENDENCIES_THRESHOLD",
    "ROOTISH_TG_THRESHOLD",
    "STEAL_LATENCY_S",
    "STEAL_LEVELS",
    "rootish_tasks",
    "slots_per_worker",
    "steal_level",
]

# distributed.scheduler.rootish-taskgroup / rootish-taskgroup-dependencies (defaults 5).
ROOTISH_TG_THRESHOLD = 5
ROOTISH_TG_DEPENDENCIES_THRESHOLD = 5
# stealing.LATENCY: a steal takes several network bounces, so Dask charges 100 ms of
# latency to every steal candidate to keep small tasks where they are.
STEAL_LATENCY_S = 0.1
# len(WorkStealing.cost_multipliers): levels 0..14; a task above level 14 is never stolen.
STEAL_LEVELS = 15
# Prefixes whose default duration is <= 1 ms in distributed.yaml: Dask never steals them.
FAST_PREFIXES = frozenset({"rechunk-split", "split-shuffle", "split-taskshuffle", "split-stage"})


def rootish_tasks(graph: SimGraph, total_nthreads: int) -> list[bool]:
    """``is_rootish`` for every task: group larger than twice the cluster's threads, with
    fewer than 5 dependency groups that hold fewer than 5 tasks in total.

    Groups and their sizes count every task of the graph, held inputs included, as the
    scheduler's ``TaskGroup`` does.
    """
    tasks = graph.tasks
    size: dict[str, int] = {}
    dep_groups: dict[str, set[str]] = {}
    for t in tasks:
        size[t.group] = size.get(t.group, 0) + 1
        dg = dep_groups.setdefault(t.group, set())
        for d in t.dependencies:
            g = tasks[d].group
            if g != t.group:
                dg.add(g)
    verdict = {
        g: (
            size[g] > 2 * total_nthreads
            and len(dep_groups[g]) < ROOTISH_TG_THRESHOLD
            and sum(size[d] for d in dep_groups[g]) < ROOTISH_TG_DEPENDENCIES_THRESHOLD
        )
        for g in size
    }
    return [verdict[t.group] for t in tasks]


def slots_per_worker(worker_saturation: float, nthreads: int) -> int:
    """``max(ceil(saturation * nthreads), 1)``: processing tasks a worker may hold before
    queued root-ish tasks stop going to it (``_task_slots_available``)."""
    return max(math.ceil(worker_saturation * nthreads), 1)


def steal_level(compute_s: float, dep_bytes: int, bandwidth_Bps: float, prefix: str) -> int | None:
    """``WorkStealing.steal_time_ratio``'s level, or ``None`` when the task is never stolen.

    Level 0: no dependencies (free to move). Otherwise the cost multiplier is
    ``(dep_bytes / bandwidth + 0.1 s) / compute_s`` and the level
    ``round(log2(multiplier) + 6)`` clamped below at 1; level 15 and above (moving costs
    over ~360 times the compute) and zero-duration tasks are never stolen.
    ``dep_bytes`` < 0 means "no dependencies".
    """
    if prefix in FAST_PREFIXES:
        return None
    if dep_bytes < 0:
        return 0
    if compute_s <= 0.0:
        return None
    multiplier = (dep_bytes / bandwidth_Bps + STEAL_LATENCY_S) / compute_s
    level = round(math.log2(multiplier) + 6)
    if level < 1:
        return 1
    if level >= STEAL_LEVELS:
        return None
    return level
