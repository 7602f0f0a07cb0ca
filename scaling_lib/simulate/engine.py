"""Discrete-event simulation of Dask's distributed scheduler on a task graph.

Usage::

    from scaling_lib.simulate import SimCluster, SimGraph, SimTask, simulate

    graph = SimGraph((SimTask("a", "a", "a", 1.0, 8, (), (0,)),
                      SimTask("b", "b", "b", 2.0, 8, (0,), (1,))))
    result = simulate(graph, SimCluster(n_workers=2), seed=0)
    result.wall_s, result.busy_s, result.peak_memory_bytes, result.stolen

Pure computation (numpy for the seeded permutation, nothing else): no cluster, no I/O.

Policies, after distributed 2026.7.1 ``scheduler.py`` / ``stealing.py``:

- Ready tasks are dispatched in priority order (Dask's priority tuples; index breaks ties).
- Root-ish tasks (``is_rootish``) are queued on the scheduler when queuing is on and sent
  to the worker with the fewest processing tasks while it holds fewer than
  ``max(ceil(saturation * nthreads), 1)``; every completion drains the queue onto free
  slots after the dependents it released. With ``worker_saturation=inf`` root-ish tasks
  use Dask's co-assignment (a group's consecutive tasks on one worker).
- Other tasks go to the holder of any dependency (all workers when none) minimising
  ``worker_objective``: ``occupancy / nthreads + bytes missing there / bandwidth``, then
  bytes held. Occupancy is Dask's: the expected durations of all tasks processing on
  the worker (the executing ones counted whole, as Dask does) plus bytes it is still
  fetching over the bandwidth. Small groups without dependencies: the least occupied
  idle worker, round-robin among empty ones (Dask's fast path).
- Expected duration (what placement, occupancy and stealing see): the mean duration of
  the task's prefix in the graph, as Dask's ``TaskPrefix`` average (a straggler looks
  like its siblings until it runs long); ``duration_estimate="task"`` gives each task
  its own duration instead (an oracle Dask does not have).
- Workers run assigned tasks in priority order on free threads once every input is local.
  Missing inputs are fetched when the task is assigned, one transfer per source worker
  for that task's inputs (the holder with the fewest outgoing transfers). A transfer
  costs ``latency_s`` then its bytes at a max-min fair share of the source's outgoing
  and the destination's incoming link (``network.FairShareNetwork``): exact max-min over
  the coupled links while at most 16 flows are coupled, re-shared one hop around the
  change beyond that (always within capacity). Dask's per-worker limits on concurrent
  fetches and its 50 MB cap per fetch message are not modelled.
- Work stealing: ``stealing.balance`` every ``steal_interval_s`` (Dask's
  ``work-stealing-interval``, 1 s by default; only when something changed), the first
  pass ``steal_phase_s`` after the graph arrives (Dask's periodic callback runs on the
  scheduler's clock, so a graph meets it at an arbitrary phase: ``what_if`` replays
  several), with Dask's levels (``cost_multiplier`` with its 0.1 s latency), thief/victim
  choice and move condition; a move takes effect at once.
- The scheduler is one serial server: each completion reaches it ``message_latency_s``
  after the task ends (the worker-scheduler-worker round trip that a released dependent
  waits for) and costs ``scheduler_overhead_s`` before its dependents are released and
  its slot counts as free.
- One host (``host_cores`` set, e.g. to check the simulation against runs on a small
  machine): every worker shares those cores. When a task starts, the CPU demanded by
  the tasks executing (``cpu_fraction`` of their compute, the per-task cost on the
  worker and on the scheduler, per task cycle) is compared with the cores; past them,
  the task's CPU phases, the scheduler's cost and a transfer's fixed cost stretch by
  demand / cores (processor sharing, mean-field). ``None`` (the default): each worker
  has cores of its own, as on a cluster of machines. Memory-bandwidth contention is not
  modelled.
- Memory: a worker holds its inputs (``held_on``), its results and fetched copies; a
  copy is freed when its consumers there have finished and no consumer anywhere still
  has to fetch it. Results without consumers stay.
- Determinism: the same graph, cluster and seed give the same ``SimResult``. The seed
  only breaks ties between equally good workers: seed 0 prefers the lowest worker
  index, any other seed a seeded permutation of the workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaling_lib.simulate.core import Simulation
from scaling_lib.simulate.graph import SimGraph

__all__ = ["SimCluster", "SimResult", "simulate"]


@dataclass(frozen=True, kw_only=True)
class SimCluster:
    """The simulated cluster; field defaults are Dask's own first guesses."""

    n_workers: int
    threads_per_worker: int = 1
    bandwidth_Bps: float = 100e6
    latency_s: float = 0.001
    task_overhead_s: float = 0.0005
    scheduler_overhead_s: float = 0.0
    message_latency_s: float = 0.0
    worker_saturation: float = 1.1
    work_stealing: bool = True
    host_cores: int | None = None
    cpu_fraction: float = 1.0
    duration_estimate: str = "prefix"
    steal_interval_s: float = 1.0
    steal_phase_s: float = 0.0
    # With host_cores: how much longer Dask's per-task round trip (worker overhead,
    # message latency) is here than where the constants were measured, against the
    # tasks finished per worker per second: (rate, ratio) points, measured on the host
    # (benchmarks/host_latency.py). Looked up at the current rate as the run unfolds.
    host_gaps: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        for name in ("n_workers", "threads_per_worker"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        v = self.bandwidth_Bps
        if not _is_number(v) or not (0 < v < math.inf):
            raise ValueError(f"bandwidth_Bps must be a positive finite number, got {v!r}")
        for name in ("latency_s", "task_overhead_s", "scheduler_overhead_s", "message_latency_s"):
            v = getattr(self, name)
            if not _is_number(v) or not (0 <= v < math.inf):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        v = self.worker_saturation
        if not _is_number(v) or math.isnan(v) or v <= 0:
            raise ValueError(f"worker_saturation must be > 0 (inf disables queuing), got {v!r}")
        if self.duration_estimate not in ("prefix", "task"):
            raise ValueError(
                f"duration_estimate must be 'prefix' or 'task', got {self.duration_estimate!r}"
            )
        v = self.host_cores
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"host_cores must be None or a positive int, got {v!r}")
        v = self.cpu_fraction
        if not _is_number(v) or not (0.0 <= v <= 1.0):
            raise ValueError(f"cpu_fraction must be between 0 and 1, got {v!r}")
        v = self.steal_interval_s
        if not _is_number(v) or not (0 < v < math.inf):
            raise ValueError(f"steal_interval_s must be a positive finite number, got {v!r}")
        v = self.steal_phase_s
        if not _is_number(v) or not (0 <= v < self.steal_interval_s):
            raise ValueError(f"steal_phase_s must be in [0, steal_interval_s), got {v!r}")
        for point in self.host_gaps:
            if len(point) != 2 or not all(_is_number(v) and 0 < v < math.inf for v in point):
                raise ValueError(f"host_gaps must be (rate, ratio) pairs > 0, got {point!r}")
        if not isinstance(self.work_stealing, bool):
            raise ValueError(f"work_stealing must be a bool, got {self.work_stealing!r}")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass(frozen=True)
class SimResult:
    """What one simulated run did; per-worker tuples are indexed by worker."""

    wall_s: float
    busy_s: tuple[float, ...]
    idle_s: tuple[float, ...]
    transfer_s: tuple[float, ...]
    bytes_moved: int
    n_transfers: int
    peak_memory_bytes: tuple[int, ...]
    task_stream: tuple[tuple[int, int, int, float, float], ...]
    stolen: int


def simulate(graph: SimGraph, cluster: SimCluster, *, seed: int = 0) -> SimResult:
    """Simulate ``graph`` on ``cluster``; ``seed`` only breaks ties (0: lowest index).

    Raises ``ValueError`` on an invalid graph (naming the task) or a ``held_on`` outside
    the cluster.
    """
    if not isinstance(cluster, SimCluster):
        raise TypeError(f"cluster must be a SimCluster, got {type(cluster).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    fields = Simulation(graph, cluster, seed).run()
    fields.pop("n_workers")
    return SimResult(**fields)
