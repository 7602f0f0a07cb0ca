"""GPU figures of a run, read on the workers (any backend: local, cuda, address, class).

Usage::

    before = client.run(lambda dask_worker: dask_worker.monitor.count)
    ...                                                   # the timed run
    samples = client.run(gpu_monitor_samples, since=before)
    gpu_monitor_fields(samples)  # {"gpu_utilization": 0.83, "gpu_memory_peak_bytes": ...}
    client.run(gpu_name)         # {"tcp://...": "NVIDIA H100 80GB HBM3" or None}

    before = client.run(device_spill_counters)   # on the workers; installs the counters
    ...                                          # the timed run
    after = client.run(device_spill_counters)
    device_spill_fields(before, after)  # {"gpu_bytes_spilled": ..., "gpu_bytes_unspilled": ...}

Every Dask worker runs a system monitor (``distributed.system_monitor.SystemMonitor``)
that, where NVML finds a GPU, samples that worker's device (the first one it is
allowed to see: dask-cuda gives each worker its own) every
``distributed.admin.system-monitor.interval``: ``gpu_utilization`` in percent and
``gpu_memory_used`` in bytes. Reading those samples on the workers gives the GPU
figures of workers anywhere (an existing cluster's, a SLURM job's), not the devices of
the machine running the sweep. Nothing here imports NVML.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "GPU_MONITOR_KEYS",
    "device_spill_counters",
    "device_spill_fields",
    "gpu_monitor_fields",
    "gpu_monitor_samples",
    "gpu_name",
]

# The system monitor's GPU quantities (present only where NVML found a GPU).
GPU_MONITOR_KEYS = ("gpu_utilization", "gpu_memory_used")


def gpu_name(dask_worker: Any) -> str | None:
    """This worker's GPU model as its monitor saw it at start; None without one."""
    return getattr(dask_worker.monitor, "gpu_name", None) or None


def gpu_monitor_samples(
    dask_worker: Any, since: Mapping[str, int]
) -> dict[str, list[float | None]]:
    """This worker's GPU samples since ``since[its address]`` ({} without a GPU).

    A run shorter than one monitor interval has no sample of its own: then one is
    taken now (``monitor.update``, what the worker's periodic callback calls), the
    reading closest to the run.
    """
    monitor = dask_worker.monitor
    if not all(k in monitor.quantities for k in GPU_MONITOR_KEYS):
        return {}
    start = since.get(dask_worker.address, monitor.count)
    if monitor.count <= start:
        monitor.update()
    samples = monitor.range_query(start=start)
    return {k: samples[k] for k in GPU_MONITOR_KEYS}


def gpu_monitor_fields(
    samples: Mapping[str, Mapping[str, Sequence[float | None]]],
) -> dict[str, float | None]:
    """Record fields from each worker's monitor samples (``range_query`` dicts).

    ``gpu_utilization``: the workers' mean utilisation over the run, as a fraction
    (each worker's mean, then the mean over workers, so every worker's device counts
    once whatever its sample count). ``gpu_memory_peak_bytes``: the most device memory any
    worker's device had in use. Both None where no worker sampled a GPU. Missing
    samples (None, as the monitor writes when a reading is not supported) are skipped.
    """
    means, peaks = [], []
    for quantities in samples.values():
        rates = [v for v in quantities.get("gpu_utilization") or () if v is not None]
        used = [v for v in quantities.get("gpu_memory_used") or () if v is not None]
        if rates:
            means.append(sum(rates) / (100.0 * len(rates)))
        if used:
            peaks.append(max(used))
    return {
        "gpu_utilization": sum(means) / len(means) if means else None,
        "gpu_memory_peak_bytes": int(max(peaks)) if peaks else None,
    }


def device_spill_counters(dask_worker: Any) -> dict[str, int] | None:
    """Bytes dask-cuda has moved device -> host and back on this worker (run on workers).

    A dask-cuda worker with a ``device_memory_limit`` keeps device objects in a
    ``zict.Buffer`` (``DeviceHostFile.device_buffer``) that moves the least recently
    used ones to host memory past the limit, and back when a task needs them. The
    first call hangs two counters on that buffer's callbacks; every call returns their
    running totals. None where the worker has no such buffer (spilling off, a CPU worker).
    """
    buffer = getattr(dask_worker.data, "device_buffer", None)
    if not hasattr(buffer, "fast_to_slow_callbacks"):
        return None
    counts = getattr(dask_worker, "_scaling_lib_device_spill", None)
    if counts is None:
        from dask.sizeof import sizeof

        counts = {"spilled": 0, "unspilled": 0}
        lock = threading.Lock()  # zict runs these callbacks outside its own lock

        def count(kind: str):
            def callback(key: Any, value: Any) -> None:
                with lock:
                    counts[kind] += int(sizeof(value))

            return callback

        buffer.fast_to_slow_callbacks.append(count("spilled"))
        buffer.slow_to_fast_callbacks.append(count("unspilled"))
        dask_worker._scaling_lib_device_spill = counts
    return dict(counts)


def device_spill_fields(
    before: dict[str, dict[str, int] | None], after: dict[str, dict[str, int] | None]
) -> dict[str, int | None]:
    """The run's device -> host (``gpu_bytes_spilled``) and back (``gpu_bytes_unspilled``)
    bytes, summed over workers; None when no worker spills device memory."""
    pairs = [(before.get(w), c) for w, c in after.items() if c is not None]
    if not pairs:
        return {"gpu_bytes_spilled": None, "gpu_bytes_unspilled": None}
    return {
        f"gpu_bytes_{kind}": sum(c[kind] - (b or {}).get(kind, 0) for b, c in pairs)
        for kind in ("spilled", "unspilled")
    }
