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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaling_lib.spec.study import StudySpec
from scaling_lib.store.records import ResultsStore

__all__ = ["Point", "pending_points", "plan_points"]


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
