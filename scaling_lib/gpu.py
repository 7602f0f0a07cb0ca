"""NVML sampling of GPU utilisation and memory while a run goes (GPU studies only).

Usage::

    with GpuSampler(devices=2) as gpu:     # imports pynvml here, not before
        ...                                # the timed run
    gpu.fields()  # {"gpu_utilization": 0.83, "gpu_memory_peak_bytes": ...}
    gpu_model()   # "NVIDIA H100 80GB HBM3", or None without a GPU

    before = client.run(device_spill_counters)   # on the workers; installs the counters
    ...                                          # the timed run
    after = client.run(device_spill_counters)
    device_spill_fields(before, after)  # {"gpu_bytes_spilled": ..., "gpu_bytes_unspilled": ...}

LocalCUDACluster puts worker i on device i of this host, so sampling devices
0..n-1 from the driver process sees exactly the point's GPUs.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

__all__ = ["GpuSampler", "device_spill_counters", "device_spill_fields", "gpu_model"]


@functools.cache
def gpu_model() -> str | None:
    """Name of device 0, or None when NVML or a GPU is missing (asked once per process)."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return None
    try:
        name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        return None
    finally:
        pynvml.nvmlShutdown()


class GpuSampler:
    """Samples every ``interval`` s: mean/max utilisation and peak used memory."""

    def __init__(self, devices: int, interval: float = 0.05):
        self.devices = devices
        self.interval = interval
        self.utilization: list[float] = []
        self.peak_memory = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GpuSampler:
        import pynvml

        self._nvml = pynvml
        pynvml.nvmlInit()
        self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(self.devices)]
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="gpu-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        self._nvml.nvmlShutdown()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        nvml = self._nvml
        rates = [nvml.nvmlDeviceGetUtilizationRates(h).gpu for h in self._handles]
        used = [nvml.nvmlDeviceGetMemoryInfo(h).used for h in self._handles]
        self.utilization.append(sum(rates) / (100.0 * len(rates)))
        self.peak_memory = max(self.peak_memory, max(used))

    def fields(self) -> dict[str, float | None]:
        u = self.utilization
        return {
            "gpu_utilization": sum(u) / len(u) if u else None,
            "gpu_memory_peak_bytes": self.peak_memory or None,
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
