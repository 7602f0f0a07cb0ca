"""From a spec to the points to measure, minus the points already in the store.

Usage::

    points = plan_points(spec)                         # every point of the grid
    todo = pending_points(spec, store)                 # what a re-run still has to do

A point is one configuration (size x workers, or a size's single-process baseline);
its repeats are measured together. ``point_id`` hashes the whole configuration, so
a point is recognised across runs whatever order the grid is walked in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psutil
from dask.utils import format_bytes

from scaling_lib.errors import SpecError
from scaling_lib.spec.study import StudySpec
from scaling_lib.store.records import ResultsStore
from scaling_lib.workloads import Workload

__all__ = ["Point", "check_sizes_fit", "input_bytes", "pending_points", "plan_points"]


@dataclass(frozen=True)
class Point:
    """One configuration to measure: ``runner`` is "dask" or "baseline"."""

    study: str
    workload: str
    params: Mapping[str, Any]
    size: float
    n_workers: int
    threads_per_worker: int
    memory_limit: int
    cluster_kind: str
    runner: str = "dask"

    @property
    def point_id(self) -> str:
        config = {
            "study": self.study,
            "workload": self.workload,
            "params": dict(self.params),
            "size": self.size,
            "n_workers": self.n_workers,
            "threads_per_worker": self.threads_per_worker,
            "memory_limit": self.memory_limit,
            "cluster_kind": self.cluster_kind,
            "runner": self.runner,
        }
        text = json.dumps(config, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_points(spec: StudySpec, *, has_baseline: bool = True) -> list[Point]:
    """Baselines first (one per size), then sizes x workers, grouped by worker count."""
    common = {
        "study": spec.study,
        "workload": spec.workload,
        "params": dict(spec.params),
        "threads_per_worker": spec.threads_per_worker,
        "memory_limit": spec.memory_limit,
    }
    points = []
    if spec.baseline and has_baseline:
        points += [
            Point(**common, size=s, n_workers=0, cluster_kind="none", runner="baseline")
            for s in spec.sizes
        ]
        # threads/memory do not apply to the baseline, but keep them so its id is stable.
    points += [
        Point(**common, size=s, n_workers=w, cluster_kind=spec.cluster.kind)
        for w in spec.workers
        for s in spec.sizes
    ]
    return points


def pending_points(
    spec: StudySpec, store: ResultsStore, *, has_baseline: bool = True, retry_failed: bool = False
) -> tuple[list[Point], int]:
    """The points still to measure, and how many were skipped as already recorded."""
    points = plan_points(spec, has_baseline=has_baseline)
    if not store.has_study(spec.study):
        return points, 0
    done = store.point_ids(spec.study, statuses={"ok"} if retry_failed else None)
    todo = [p for p in points if p.point_id not in done]
    return todo, len(points) - len(todo)


def check_sizes_fit(spec: StudySpec, workload: Workload, log: Callable[[str], None] | None) -> None:
    """Refuse sizes whose inputs exceed this host's memory (local clusters only)."""
    if spec.cluster.backend not in ("local", "cuda"):
        return
    host_memory = psutil.virtual_memory().total
    for i, size in enumerate(spec.sizes):
        needed = workload.input_bytes(size, spec.params)
        if needed is None:
            continue
        if needed > host_memory:
            raise SpecError(
                f"sizes[{i}]",
                f"{size:g} {workload.size_unit} needs about {format_bytes(needed)} of input, "
                f"more than this host's {format_bytes(host_memory)} of memory",
            )
        cluster_memory = min(spec.workers) * spec.memory_limit
        if needed > 0.5 * cluster_memory and log is not None:
            log(
                f"note: size {size:g} needs about {format_bytes(needed)} of input, over half of "
                f"{min(spec.workers)} x {format_bytes(spec.memory_limit)}: expect spilling"
            )


def input_bytes(workload: Workload, size: float, params: Mapping[str, Any]) -> int | None:
    try:
        value = workload.input_bytes(size, params)
    except Exception:  # a custom workload's accounting failing must not lose the run
        return None
    return int(value) if value is not None and value > 0 else None
