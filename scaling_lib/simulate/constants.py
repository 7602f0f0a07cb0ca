"""The constants a simulation needs, measured from task traces, each with its spread.

Usage::

    from scaling_lib.simulate.constants import measure_constants

    cal = measure_constants(traces, walls)          # TaskTraces and each run's recorded wall_s
    cal.bandwidth_Bps.value, cal.bandwidth_Bps.low, cal.bandwidth_Bps.high
    cluster = cal.cluster(n_workers=16, threads_per_worker=1, bandwidth_Bps=1.25e9)
    cal.to_dict()                           # JSON-ready, stored once per study

What each constant is, and where it comes from:

- ``task_overhead_s``: the gap between two tasks on one thread when the second was
  already runnable there (its inputs local) before the first ended: Dask's per-task cost
  on the worker.
- ``message_latency_s``: from a task's last input finishing to the task starting, for
  tasks whose inputs were all on their worker and whose thread was idle: the
  worker-scheduler-worker round trip a released dependent waits for.
- ``scheduler_overhead_s``: the scheduler thread's CPU over the run per task (it
  includes the trace plugin's own share: an upper bound).
- ``latency_s`` and ``bandwidth_Bps``: from the transfer rows. The latency is the median
  duration of small transfers (under 64 KiB), else Dask's 1 ms; the bandwidth is the
  bytes each worker received over the time its incoming link was busy, latencies taken
  out (concurrent transfers share a link, so per-transfer rates would underestimate it).
- ``client_overhead_s``: recorded wall minus the traced span (graph submission before the
  first task, gathering the result after the last), as ``a + b * tasks`` across runs.
- ``prefix_laws``: per task prefix, compute seconds as ``a + b * input bytes``.
- ``cpu_fraction``: the share of task time on a CPU (from the records' Dask metrics),
  used only when the simulated workers share one host's cores.

``value`` is the mean (per-task costs, which add up over a run) or the median (the rest)
over all samples, ``low``/``high`` the range of the per-run values (the spread a replay
carries into its interval); ``source`` says "measured",
"default" (no samples: Dask's own first guess) or "override".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from scaling_lib.simulate.engine import SimCluster

__all__ = ["Estimate", "SimConstants", "cpu_fraction_of", "measure_constants"]

SMALL_TRANSFER_BYTES = 64 * 2**10
DASK_DEFAULTS = {
    "task_overhead_s": 0.0005,
    "message_latency_s": 0.001,
    "scheduler_overhead_s": 0.0002,
    "latency_s": 0.001,
    "bandwidth_Bps": 100e6,
}


@dataclass(frozen=True)
class Estimate:
    """A measured constant: central value, spread across runs, samples, origin."""

    value: float
    low: float
    high: float
    n: int
    source: str = "measured"

    @classmethod
    def from_runs(
        cls, per_run: Sequence[Sequence[float]], default: float, *, center: Any = np.median
    ) -> Estimate:
        """``center`` (median, or mean for costs that add up) of all samples, and the
        range of the per-run centres; Dask's ``default`` when there are no samples."""
        runs = [np.asarray(r, dtype=float) for r in per_run if len(r)]
        if not runs:
            return cls(default, default, default, 0, "default")
        centers = [float(center(r)) for r in runs]
        pooled = float(center(np.concatenate(runs)))
        return cls(pooled, min(centers), max(centers), int(sum(map(len, runs))))

    @classmethod
    def override(cls, value: float) -> Estimate:
        return cls(float(value), float(value), float(value), 0, "override")


