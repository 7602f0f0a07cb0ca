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
throughout, once on ``cluster.adapt(minimum, maximum)``. A sampler records the
connected worker count every ``sample_s``. Per cluster: the timeline, latency
percentiles during the burst (the fastest phase) and overall, time from the burst's
start to the first extra worker and to ``maximum`` workers, time from the burst's end
back to ``minimum``, and worker-seconds over the load (what the cluster costs).
The result is saved in the study as ``autoscale.json``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dask.utils import parse_bytes

from .errors import SpecError
from .store import DEFAULT_RESULTS, ResultsStore
from .workloads.serve import ServeWorkload, latency_summary, send_requests

__all__ = ["Phase", "parse_profile", "run_autoscale_experiment"]


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
    sample_s: float = 0.1,
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
    }
    for mode in ("fixed", "adaptive"):
        out[mode] = _run_mode(mode, workload, checked, phases, settings, memory_limit,
                              sample_s, settle_s)  # fmt: skip
    store.save_json(study, "autoscale", out)
    return out


def _run_mode(mode, workload, params, phases, settings, memory_limit, sample_s, settle_s):
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
        if mode == "adaptive":
            cluster.adapt(
                minimum=settings["minimum"],
                maximum=settings["maximum"],
                interval=f"{settings['interval_s']}s",
                wait_count=settings["wait_count"],
                target_duration=f"{settings['target_duration_s']}s",
            )
        sampler = _WorkerSampler(client, sample_s)
        sampler.start()
        send_at, phase_of = [], []
        offset = 0.0
        for phase in phases:
            count = max(1, round(phase.seconds * phase.rate))
            send_at += [offset + i / phase.rate for i in range(count)]
            phase_of += [phase.rate] * count
            offset += phase.seconds
        load_start = sampler.now()
        sent = send_requests(client, weights, payloads, len(send_at), send_at=send_at)
        timings = [
            (load_start + t, lat, rate) for (t, lat), rate in zip(sent, phase_of, strict=True)
        ]
        load_end = sampler.now()
        if mode == "adaptive":
            sampler.wait_for(lambda n: n <= settings["minimum"], settle_s)
        sampler.stop()

    burst_rate = max(p.rate for p in phases)
    burst_index = [p.rate for p in phases].index(burst_rate)
    burst_start = load_start + sum(p.seconds for p in phases[:burst_index])
    burst_end = burst_start + phases[burst_index].seconds
    timeline = [(t - load_start, n) for t, n in sampler.samples]
    scaled = mode == "adaptive"  # a fixed cluster has no scaling times to report
    return {
        "timeline": [[round(t, 3), n] for t, n in timeline],
        "requests": [[round(t - load_start, 4), round(lat, 5)] for t, lat, _ in timings],
        "load_s": load_end - load_start,
        "burst_start_s": burst_start - load_start,
        "burst_end_s": burst_end - load_start,
        "burst": latency_summary([lat for _, lat, r in timings if r == burst_rate]),
        "overall": latency_summary([lat for _, lat, _ in timings]),
        "time_to_first_extra_worker_s": _first_time(
            timeline, burst_start - load_start, lambda n: n > settings["minimum"]
        )
        if scaled
        else None,
        "time_to_maximum_s": _first_time(
            timeline, burst_start - load_start, lambda n: n >= settings["maximum"]
        )
        if scaled
        else None,
        "time_to_scale_down_s": _first_time(
            timeline, burst_end - load_start, lambda n: n <= settings["minimum"]
        )
        if scaled
        else None,
        "worker_seconds": _integral(timeline, load_end - load_start),
        "max_workers": max((n for _, n in timeline), default=start_workers),
        "min_workers": min((n for _, n in timeline), default=start_workers),
    }


def _first_time(timeline, since: float, condition) -> float | None:
    return next((t - since for t, n in timeline if t >= since and condition(n)), None)


def _integral(timeline, until: float) -> float:
    """Worker-seconds from the load's start to ``until`` (step function of the samples)."""
    total = 0.0
    for (t0, n0), (t1, _) in itertools.pairwise(timeline):
        if t0 >= until:
            break
        total += n0 * (min(t1, until) - t0)
    return total


class _WorkerSampler:
    """Connected worker count every ``period`` seconds, in a background thread."""

    def __init__(self, client: Any, period: float):
        self.client = client
        self.period = period
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-sampler", daemon=True)

    @staticmethod
    def now() -> float:
        return time.perf_counter()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                count = len(self.client.scheduler_info(n_workers=-1)["workers"])
            except Exception:  # the client is closing
                break
            self.samples.append((self.now(), count))
            self._stop.wait(self.period)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def wait_for(self, condition, timeout: float) -> bool:
        deadline = self.now() + timeout
        while self.now() < deadline:
            if self.samples and condition(self.samples[-1][1]):
                return True
            time.sleep(self.period)
        return False
