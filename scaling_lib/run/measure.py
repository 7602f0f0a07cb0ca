"""The measurement protocol: the one place in scaling_lib that times anything.

Usage::

    m = measure_dask_run(client, workload, built, size, params, workers=session.workers)
    m["wall_s"], m["cpu_s"], m["bytes_transferred"], m["peak_memory_bytes"]

    b = measure_baseline_run(workload, local_inputs, size, params)

A Dask run is timed around ``workload.run`` only (inputs are prepared and persisted
before), inside a ``distributed.span`` whose fine performance metrics say where the
time went. What spans do not see (network transfer, spilling by the memory monitor)
comes from the scheduler's cumulative metrics and the workers' counters, read
before and after; heartbeats are forced so both readings are current. Peak memory
per worker comes from each worker's own system monitor.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import psutil

from scaling_lib.run.gpu import (
    device_spill_counters,
    device_spill_fields,
    gpu_monitor_fields,
    gpu_monitor_samples,
)
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = ["MEASUREMENT_FIELDS", "measure_baseline_run", "measure_dask_run"]

# Activities of Dask's fine performance metrics, and the record field each adds to.
_SECONDS_FIELDS = {
    "thread-cpu": "cpu_s",
    "thread-noncpu": "noncpu_s",
    "executor": "executor_s",
    "other": "other_s",
    "idle or other spans": "idle_s",
    "disk-read": "disk_read_s",
    "disk-write": "disk_write_s",
    "serialize": "serialize_s",
    "deserialize": "deserialize_s",
    "compress": "compress_s",
    "decompress": "decompress_s",
    "network": "transfer_s",
}

# Read on the workers (scaling_lib.run.gpu); None where the workers have no GPU.
GPU_FIELDS = (
    "gpu_utilization",
    "gpu_memory_peak_bytes",
    "gpu_bytes_spilled",
    "gpu_bytes_unspilled",
)

MEASUREMENT_FIELDS = (
    "wall_s",
    "compute_s",
    *sorted(set(_SECONDS_FIELDS.values())),
    "p2p_s",
    "task_count",
    "bytes_transferred",
    "bytes_spilled",
    "bytes_read_disk",
    "peak_memory_bytes",
    "peak_memory_sum_bytes",
    "memory_before_bytes",
    "work_items",
    "work_unit",
    "throughput",
    "flops",
    "bytes_processed",
    "check",
    "metrics",
    *GPU_FIELDS,
)


def measure_dask_run(
    client: Any,
    workload: Workload,
    built: Any,
    size: float,
    params: Mapping[str, Any],
    *,
    workers: Sequence[str] | None = None,
    tracer: Any = None,
) -> dict[str, Any]:
    """Time one run of ``workload`` on ``client`` and collect Dask's metrics for it.

    With a ``tracer`` (``trace_capture.RunTracer``) the run's task graph is recorded
    by a scheduler plugin installed before the timer starts and read after it stops;
    the trace is left in ``tracer.last``.

    GPU figures come from the workers themselves, whatever the backend: utilisation
    and device memory from each worker's system monitor (where NVML sees a GPU), and
    the bytes dask-cuda spills from device to host memory and back. None without them.
    """
    from distributed import span

    workers = list(workers) if workers else None
    _force_heartbeat(client, workers)
    before_sched = client.run_on_scheduler(_scheduler_metrics)
    before_workers = client.run(_worker_counters, workers=workers)

    if tracer is not None:
        tracer.begin()
    try:
        with span(f"scaling-lib-{uuid.uuid4().hex[:8]}") as span_id:
            start = time.perf_counter()
            work = workload.run(client, built, size, params)
            wall = time.perf_counter() - start
    except BaseException:
        if tracer is not None:
            tracer.discard()
        raise
    if tracer is not None:
        tracer.end()

    _force_heartbeat(client, workers)
    after_sched = client.run_on_scheduler(_scheduler_metrics)
    span_metrics, task_count = client.run_on_scheduler(_span_metrics, span_id=span_id)
    since = {w: c["now"] for w, c in before_workers.items()}
    transfers = client.run(_bytes_received, since=since, workers=workers)
    after_workers = client.run(
        _worker_readings,
        since={w: c["monitor_count"] for w, c in before_workers.items()},
        workers=workers,
    )
    peaks = {w: r["memory_peak"] for w, r in after_workers.items()}

    out_of_span = {
        k: after_sched.get(k, 0.0) - before_sched.get(k, 0.0)
        for k in after_sched
        if after_sched.get(k, 0.0) != before_sched.get(k, 0.0)
    }
    record = _fold_metrics(span_metrics, out_of_span)
    record.update(
        wall_s=wall,
        task_count=task_count,
        bytes_transferred=sum(transfers.values()),
        peak_memory_bytes=max(peaks.values(), default=0),
        peak_memory_sum_bytes=sum(peaks.values()),
        memory_before_bytes=max((c["memory"] for c in before_workers.values()), default=0),
    )
    record.update(gpu_monitor_fields({w: r["gpu"] for w, r in after_workers.items()}))
    record.update(
        device_spill_fields(
            {w: c["device_spill"] for w, c in before_workers.items()},
            {w: r["device_spill"] for w, r in after_workers.items()},
        )
    )
    record.update(_work_fields(work, wall))
    steps = record["metrics"].get("steps")
    if steps:
        # Per-step communication of iterative workloads (training), beside their own
        # analytic expectation in metrics.
        record["metrics"]["bytes_per_step"] = record["bytes_transferred"] / steps
    return record


def measure_baseline_run(
    workload: Workload, inputs: Any, size: float, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Time the single-process (plain NumPy/pandas) version in this process."""
    with _RssPeak() as rss:
        start = time.perf_counter()
        cpu_start = time.process_time()
        work = workload.baseline(inputs, size, params)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    record = dict.fromkeys(MEASUREMENT_FIELDS)
    record.update(
        wall_s=wall,
        compute_s=cpu,
        cpu_s=cpu,
        task_count=0,
        bytes_transferred=0,
        bytes_spilled=0,
        peak_memory_bytes=rss.peak,
        peak_memory_sum_bytes=rss.peak,
        memory_before_bytes=rss.before,
    )
    record.update(_work_fields(work, wall))
    return record


