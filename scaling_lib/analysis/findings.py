"""A bottleneck finding and what every rule measures it against.

Usage::

    ref = reference(runs)                  # the largest size at the most workers
    ref.per_thread(["disk_read_s"])        # wall seconds those thread-seconds take
    with_time(finding, seconds, "how")     # the finding with its seconds lost
    tie_note(finding)                      # "tied with X (within the run noise of N s)"

``Finding`` is what ``bottlenecks.diagnose`` returns; ``time_shares`` splits each run's
thread-seconds (wall time x workers x threads) by where they went.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scaling_lib.units import fmt_number, fmt_seconds

__all__ = [
    "Finding",
    "capped",
    "largest",
    "reference",
    "tie_note",
    "time_shares",
    "with_time",
]

# Dask's documentation (Best Practices, "Avoid very large graphs"): "each task comes
# with some overhead, somewhere between 200us and 1ms". The upper end is what a worker
# on a loaded host pays; tasks under 10 ms then pay over 10% of their time in overhead.
TASK_OVERHEAD_S = 1e-3
TASK_FLOOR_S = 10 * TASK_OVERHEAD_S
# distributed.worker.memory.pause (distributed.yaml): a worker's threads stop at 80% of
# its memory limit, so a peak past it has already cost time.
PAUSE_FRACTION = 0.80
TRANSFER_SHARE = 0.02  # under 2% of thread time in transfers is not worth a finding
SERIALIZATION_SHARE = 0.05
IDLE_SHARE = 0.3  # idle below 30% is the tail of any graph (the last tasks finishing)
SERIAL_FRACTION = 0.1  # Amdahl: 10% serial caps the speedup at 10x


@dataclass(frozen=True)
class Finding:
    name: str
    score: float  # 0-1: how strongly the evidence shows it
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    # Wall seconds the fix would recover at the reference point (None: no estimate)
    seconds_lost: float | None = None
    lost_how: str = ""  # the arithmetic behind seconds_lost, with its figures
    # "failure" (runs did not finish), "problem" (ranked by seconds_lost), "state" (how
    # the runs are, e.g. compute-bound: not a problem) or "caveat" (about the measurement)
    kind: str = "problem"
    # Set by diagnose: the place in the ranking (1 first; findings tied share it), the
    # problems tied with this one (seconds_lost within noise_s of each other: ranked
    # together, by name) and the run noise they were compared with (problems with an
    # estimate only; see bottlenecks.run_noise).
    rank: int = 0
    tied_with: tuple[str, ...] = ()
    noise_s: float | None = None


@dataclass(frozen=True)
class _Reference:
    """The largest size at the most workers: median wall time, workers, threads."""

    runs: pd.DataFrame
    wall_s: float
    workers: int
    threads: int

    @property
    def thread_slots(self) -> int:
        return self.workers * self.threads

    def per_thread(self, column_or_columns) -> float:
        """Median over the reference runs of thread-seconds in these columns, per thread:
        the wall seconds they take if spread evenly over the threads."""
        cols = [column_or_columns] if isinstance(column_or_columns, str) else column_or_columns
        total = sum(self.runs[c].fillna(0.0) for c in cols if c in self.runs)
        return float(np.median(total)) / self.thread_slots if len(self.runs) else 0.0

    def label(self) -> str:
        size = fmt_number(float(self.runs["size"].iloc[0]))
        return f"size {size} on {self.workers} worker(s) x {self.threads} thread(s)"


def reference(runs: pd.DataFrame) -> _Reference:
    top = largest(runs)
    return _Reference(
        top,
        float(top["wall_s"].median()),
        int(top["n_workers"].iloc[0]),
        int(top["threads_per_worker"].max()),
    )


def capped(seconds: float, ref: _Reference) -> float:
    return float(min(max(seconds, 0.0), ref.wall_s))


def time_shares(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: where the available thread-seconds went, as shares (0-1)."""
    capacity = runs["wall_s"] * runs["n_workers"] * runs["threads_per_worker"]
    out = pd.DataFrame(index=runs.index)
    out["compute"] = runs["cpu_s"] / capacity
    out["non_cpu"] = runs["noncpu_s"] / capacity
    out["transfer"] = runs["transfer_s"] / capacity
    out["disk"] = (runs["disk_read_s"] + runs["disk_write_s"]) / capacity
    out["serialization"] = (
        runs["serialize_s"] + runs["deserialize_s"] + runs["compress_s"] + runs["decompress_s"]
    ) / capacity
    out["scheduler"] = (runs["executor_s"] + runs["other_s"]) / capacity
    busy = out[["compute", "non_cpu", "disk", "serialization", "scheduler"]].sum(axis=1)
    out["idle"] = (1 - busy).clip(lower=0)
    return out.clip(lower=0)


def largest(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs at the largest worker count and, among those, the largest size."""
    top = runs[runs["n_workers"] == runs["n_workers"].max()]
    return top[top["size"] == top["size"].max()]


def with_time(finding: Finding, seconds: float | None, how: str, kind: str = "problem"):
    if seconds is not None and not math.isfinite(seconds):
        seconds = None
    return dataclasses.replace(finding, seconds_lost=seconds, lost_how=how, kind=kind)


def tie_note(finding) -> str:
    """A tie in words, for a Finding or its dict: "tied with X (within the run noise of
    N s)", or "" when the finding ranks alone."""
    f = finding if isinstance(finding, dict) else finding.__dict__
    tied = list(f.get("tied_with") or ())
    if not tied:
        return ""
    noise = f.get("noise_s")
    within = "" if noise is None else f" (within the run noise of {fmt_seconds(noise)})"
    return f"tied with {', '.join(tied)}{within}"
