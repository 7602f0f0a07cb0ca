"""Custom workloads, each with one bottleneck planted, for the diagnosis's real-run
tests. Their tasks sleep or loop in Python rather than compute in C, so what each
costs is set by the plant, not by this machine's cores."""

from __future__ import annotations

import time

import numpy as np


def _sleep(seconds: float) -> float:
    time.sleep(seconds)  # releases the GIL: tasks on two workers overlap on any host
    return seconds


def serial_section(client, size, serial_s=1.0, task_s=0.1):
    """The driver's serial step (``serial_s`` on the client), then ``size`` tasks of
    ``task_s`` spread over the workers."""
    time.sleep(serial_s)
    client.gather(client.map(_sleep, [task_s] * int(size), pure=False))


def _python_loop(n: int) -> int:
    total = 0
    for i in range(n):  # pure Python: holds the GIL throughout
        total += i * i
    return total


def gil_bound(client, size, loop=400_000):
    """``size`` tasks of a pure-Python loop: threads of one worker take turns."""
    client.gather(client.map(_python_loop, [int(loop)] * int(size), pure=False))


def _block(megabytes: float) -> np.ndarray:
    return np.ones(int(megabytes * 2**20 / 8))


def _total(block: np.ndarray) -> float:
    return float(block.sum())


def transfer_bound(client, size, megabytes=40):
    """``size`` blocks made on the first worker and summed on the last: every block
    crosses between them."""
    workers = sorted(client.scheduler_info()["workers"])
    blocks = [
        client.submit(_block, megabytes, workers=[workers[0]], pure=False) for _ in range(int(size))
    ]
    sums = [client.submit(_total, b, workers=[workers[-1]], pure=False) for b in blocks]
    client.gather(sums)