@dataclass(frozen=True)
class SimConstants:
    """Everything ``SimCluster`` needs besides the worker count, plus compute laws."""

    task_overhead_s: Estimate
    message_latency_s: Estimate
    scheduler_overhead_s: Estimate
    latency_s: Estimate
    bandwidth_Bps: Estimate
    client_overhead_s: tuple[float, float] = (0.0, 0.0)  # a + b * tasks
    # Share of task compute time spent on a CPU (Dask's thread-cpu / (cpu + noncpu)):
    # what workers sharing one host's cores contend for.
    cpu_fraction: float = 1.0
    prefix_laws: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    CLUSTER_FIELDS = (
        "task_overhead_s",
        "message_latency_s",
        "scheduler_overhead_s",
        "latency_s",
        "bandwidth_Bps",
    )

    def with_overrides(self, **values: float | None) -> SimConstants:
        """A copy with some constants set for a target (e.g. an instance's bandwidth)."""
        changes = {}
        for name, value in values.items():
            if name not in self.CLUSTER_FIELDS:
                raise ValueError(f"unknown simulator constant {name!r}")
            if value is not None:
                changes[name] = Estimate.override(value)
        return replace(self, **changes)

    def with_network_of(self, other: SimConstants) -> SimConstants:
        """These per-task constants with ``other``'s transfer latency and bandwidth
        (which only runs on several workers can measure)."""
        return replace(self, latency_s=other.latency_s, bandwidth_Bps=other.bandwidth_Bps)

    def cluster(
        self,
        n_workers: int,
        threads_per_worker: int = 1,
        *,
        at: str = "value",
        host_cores: int | None = None,
    ) -> Any:
        """A ``SimCluster`` with the constants at ``at``: "value" (central), "fast" (each
        at the end of its spread that shortens a run: low costs, high bandwidth) or
        "slow" (the other end)."""
        if at not in ("value", "fast", "slow"):
            raise ValueError(f"at must be 'value', 'fast' or 'slow', got {at!r}")
        values = {}
        for name in self.CLUSTER_FIELDS:
            est = getattr(self, name)
            faster = "high" if name == "bandwidth_Bps" else "low"
            slower = "low" if name == "bandwidth_Bps" else "high"
            pick = {"value": "value", "fast": faster, "slow": slower}[at]
            values[name] = getattr(est, pick)
        return SimCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            host_cores=host_cores,
            cpu_fraction=self.cpu_fraction,
            **values,
        )

    def client_overhead(self, n_tasks: int) -> float:
        a, b = self.client_overhead_s
        return max(a + b * n_tasks, 0.0)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["client_overhead_s"] = list(self.client_overhead_s)
        out["prefix_laws"] = {k: dict(v) for k, v in self.prefix_laws.items()}
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SimConstants:
        values = {name: Estimate(**raw[name]) for name in cls.CLUSTER_FIELDS}
        return cls(
            **values,
            client_overhead_s=tuple(raw.get("client_overhead_s", (0.0, 0.0))),
            cpu_fraction=float(raw.get("cpu_fraction", 1.0)),
            prefix_laws={k: dict(v) for k, v in raw.get("prefix_laws", {}).items()},
        )


def measure_constants(
    traces: Sequence[Any],
    walls: Sequence[float] | None = None,
    cpu_fraction: float | None = None,
) -> SimConstants:
    """Calibrate from ``traces`` (TaskTraces); ``walls`` are their records' ``wall_s``,
    ``cpu_fraction`` their tasks' CPU share (records' cpu_s / (cpu_s + noncpu_s))."""
    overhead, latency_runs, sched, small = [], [], [], []
    client_points = []
    for i, trace in enumerate(traces):
        gaps, waits = _thread_gaps(trace)
        overhead.append(gaps)
        latency_runs.append(waits)
        n = len(trace.tasks)
        cpu = trace.meta.get("scheduler_cpu_s")
        if n and cpu is not None:
            sched.append([float(cpu) / n])
        small.append(_small_transfer_seconds(trace))
        if walls is not None and n:
            span = float(np.nanmax(trace.tasks["stop"])) - float(trace.meta["submitted"])
            client_points.append((n, float(walls[i]) - span))
    latency = Estimate.from_runs(small, DASK_DEFAULTS["latency_s"])
    return SimConstants(
        # Per-task costs add up over a run: their mean, not their median, is what a
        # replay must reproduce (the gaps are skewed: a few long ones carry much time).
        task_overhead_s=Estimate.from_runs(
            overhead, DASK_DEFAULTS["task_overhead_s"], center=np.mean
        ),
        message_latency_s=Estimate.from_runs(
            latency_runs, DASK_DEFAULTS["message_latency_s"], center=np.mean
        ),
        scheduler_overhead_s=Estimate.from_runs(sched, DASK_DEFAULTS["scheduler_overhead_s"]),
        latency_s=latency,
        bandwidth_Bps=_bandwidth(traces, latency.value),
        client_overhead_s=_linear(client_points),
        prefix_laws=_prefix_laws(traces),
        cpu_fraction=1.0 if cpu_fraction is None else min(max(float(cpu_fraction), 0.0), 1.0),
    )


# -- samples from one trace ----------------------------------------------------------------


