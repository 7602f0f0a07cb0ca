"""The autoscaling experiment: a bursty request load on an adaptive vs a fixed cluster.

Usage::

    result = run_autoscale_experiment(
        "serve-load", results="data/results", params={"hidden": 4096, "batch": 1024},
        profile="3@10,6@45,3@10", minimum=1, maximum=2,
    )
    result["adaptive"]["time_to_maximum_s"], result["fixed"]["worker_seconds"]

or ``scaling-lib autoscale STUDY --profile 3@10,6@45,3@10 --min 1 --max 2``.

The same open-loop load (``seconds@requests_per_second`` phases, the ``serve``
workload's requests) runs twice on local clusters: once on ``maximum`` workers
throughout, once on ``cluster.adapt(minimum, maximum)``. The worker-count timeline is
exact: a scheduler plugin (``WorkerCountLog``) stamps every worker's arrival and
departure with the scheduler's clock, and the timeline is one ``[seconds, workers]``
step per event, from the load's start to the end of the run, plus a closing point at
the end. After the load the adaptive run waits (up to ``settle_s``) for the cluster
to return to ``minimum`` workers.

Per cluster: the timeline, latency percentiles during the burst (the fastest phase)
and overall, time from the burst's start to the first extra worker and to
``maximum`` workers, time from the burst's end until it is back at ``minimum`` for
good (None if it did not return within ``settle_s``), and worker-seconds over the
load: the integral of the timeline from 0 to ``load_s`` (what the cluster costs). The
result is saved in the study as ``autoscale.json``; ``benchmarks/autoscale.py`` prints
the adaptive/fixed worker-seconds ratio.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dask.utils import parse_bytes
from distributed.diagnostics.plugin import SchedulerPlugin

from scaling_lib.errors import SpecError
from scaling_lib.store.records import DEFAULT_RESULTS, ResultsStore
from scaling_lib.workloads.serve import ServeWorkload, latency_summary, send_requests

__all__ = [
    "Phase",
    "WorkerCountLog",
    "parse_profile",
    "run_autoscale_experiment",
    "worker_integral",
    "worker_timeline",
]


@dataclass(frozen=True)
class Phase:
    seconds: float
    rate: float


def parse_profile(text: str) -> list[Phase]:
    """``"3@10,6@45,3@10"`` -> three phases of (seconds, requests per second)."""
    phases = []
    for i, part in enumerate(str(text).split(",")):
        try:
            seconds, rate = (float(v) for v in part.split("@"))
        except ValueError:
            raise SpecError(
                f"profile[{i}]", f"{part!r} is not SECONDS@RATE (e.g. 3@10,6@45,3@10)"
            ) from None
        if seconds <= 0 or rate <= 0:
            raise SpecError(f"profile[{i}]", f"{part!r}: seconds and rate must be positive")
        phases.append(Phase(seconds, rate))
    return phases


class WorkerCountLog(SchedulerPlugin):
    """On the scheduler: the worker count when registered, then every arrival/departure.

    Usage::

        client.register_plugin(WorkerCountLog())
        ...
        start_time, start_count, events = client.run_on_scheduler(WorkerCountLog.read)

    ``events`` are ``(time, +1 | -1, address)`` on the scheduler's clock (``time.time``).
    The hooks run synchronously inside ``Scheduler.add_worker``/``remove_worker``, so the
    stamps are the moments the scheduler's count changed, not a poll's approximation.
    """

    name = "scaling-lib-worker-count"

    def __init__(self) -> None:
        self.start_time = 0.0
        self.start_count = 0
        self.events: list[tuple[float, int, str]] = []

    async def start(self, scheduler: Any) -> None:
        self.start_time = time.time()
        self.start_count = len(scheduler.workers)

    def add_worker(self, scheduler: Any, worker: str) -> None:
        self.events.append((time.time(), 1, worker))

    def remove_worker(self, scheduler: Any, worker: str, **kwargs: Any) -> None:
        self.events.append((time.time(), -1, worker))

    @staticmethod
    def read(dask_scheduler: Any) -> tuple[float, int, list[tuple[float, int, str]]]:
        log = dask_scheduler.plugins[WorkerCountLog.name]
        return log.start_time, log.start_count, list(log.events)


def worker_timeline(
    start_count: int, events: Sequence[Sequence], since: float, until: float
) -> list[tuple[float, int]]:
    """Exact ``(seconds since ``since``, workers)`` steps from the plugin's events.

    The first point is the count at ``since``, then one point per event up to
    ``until``, then a closing point at ``until`` (so the last step has a length).
    """
    ordered = sorted((float(e[0]), int(e[1])) for e in events)
    count = start_count + sum(delta for t, delta in ordered if t <= since)
    timeline = [(0.0, count)]
    for t, delta in ordered:
        if since < t <= until:
            count += delta
            timeline.append((t - since, count))
    timeline.append((until - since, count))
    return timeline


def worker_integral(timeline: Sequence[Sequence], until: float) -> float:
    """Worker-seconds of a step timeline from 0 to ``until``."""
    total = 0.0
    for (t0, n0), (t1, _) in itertools.pairwise(timeline):
        if t0 >= until:
            break
        total += n0 * (min(t1, until) - t0)
    return total


def run_autoscale_experiment(
    study: str,
    *,
    results: str = DEFAULT_RESULTS,
    params: Mapping[str, Any] | None = None,
    profile: str = "3@10,6@45,3@10",
    minimum: int = 1,
    maximum: int = 2,
    memory_limit: str = "2GiB",
    interval_s: float = 0.25,
    wait_count: int = 4,
    target_duration_s: float = 1.0,
    settle_s: float = 20.0,
) -> dict[str, Any]:
    """Run the load on a fixed and an adaptive cluster; save and return the comparison."""
    if not 1 <= minimum < maximum:
        raise SpecError("minimum", f"need 1 <= minimum < maximum, got {minimum} and {maximum}")
    phases = parse_profile(profile)
    store = ResultsStore(results)
    workload = ServeWorkload()
    # Default requests heavy enough (about 25 ms of one core each) for a burst to queue.
    checked = workload.check_params({"hidden": 4096, "batch": 1024, **(params or {})})
    settings = {
        "minimum": minimum,
        "maximum": maximum,
        "interval_s": interval_s,
        "wait_count": wait_count,
        "target_duration_s": target_duration_s,
    }
    out: dict[str, Any] = {
        "schema": "autoscale/1",
        "study": study,
        "timestamp": datetime.now(UTC).isoformat(),
        "params": checked,
        "profile": [vars(p) for p in phases],
        "adapt": settings,
        "memory_limit_bytes": parse_bytes(memory_limit),
        "settle_s": settle_s,
    }
    for mode in ("fixed", "adaptive"):
        out[mode] = _run_mode(mode, workload, checked, phases, settings, memory_limit, settle_s)
    store.save_json(study, "autoscale", out)
    return out


def _run_mode(mode, workload, params, phases, settings, memory_limit, settle_s):
    from distributed import Client, LocalCluster

    start_workers = settings["maximum"] if mode == "fixed" else settings["minimum"]
    with (
        LocalCluster(
            n_workers=start_workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(start_workers)
        weights, payloads = workload.baseline_inputs(0, params)
        weights = client.scatter(weights, broadcast=True)
        client.register_plugin(WorkerCountLog())
        if mode == "adaptive":
            cluster.adapt(
                minimum=settings["minimum"],
                maximum=settings["maximum"],
                interval=f"{settings['interval_s']}s",
                wait_count=settings["wait_count"],
                target_duration=f"{settings['target_duration_s']}s",
            )
        send_at, phase_of = [], []
        offset = 0.0
        for phase in phases:
            count = max(1, round(phase.seconds * phase.rate))
            send_at += [offset + i / phase.rate for i in range(count)]
            phase_of += [phase.rate] * count
            offset += phase.seconds
        # The scheduler runs in this process (LocalCluster): its clock is this clock.
        load_start = time.time()
        sent = send_requests(client, weights, payloads, len(send_at), send_at=send_at)
        load_end = time.time()
        del weights  # a held future keeps a worker alive
        if mode == "adaptive":
            _wait_for(lambda: _worker_count(client) <= settings["minimum"], settle_s)
        run_end = time.time()
        _, start_count, events = client.run_on_scheduler(WorkerCountLog.read)

    timings = [(t, lat, rate) for (t, lat), rate in zip(sent, phase_of, strict=True)]
    burst_rate = max(p.rate for p in phases)
    burst_index = [p.rate for p in phases].index(burst_rate)
    burst_start = sum(p.seconds for p in phases[:burst_index])
    burst_end = burst_start + phases[burst_index].seconds
    load_s = round(load_end - load_start, 4)
    # Rounded once: every figure below is computed from the timeline as saved.
    timeline = [
        (round(t, 4), n) for t, n in worker_timeline(start_count, events, load_start, run_end)
    ]
    scaled = mode == "adaptive"  # a fixed cluster has no scaling times to report
    lo, hi = settings["minimum"], settings["maximum"]
    return {
        "timeline": [[t, n] for t, n in timeline],
        "requests": [[round(t, 4), round(lat, 5)] for t, lat, _ in timings],
        "load_s": load_s,
        "burst_start_s": burst_start,
        "burst_end_s": burst_end,
        "burst": latency_summary([lat for _, lat, r in timings if r == burst_rate]),
        "overall": latency_summary([lat for _, lat, _ in timings]),
        "time_to_first_extra_worker_s": _first_time(timeline, burst_start, lambda n: n > lo)
        if scaled
        else None,
        "time_to_maximum_s": _first_time(timeline, burst_start, lambda n: n >= hi)
        if scaled
        else None,
        "time_to_scale_down_s": _settled_time(timeline, burst_end, lambda n: n <= lo)
        if scaled
        else None,
        "worker_seconds": worker_integral(timeline, load_s),
        "max_workers": max(n for _, n in timeline),
        "min_workers": min(n for _, n in timeline),
    }


def _first_time(timeline, since: float, condition: Callable[[int], bool]) -> float | None:
    """Seconds from ``since`` until the step function first satisfies ``condition``
    (0 if it already does at ``since``); None if it never does."""
    current = next((n for t, n in reversed(timeline) if t <= since), timeline[0][1])
    if condition(current):
        return 0.0
    return next((t - since for t, n in timeline if t > since and condition(n)), None)


def _settled_time(timeline, since: float, condition: Callable[[int], bool]) -> float | None:
    """Seconds from ``since`` until the step function satisfies ``condition`` for good
    (to the end of the timeline); None if it does not at the end.

    Not the first time after ``since``: on a slow host the cluster may still be at the
    minimum when the burst's nominal end passes, and scale up (and down) later.
    """
    settled = None
    for t, n in timeline:
        if not condition(n):
            settled = None
        elif settled is None:
            settled = t
    if settled is None:
        return None
    return max(settled - since, 0.0)


def _worker_count(client: Any) -> int:
    return len(client.scheduler_info(n_workers=-1)["workers"])


def _wait_for(condition: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True
