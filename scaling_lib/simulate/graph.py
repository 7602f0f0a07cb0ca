"""Task graphs for the discrete-event simulator.

Usage::

    from scaling_lib.simulate import SimGraph, SimTask

    a = SimTask("('a', 0)", "a", "a", 1.0, 8, (), (0,))
    b = SimTask("('b', 0)", "b", "b", 2.0, 8, (0,), (1,))
    graph = SimGraph((a, b))
    graph.validate()              # ValueError naming the task on a bad graph
    graph.dependents[0]           # (1,)
    graph.spread_inputs(4)        # persisted inputs spread round-robin over 4 workers

A graph is plain data: task indices are positions in ``SimGraph.tasks`` and every
dependency is an index into that tuple. Nothing here knows about Dask; whoever reads a
trace turns keys, groups and priorities into these fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

__all__ = ["SimGraph", "SimTask"]


@dataclass(frozen=True, slots=True)
class SimTask:
    """One task of a graph.

    ``group`` is Dask's task-group name (used by ``is_rootish``), ``prefix`` the
    task-prefix name (reporting, and Dask's list of "fast" prefixes that are never
    stolen). ``priority`` is Dask's priority tuple: lower runs first. ``held_on`` marks
    data already in memory on that worker when the run starts (persisted inputs); such
    tasks are never computed.
    """

    key: str
    group: str
    prefix: str
    duration_s: float
    output_bytes: int
    dependencies: tuple[int, ...]
    priority: tuple
    held_on: int | None = None


@dataclass(frozen=True)
class SimGraph:
    """An immutable task graph: ``tasks[i].dependencies`` index into ``tasks``."""

    tasks: tuple[SimTask, ...]

    def __post_init__(self) -> None:
        # Accept any sequence but store a tuple, so the graph stays hashable-by-content.
        if not isinstance(self.tasks, tuple):
            object.__setattr__(self, "tasks", tuple(self.tasks))

    @property
    def n_tasks(self) -> int:
        """Number of tasks, held inputs included."""
        return len(self.tasks)

    @cached_property
    def dependents(self) -> tuple[tuple[int, ...], ...]:
        """``dependents[i]``: indices of the tasks that depend on task ``i`` (ascending)."""
        out: list[list[int]] = [[] for _ in self.tasks]
        for i, task in enumerate(self.tasks):
            for d in dict.fromkeys(task.dependencies):
                out[d].append(i)
        return tuple(tuple(x) for x in out)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad task.

        Checks: dependency indices in range and not the task itself, finite non-negative
        durations, non-negative integer output sizes, tuple priorities, non-negative
        ``held_on``, and no cycles.
        """
        n = len(self.tasks)
        for i, t in enumerate(self.tasks):
            name = f"task {i} ({t.key!r})"
            if not isinstance(t.duration_s, (int, float)) or not math.isfinite(t.duration_s):
                raise ValueError(
                    f"{name}: duration_s must be a finite number, got {t.duration_s!r}"
                )
            if t.duration_s < 0:
                raise ValueError(f"{name}: negative duration_s {t.duration_s!r}")
            if isinstance(t.output_bytes, bool) or not isinstance(t.output_bytes, int):
                raise ValueError(f"{name}: output_bytes must be an int, got {t.output_bytes!r}")
            if t.output_bytes < 0:
                raise ValueError(f"{name}: negative output_bytes {t.output_bytes!r}")
            if not isinstance(t.priority, tuple):
                raise ValueError(f"{name}: priority must be a tuple, got {t.priority!r}")
            if t.held_on is not None and (
                isinstance(t.held_on, bool) or not isinstance(t.held_on, int) or t.held_on < 0
            ):
                raise ValueError(f"{name}: held_on must be a worker index >= 0, got {t.held_on!r}")
            for d in t.dependencies:
                if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < n:
                    raise ValueError(f"{name}: dependency index {d!r} out of range [0, {n})")
                if d == i:
                    raise ValueError(f"{name}: depends on itself")
        self._check_acyclic()

    def topological_order(self) -> tuple[int, ...]:
        """Task indices with every dependency before its dependents (deterministic Kahn order).

        Raises ``ValueError`` naming a task on a cycle.
        """
        return self._check_acyclic()

    def _check_acyclic(self) -> tuple[int, ...]:
        deps = [tuple(dict.fromkeys(t.dependencies)) for t in self.tasks]
        indeg = [len(d) for d in deps]
        dependents = self.dependents
        stack = [i for i in range(len(deps) - 1, -1, -1) if indeg[i] == 0]
        order: list[int] = []
        while stack:
            i = stack.pop()
            order.append(i)
            for j in reversed(dependents[i]):
                indeg[j] -= 1
                if indeg[j] == 0:
                    stack.append(j)
        if len(order) != len(deps):
            bad = next(i for i, k in enumerate(indeg) if k > 0)
            raise ValueError(f"task {bad} ({self.tasks[bad].key!r}) is on a dependency cycle")
        return tuple(order)

    def spread_inputs(self, n_workers: int) -> SimGraph:
        """The same graph with held inputs reassigned round-robin over ``n_workers``.

        Within each task group (one persisted collection), held tasks are taken in
        priority order (index breaks ties) and the k-th goes to worker
        ``k % n_workers``: an even spread, assumed (Dask's own placement of a persist
        depends on which worker asks first; two collections persisted one after the
        other both start at worker 0 here).
        """
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers must be a positive int, got {n_workers!r}")
        held = sorted(
            (i for i, t in enumerate(self.tasks) if t.held_on is not None),
            key=lambda i: (self.tasks[i].priority, i),
        )
        tasks = list(self.tasks)
        seen: dict[str, int] = {}
        for i in held:
            k = seen.get(tasks[i].group, 0)
            seen[tasks[i].group] = k + 1
            tasks[i] = replace(tasks[i], held_on=k % n_workers)
        return SimGraph(tuple(tasks))