def _arrivals(trace: Any) -> dict[tuple[str, str], float]:
    """(worker, key) -> when a fetched copy of ``key`` arrived on ``worker``."""
    out: dict[tuple[str, str], float] = {}
    for row in trace.transfers.itertuples(index=False):
        for key in row.keys or ():
            out[(row.worker, key)] = min(out.get((row.worker, key), math.inf), row.stop)
    return out


def _thread_gaps(trace: Any) -> tuple[list[float], list[float]]:
    """Per-task overheads on busy threads, and round-trip waits on idle ones."""
    tasks = trace.tasks.dropna(subset=["start", "stop"])
    done = {row.key: (row.worker, row.stop) for row in tasks.itertuples(index=False)}
    arrivals = _arrivals(trace)
    gaps, waits = [], []
    for _, thread_tasks in tasks.groupby(["worker", "thread"], sort=False):
        previous_stop = -math.inf
        for row in thread_tasks.sort_values("start").itertuples(index=False):
            deps = [d for d in row.dependencies or () if d in done]
            local = all(done[d][0] == row.worker for d in deps)
            ready = (
                max(
                    (done[d][1] if done[d][0] == row.worker else arrivals.get((row.worker, d), 0.0))
                    for d in deps
                )
                if deps
                else -math.inf
            )
            runnable = row.runnable if row.runnable == row.runnable else -math.inf
            if max(ready, runnable) <= previous_stop:
                gaps.append(row.start - previous_stop)
            elif deps and local and ready >= previous_stop:
                waits.append(row.start - ready)
            previous_stop = row.stop
    return [g for g in gaps if g >= 0], [w for w in waits if w >= 0]


def _small_transfer_seconds(trace: Any) -> list[float]:
    rows = trace.transfers
    if rows.empty:
        return []
    duration = (rows["stop"] - rows["start"]).to_numpy(dtype=float)
    nbytes = rows["nbytes"].to_numpy(dtype=float)
    return duration[nbytes < SMALL_TRANSFER_BYTES].tolist()


def _bandwidth(traces: Sequence[Any], latency: float) -> Estimate:
    per_run = []
    for trace in traces:
        rows = trace.transfers
        if rows.empty or rows["nbytes"].sum() < SMALL_TRANSFER_BYTES:
            continue
        busy = 0.0
        for _, incoming in rows.groupby("worker"):
            busy += _union(incoming["start"], incoming["stop"]) - latency * len(incoming)
        if busy > 0:
            per_run.append([float(rows["nbytes"].sum()) / busy])
    return Estimate.from_runs(per_run, DASK_DEFAULTS["bandwidth_Bps"])


def _union(starts: Any, stops: Any) -> float:
    total, end = 0.0, -math.inf
    for start, stop in sorted(zip(starts, stops, strict=True)):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _linear(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    if not points:
        return (0.0, 0.0)
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    if len(set(x)) < 2:
        return (float(np.median(y)), 0.0)
    b, a = np.polyfit(x, y, 1)
    if b < 0:  # noise: a per-task cost is never negative
        return (float(np.median(y)), 0.0)
    return (float(a), float(b))


def _prefix_laws(traces: Sequence[Any]) -> dict[str, dict[str, float]]:
    xs: dict[str, list[float]] = {}
    ys: dict[str, list[float]] = {}
    for trace in traces:
        nbytes = dict(zip(trace.inputs["key"], trace.inputs["nbytes"], strict=True))
        nbytes.update(zip(trace.tasks["key"], trace.tasks["nbytes"], strict=True))
        for row in trace.tasks.itertuples(index=False):
            if row.start != row.start or row.stop != row.stop:
                continue
            inputs = sum(int(nbytes.get(d) or 0) for d in row.dependencies or ())
            xs.setdefault(row.prefix, []).append(float(inputs))
            ys.setdefault(row.prefix, []).append(float(row.stop - row.start))
    laws = {}
    for prefix, x in xs.items():
        a, b = _linear(list(zip(x, ys[prefix], strict=True)))
        laws[prefix] = {"a": a, "b": b, "n": len(x), "median_s": float(np.median(ys[prefix]))}
    return laws


def cpu_fraction_of(records: Any) -> float | None:
    """Median CPU share of the tasks' time over records (a frame with ``cpu_s`` and
    ``noncpu_s``, Dask's thread-cpu and thread-noncpu); None without them."""
    if records is None or "cpu_s" not in records or "noncpu_s" not in records:
        return None
    cpu = records["cpu_s"].astype(float)
    total = cpu + records["noncpu_s"].astype(float)
    shares = (cpu / total)[total > 0].dropna()
    return float(shares.median()) if len(shares) else None
