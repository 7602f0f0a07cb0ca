"""The measurements a study could take next, and what each costs in seconds.

Usage::

    reach = Reach(workers=(1, 2), max_size=0.25, repeats=3, warmup=1)
    cands = candidate_points(df, reach, target_size=1.0, target_workers=2)
    cost = MeasuringCost.from_records(df)
    cost.seconds(cands[0], run_s=4.2, reach)    # start + prepare + (warm-up + repeats) runs

A candidate is one point measured the way ``run`` measures one: a cluster of that many
workers started, the inputs prepared, one warm-up run and ``repeats`` timed runs. The
candidates are what ``reach`` (this machine or cluster) can run:

- **new sizes**: the measured sizes' gaps (4x or more) and doublings of the largest, up to the
  largest size the workers' memory holds and never past the target; a dataset study's
  sizes are whole partitions of its dataset, as its samples are (``run`` reads the
  nearest whole partitions), so two candidates never read the same partitions;
- **new worker counts** up to what ``reach`` has, at the measured sizes (new sizes go on
  the measured worker counts: the fit reads each law from slices at a fixed count or size);
- **repeats** of the measured points at the two largest sizes (where repeats move a fit
  the most).

Worker counts beyond ``reach`` are candidates too, flagged ``in_reach=False``: when
nothing within reach narrows the target, the advice names what would.

Pure: records in, candidates and seconds out.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.units import fmt_number

__all__ = ["Candidate", "MeasuringCost", "Reach", "candidate_points", "reach_from_records"]

DOUBLINGS = 2  # new sizes: up to 4x the largest measured (never past the target)
MEMORY_SHARE = 0.5  # input past half the workers' memory spills (run's own warning)
GAP = 4.0  # measured sizes this far apart get the size between them as a candidate


@dataclass(frozen=True)
class Reach:
    """What the machine or cluster that would measure can run."""

    workers: tuple[int, ...]  # worker counts it can start
    max_size: float = math.inf  # the largest size whose input the workers' memory holds
    repeats: int = 3  # timed runs per point (the spec's)
    warmup: int = 1  # untimed runs per point (the spec's)
    beyond: tuple[int, ...] = ()  # worker counts only a bigger machine or cluster has


@dataclass(frozen=True)
class Candidate:
    """One measurement: ``repeats`` runs at (size, n_workers)."""

    size: float
    n_workers: int
    kind: str  # "new size", "new workers", "new point", "repeat"
    in_reach: bool = True

    @property
    def label(self) -> str:
        what = "repeat" if self.kind == "repeat" else "measure"
        workers = f"{self.n_workers} worker{'s' * (self.n_workers != 1)}"
        return f"{what} {fmt_number(self.size)} on {workers}"


def candidate_points(
    df: pd.DataFrame, reach: Reach, *, target_size: float, target_workers: int
) -> list[Candidate]:
    """The candidates of a study's records (see the module docstring), in a stable order."""
    runs = dask_runs(df)
    measured = {(float(n), int(p)) for n, p in zip(runs["size"], runs["n_workers"], strict=True)}
    sizes = sorted({n for n, _ in measured})
    workers = sorted({p for _, p in measured})
    if not sizes:
        return []
    cap = min(reach.max_size, float(target_size))
    new_sizes = [s for s in _new_sizes(runs, sizes, cap) if s not in sizes]
    out: list[Candidate] = []
    # New sizes on the measured worker counts, new worker counts at the measured sizes:
    # the fit reads each law from slices at a fixed count or size, and a point off every
    # slice lets it drop a term the data never tested.
    for p in workers:
        if p in reach.workers:
            out += [Candidate(s, p, "new size") for s in new_sizes]
    for p in sorted(set(reach.workers)):
        for s in sizes:
            if (s, p) not in measured:
                out.append(Candidate(s, p, "new workers" if p not in workers else "new point"))
    for s in sizes[-2:]:
        for p in workers:
            if (s, p) in measured and p in reach.workers:
                out.append(Candidate(s, p, "repeat"))
    largest = sizes[-1]
    beyond = [p for p in reach.beyond if p not in reach.workers and p <= max(target_workers, 1)]
    for p in sorted(set(beyond)):
        out.append(Candidate(largest, p, "new workers", in_reach=False))
    return out


def _new_sizes(runs: pd.DataFrame, sizes: list[float], cap: float) -> list[float]:
    """Doublings of the largest measured size up to ``cap``, ``cap`` itself when the
    doublings stop short of it, and the geometric middle of any gap of 4x or more between
    measured sizes (a design that jumped ahead still gets its in-between sizes); for a
    dataset's samples, whole partitions of it."""
    largest = sizes[-1]
    raw = [largest * 2**k for k in range(1, DOUBLINGS + 1) if largest * 2**k <= cap * (1 + 1e-9)]
    if cap > largest and (not raw or raw[-1] < cap * 0.75):
        raw.append(cap)
    raw += [math.sqrt(a * b) for a, b in itertools.pairwise(sizes) if b >= GAP * a]
    partitions = _partition_sizes(runs)
    if partitions is not None:
        per_partition, total = partitions
        raw = [min(max(round(s / per_partition), 1), total) * per_partition for s in raw]
    out = []
    for s in sorted(raw):
        far = all(abs(s / m - 1) > 0.01 for m in (*sizes, *out))
        if s <= cap * (1 + 1e-9) and far:
            out.append(s)
    return out


