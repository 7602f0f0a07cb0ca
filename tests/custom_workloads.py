"""Custom workloads the tests name in specs as ``tests.custom_workloads:<function>``.

They follow the same protocol a user's workload does: ``fn(client, size, **params)``.
"""

from __future__ import annotations

import time

import numpy as np


def _square_sum(i: int, n: int) -> float:
    return float((np.arange(n, dtype=np.float64) * i).sum())


def square_sum(client, size, tasks=4):
    """Small, quick Dask work: ``tasks`` tasks each summing ``size`` numbers."""
    futures = client.map(_square_sum, range(tasks), n=int(size), pure=False)
    total = client.submit(sum, futures).result()
    return {"items": size * tasks, "check": total}


def fail_at_size(client, size, bad_size=2):
    """Raises for one size, works for the others."""
    if size == bad_size:
        raise ValueError(f"planted failure at size {size}")
    return square_sum(client, size)


def _hog(megabytes: int) -> int:
    # Grow in steps so the nanny's memory monitor sees the worker pass its limit.
    held = []
    for _ in range(megabytes // 50):
        held.append(np.ones(50 * 2**20 // 8))
        time.sleep(0.02)
    return len(held)


def hog_memory(client, size):
    """Allocates ``size`` MiB inside one task: past a small memory limit, the worker dies."""
    return {"items": client.submit(_hog, int(size), pure=False).result()}


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def sleep_task(client, size):
    """One task that sleeps ``size`` seconds (for timeouts and for resume tests)."""
    return {"items": client.submit(_nap, float(size), pure=False).result()}