# -- pieces run on the scheduler and the workers ------------------------------------------


def _scheduler_metrics(dask_scheduler: Any) -> dict[tuple, float]:
    # Only the metrics that spans do not attribute (transfers, memory-monitor spills).
    return {
        k: v
        for k, v in dask_scheduler.cumulative_worker_metrics.items()
        if isinstance(k, tuple) and k[0] != "execute"
    }


def _span_metrics(dask_scheduler: Any, span_id: str) -> tuple[dict[tuple, float], int]:
    span = dask_scheduler.extensions["spans"].spans[span_id]
    return dict(span.cumulative_worker_metrics), int(sum(span.states.values()))


def _worker_counters(dask_worker: Any) -> dict[str, Any]:
    monitor = dask_worker.monitor
    return {
        # On the worker's clock, as its transfer log is.
        "now": time.time() + dask_worker.scheduler_delay,
        "monitor_count": monitor.count,
        "memory": monitor.proc.memory_info().rss,
        "device_spill": device_spill_counters(dask_worker),
    }


def _worker_readings(dask_worker: Any, since: Mapping[str, int]) -> dict[str, Any]:
    # After the run, in one round trip: memory peak, GPU samples, device spill totals.
    return {
        "memory_peak": _memory_peak(dask_worker, since),
        "gpu": gpu_monitor_samples(dask_worker, since),
        "device_spill": device_spill_counters(dask_worker),
    }


def _bytes_received(dask_worker: Any, since: Mapping[str, float]) -> int:
    # Bytes this worker fetched from other workers. Counting what workers *send*
    # would also count results sent to the client.
    start = since.get(dask_worker.address, float("inf"))
    return int(sum(t["total"] for t in dask_worker.transfer_incoming_log if t["start"] >= start))