def _partition_sizes(runs: pd.DataFrame) -> tuple[float, int] | None:
    """(size of one partition in the study's unit, the dataset's partitions), for the
    records of a dataset study; None for others."""
    if "dataset_partitions" not in runs or runs["dataset_partitions"].isna().all():
        return None
    total = int(runs["dataset_partitions"].dropna().iloc[-1])
    if "sample_partitions" not in runs or runs["sample_partitions"].isna().all():
        return None
    rows = runs[runs["sample_partitions"] > 0]
    per = (rows["size"] / rows["sample_partitions"]).median()
    return (float(per), total) if per > 0 and total > 0 else None


@dataclass(frozen=True)
class MeasuringCost:
    """Seconds a point costs besides its runs: starting its cluster and preparing its
    inputs, as the study's records measured them."""

    start_s: dict[int, float]  # median cluster start per worker count
    start_any_s: float  # for a worker count never started
    prepare_fixed_s: float  # prepare_s = fixed + per_size * size (least squares, >= 0)
    prepare_per_size_s: float

    @classmethod
    def from_records(cls, df: pd.DataFrame) -> MeasuringCost:
        runs = dask_runs(df)
        start: dict[int, float] = {}
        if "cluster_start_s" in runs and runs["cluster_start_s"].notna().any():
            starts = runs.dropna(subset=["cluster_start_s"])
            start = {
                int(p): float(g.median()) for p, g in starts.groupby("n_workers")["cluster_start_s"]
            }
        start_any = float(np.median(list(start.values()))) if start else 0.0
        fixed, per = 0.0, 0.0
        if "prepare_s" in runs and runs["prepare_s"].notna().any():
            prep = runs.dropna(subset=["prepare_s"]).groupby("size")["prepare_s"].median()
            x, y = prep.index.to_numpy(float), prep.to_numpy(float)
            if len(x) >= 2 and np.ptp(x) > 0:
                per, fixed = (float(v) for v in np.polyfit(x, y, 1))
                if per < 0:  # preparing never gets cheaper with size: its median then
                    per, fixed = 0.0, float(np.median(y))
                fixed = max(fixed, 0.0)
            else:
                fixed = float(np.median(y))
        return cls(start, start_any, fixed, per)

    def seconds(self, candidate: Candidate, run_s: float, reach: Reach) -> float:
        """Expected seconds to measure ``candidate`` whose one run takes ``run_s``."""
        start = self.start_s.get(candidate.n_workers, self.start_any_s)
        prepare = self.prepare_fixed_s + self.prepare_per_size_s * candidate.size
        return start + prepare + (reach.warmup + reach.repeats) * max(run_s, 0.0)


def reach_from_records(
    df: pd.DataFrame, *, target_workers: int, warmup: int = 1, workers: tuple[int, ...] = ()
) -> Reach:
    """What the machine that measured a study can run, from its records alone: worker
    counts up to its cores (``host_cores``) or the most it measured, and ``workers``; the
    largest size whose input (``input_bytes`` per unit of size) fills at most half of
    the workers' memory (``memory_limit_bytes``, within ``host_memory_bytes``), or a
    dataset study's full dataset; repeats as its points had; counts past those, up to the
    target's, as what a bigger machine adds."""
    runs = dask_runs(df)
    measured = sorted({int(p) for p in runs["n_workers"]})
    most = max([*measured, *workers, _top(runs, "host_cores")])
    if "memory_limit_bytes" in runs and runs["memory_limit_bytes"].notna().any():
        limit = float(runs["memory_limit_bytes"].dropna().median())
        host = _top(runs, "host_memory_bytes")
        if limit > 0 and host > 0:
            most = max(min(most, int(host // limit)), max(measured))
    counts = sorted({p for p in (*measured, *workers, *_powers(most)) if p <= most})
    beyond = {p for p in (*_powers(target_workers), target_workers) if p > counts[-1]}
    repeats = int(runs.groupby(["size", "n_workers"]).size().median())
    return Reach(
        workers=tuple(counts),
        max_size=_max_size(runs, counts[-1]),
        repeats=max(repeats, 1),
        warmup=warmup,
        beyond=tuple(sorted(beyond)),
    )


def _top(runs: pd.DataFrame, column: str) -> int:
    if column not in runs or runs[column].isna().all():
        return 0
    return int(runs[column].max())


def _powers(most: int) -> list[int]:
    return [2**k for k in range(int(math.log2(max(most, 1))) + 1)]


def _max_size(runs: pd.DataFrame, workers: int) -> float:
    if "dataset_rows" in runs and runs["dataset_rows"].notna().any():
        unit = str(runs["size_unit"].iloc[-1]) if "size_unit" in runs else ""
        return 1.0 if unit == "fraction" else float(runs["dataset_rows"].dropna().iloc[-1])
    if "input_bytes" not in runs or runs["input_bytes"].isna().all():
        return math.inf
    known = runs.dropna(subset=["input_bytes"])
    per_unit = float((known["input_bytes"] / known["size"]).median())
    if not per_unit > 0 or "memory_limit_bytes" not in runs:
        return math.inf
    memory = workers * float(runs["memory_limit_bytes"].dropna().median())
    host = _top(runs, "host_memory_bytes")
    if host:
        memory = min(memory, host)
    return MEMORY_SHARE * memory / per_unit if memory > 0 else math.inf
