"""Graphs at sizes never measured: per-prefix laws from traces at several sizes.

Usage::

    from scaling_lib.simulate.scale import fit_prefix_laws, graph_at_size, scale_graph

    laws = fit_prefix_laws({1000: [trace, ...], 2000: [trace, ...], 4000: [...]})
    laws["matmul"].duration(8000), laws["matmul"].nbytes(8000)

    # A workload that can build its graph at the target size without computing it:
    graph = graph_at_size(deps, priorities, prefixes, inputs, laws, size=8000, n_workers=16)
    # One that cannot (an imperative custom workload): the measured graph, stretched.
    graph = scale_graph(measured_graph, laws, from_size=4000, to_size=8000, n_workers=16)

A prefix law is a power law in the size, ``a * size ** b``, for the median compute time
and the median output bytes of that prefix's tasks, fitted on log-log medians across
the traced sizes (at least two). A prefix the traces never saw (a deeper reduction
level, say) takes the law of the prefix it is named after when there is one
(``sum-aggregate`` -> ``sum``), else the median law of all prefixes; ``LawSet.guessed``
lists them so the output can say so. A graph built at another size can hold prefixes
the traces never saw at all (a groupby that becomes a shuffle past some partition
count, tasks that Dask fused at the traced sizes and no longer fuses): there the work
is conserved instead. The traces' total task seconds follow their own power law in the
size (``LawSet.total``), and the tasks of unseen prefixes share what that total leaves
beyond the known prefixes' tasks. Pure: plain mappings in, a ``SimGraph`` out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from scaling_lib.simulate.graph import SimGraph, SimTask

__all__ = ["LawSet", "PrefixLaw", "fit_prefix_laws", "graph_at_size", "scale_graph"]


@dataclass(frozen=True)
class PrefixLaw:
    """Median task seconds and output bytes of one prefix as ``a * size ** b``."""

    seconds_a: float
    seconds_b: float
    bytes_a: float
    bytes_b: float
    sizes: int  # how many traced sizes it rests on
    # The prefix's total task seconds in a run, as ``total_a * size ** total_b``.
    total_a: float = 0.0
    total_b: float = 0.0

    def duration(self, size: float) -> float:
        return max(self.seconds_a * size**self.seconds_b, 0.0)

    def nbytes(self, size: float) -> int:
        return max(round(self.bytes_a * size**self.bytes_b), 0)

    def total(self, size: float) -> float:
        return max(self.total_a * size**self.total_b, 0.0)


@dataclass(frozen=True)
class LawSet:
    laws: Mapping[str, PrefixLaw]
    sizes: tuple[float, ...]
    guessed: set[str] = field(default_factory=set)
    total: PrefixLaw | None = None  # the sum of a run's task seconds, against the size

    def law(self, prefix: str) -> PrefixLaw:
        if prefix in self.laws:
            return self.laws[prefix]
        self.guessed.add(prefix)
        parts = prefix.split("-")
        for end in range(len(parts) - 1, 0, -1):
            parent = "-".join(parts[:end])
            if parent in self.laws:
                return self.laws[parent]
        laws = list(self.laws.values())
        return PrefixLaw(
            float(np.median([law.seconds_a for law in laws])),
            float(np.median([law.seconds_b for law in laws])),
            float(np.median([law.bytes_a for law in laws])),
            float(np.median([law.bytes_b for law in laws])),
            0,
        )


def fit_prefix_laws(traces_by_size: Mapping[float, Sequence[Any]]) -> LawSet:
    """Per-prefix power laws from TaskTraces grouped by size (two sizes or more)."""
    seconds: dict[str, dict[float, list[float]]] = {}
    nbytes: dict[str, dict[float, list[float]]] = {}
    totals: dict[float, list[float]] = {}
    prefix_totals: dict[str, dict[float, list[float]]] = {}
    for size, traces in traces_by_size.items():
        for trace in traces:
            tasks = trace.tasks.dropna(subset=["start", "stop"])
            totals.setdefault(size, []).append(float((tasks["stop"] - tasks["start"]).sum()))
            spent = (tasks["stop"] - tasks["start"]).groupby(tasks["prefix"]).sum()
            for prefix, spent_s in spent.items():
                prefix_totals.setdefault(prefix, {}).setdefault(size, []).append(float(spent_s))
            for prefix, rows in tasks.groupby("prefix"):
                seconds.setdefault(prefix, {}).setdefault(size, []).extend(
                    (rows["stop"] - rows["start"]).tolist()
                )
                nbytes.setdefault(prefix, {}).setdefault(size, []).extend(rows["nbytes"].tolist())
            for prefix, rows in trace.inputs.groupby("prefix"):
                seconds.setdefault(prefix, {}).setdefault(size, []).append(0.0)
                nbytes.setdefault(prefix, {}).setdefault(size, []).extend(rows["nbytes"].tolist())
    laws = {}
    for prefix, by_size in seconds.items():
        if len(by_size) < 2:
            continue
        sa, sb = _power_law(by_size)
        ba, bb = _power_law(nbytes[prefix])
        ta, tb = _power_law(prefix_totals[prefix]) if prefix in prefix_totals else (0.0, 0.0)
        laws[prefix] = PrefixLaw(sa, sb, ba, bb, len(by_size), ta, tb)
    if not laws:
        raise ValueError("per-prefix laws need traces at two sizes or more")
    ta, tb = _power_law(totals)
    total = PrefixLaw(ta, tb, 0.0, 0.0, len(totals))
    return LawSet(laws=laws, sizes=tuple(sorted(traces_by_size)), total=total)


def _power_law(by_size: Mapping[float, list[float]]) -> tuple[float, float]:
    sizes = np.array(sorted(by_size), dtype=float)
    medians = np.array([float(np.median(by_size[s])) for s in sorted(by_size)])
    if (medians <= 0).any():
        # Zero-second or zero-byte tasks: a constant, the median of what was measured.
        return float(np.median(medians)), 0.0
    b, log_a = np.polyfit(np.log(sizes), np.log(medians), 1)
    return float(math.exp(log_a)), float(b)


def graph_at_size(
    dependencies: Mapping[str, Sequence[str]],
    priorities: Mapping[str, tuple],
    prefixes: Mapping[str, str],
    inputs: set[str],
    laws: LawSet,
    *,
    size: float,
    n_workers: int,
    groups: Mapping[str, str] | None = None,
    conserve_prefix_work: bool = False,
) -> SimGraph:
    """A graph built at ``size`` (keys, their dependencies, Dask priorities, prefixes;
    ``inputs`` are the keys persisted before the timer), timed by ``laws``.

    With ``conserve_prefix_work`` each traced prefix's tasks share its total law at
    ``size`` (``PrefixLaw.total``) instead of each taking the median law: for a graph
    whose shape changes with the size (a shuffle's fan-out grows with the partitions,
    so a task's time at the sample's count says little of its time at the target's),
    the prefix's work, not its tasks' typical time, is what grows smoothly."""
    keys = sorted(dependencies, key=lambda k: (priorities[k], k))
    index = {k: i for i, k in enumerate(keys)}
    unseen_s = _unseen_share(keys, prefixes, inputs, laws, size, conserve_prefix_work)
    counts: dict[str, int] = {}
    for k in keys:
        if k not in inputs:
            counts[prefixes[k]] = counts.get(prefixes[k], 0) + 1
    tasks = []
    for k in keys:
        law = laws.law(prefixes[k])
        held = k in inputs
        seconds = unseen_s if prefixes[k] not in laws.laws and unseen_s is not None else None
        if conserve_prefix_work and prefixes[k] in laws.laws and law.total_a > 0:
            seconds = law.total(size) / counts[prefixes[k]]
        tasks.append(
            SimTask(
                key=k,
                group=(groups or {}).get(k, prefixes[k]),
                prefix=prefixes[k],
                duration_s=0.0 if held else (law.duration(size) if seconds is None else seconds),
                output_bytes=law.nbytes(size),
                dependencies=() if held else tuple(sorted({index[d] for d in dependencies[k]})),
                priority=tuple(priorities[k]),
                held_on=0 if held else None,
            )
        )
    return SimGraph(tuple(tasks)).spread_inputs(n_workers)


def _unseen_share(
    keys: Sequence[str],
    prefixes: Mapping[str, str],
    inputs: set[str],
    laws: LawSet,
    size: float,
    by_prefix: bool = False,
) -> float | None:
    """Seconds for each task of a prefix no trace saw: the traces' total at ``size`` less
    the known prefixes' tasks, shared evenly (None when every prefix was seen, or there
    is no total). Never below the smallest known median task: a task still costs."""
    if laws.total is None:
        return None
    run = [k for k in keys if k not in inputs]
    unseen = [k for k in run if prefixes[k] not in laws.laws]
    if not unseen:
        return None
    if by_prefix:  # each seen prefix's total, once
        seen = {prefixes[k] for k in run if prefixes[k] in laws.laws}
        known = sum(laws.laws[p].total(size) for p in seen)
    else:
        known = sum(laws.laws[prefixes[k]].duration(size) for k in run if prefixes[k] in laws.laws)
    # Inputs' laws are 0 s (held before the timer): the floor is the least a task took.
    floor = min((d for law in laws.laws.values() if (d := law.duration(size)) > 0), default=0.0)
    return max((laws.total.duration(size) - known) / len(unseen), floor)


def scale_graph(
    graph: SimGraph, laws: LawSet | None, *, from_size: float, to_size: float, n_workers: int,
    fallback_ratio: float = 1.0,
) -> SimGraph:  # fmt: skip
    """The measured graph with each task's time and bytes stretched to ``to_size`` by
    its prefix's law (``fallback_ratio`` for time when there are no laws); the task
    count stays what was measured."""
    tasks = []
    for task in graph.tasks:
        if laws is not None:
            law = laws.law(task.prefix)
            t_ratio = _ratio(law.seconds_b, from_size, to_size)
            b_ratio = _ratio(law.bytes_b, from_size, to_size)
        else:
            t_ratio, b_ratio = fallback_ratio, fallback_ratio
        tasks.append(
            replace(
                task,
                duration_s=task.duration_s * t_ratio,
                output_bytes=round(task.output_bytes * b_ratio),
            )
        )
    return SimGraph(tuple(tasks)).spread_inputs(n_workers)


def _ratio(exponent: float, from_size: float, to_size: float) -> float:
    return (to_size / from_size) ** exponent