def _memory_peak(dask_worker: Any, since: Mapping[str, int]) -> int:
    monitor = dask_worker.monitor
    samples = monitor.range_query(start=since.get(dask_worker.address, monitor.count))["memory"]
    now = monitor.proc.memory_info().rss
    return int(max([s for s in samples if s is not None] + [now]))


def _force_heartbeat(client: Any, workers: list[str] | None) -> None:
    # Metrics reach the scheduler on heartbeats; ask for one instead of sleeping.
    async def beat(dask_worker: Any) -> None:
        await dask_worker.heartbeat()

    client.run(beat, workers=workers)


# -- folding metrics into record fields ----------------------------------------------------


def _fold_metrics(
    span_metrics: Mapping[tuple, float], out_of_span: Mapping[tuple, float]
) -> dict[str, Any]:
    seconds: dict[str, float] = defaultdict(float)
    p2p_seconds = 0.0
    disk_read_bytes = disk_write_bytes = 0.0
    for metrics in (span_metrics, out_of_span):
        for key, value in metrics.items():
            activity, unit = key[-2], key[-1]
            if key[0] == "p2p" and unit == "seconds":
                p2p_seconds += value
                continue
            if unit == "seconds" and activity in _SECONDS_FIELDS:
                seconds[_SECONDS_FIELDS[activity]] += value
            elif unit == "bytes" and activity == "disk-write":
                disk_write_bytes += value
            elif unit == "bytes" and activity == "disk-read":
                disk_read_bytes += value
    record: dict[str, Any] = {f: 0.0 for f in _SECONDS_FIELDS.values()}
    record.update(seconds)
    record["compute_s"] = record["cpu_s"] + record["noncpu_s"]
    record["p2p_s"] = p2p_seconds
    record["bytes_spilled"] = disk_write_bytes
    record["bytes_read_disk"] = disk_read_bytes
    return record


def _work_fields(work: WorkDone, wall: float) -> dict[str, Any]:
    if not isinstance(work, WorkDone):
        from scaling_lib.workloads.registry import as_work_done

        work = as_work_done(work, 0, "items")
    return {
        "work_items": work.items,
        "work_unit": work.unit,
        "throughput": work.items / wall if wall > 0 else None,
        "flops": work.flops,
        "bytes_processed": work.bytes,
        "check": work.check,
        "metrics": dict(work.extra),
    }


class _RssPeak:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self.before = self.peak = self._proc.memory_info().rss

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> _RssPeak:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def measure_host_limits(*, matrix: int = 2048, copy_bytes: int = 2**29, repeats: int = 3) -> dict:
    """This host's ceilings: peak FLOP/s (matrix product) and memory bandwidth (large copy).

    Usage::

        ceilings = measure_host_limits()
        ceilings["peak_flops"], ceilings["peak_flops_per_core"], ceilings["bandwidth_bytes_s"]

    Dask workers run BLAS single-threaded (the nanny sets OMP_NUM_THREADS=1), so the
    ceiling of a Dask run is ``peak_flops_per_core`` times its threads; ``peak_flops``
    (all cores) is the ceiling of the single-process baseline. Best of ``repeats``.
    """
    import os

    import numpy as np
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((matrix, matrix))

    def best_matmul() -> float:
        a @ a  # warm-up
        best = min(_timed(lambda: a @ a) for _ in range(repeats))
        return 2.0 * matrix**3 / best

    all_cores = best_matmul()
    with threadpool_limits(limits=1):
        one_core = best_matmul()
    src = np.ones(copy_bytes // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy = min(_timed(lambda: np.copyto(dst, src)) for _ in range(repeats))
    return {
        "peak_flops": all_cores,
        "peak_flops_per_core": one_core,
        "bandwidth_bytes_s": 2.0 * src.nbytes / copy,  # read + write
        "cores": os.cpu_count(),
        "method": f"float64 {matrix}x{matrix} matmul (1 thread and all), "
        f"{copy_bytes // 2**20} MiB copy; best of {repeats}",
    }


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
