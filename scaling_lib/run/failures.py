"""What a point that does not finish is called: its timeout, and its status when it fails.

Usage::

    call_with_timeout(600, measure, point)         # PointTimeout past 600 s
    classify_failure(exc, session, since)          # ("oom", "KilledWorker"), ...
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from scaling_lib.run.clusters import ClusterSession

__all__ = ["PointTimeout", "call_with_timeout", "classify_failure"]


class PointTimeout(Exception):
    """A call ran past the spec's per-point timeout."""


def call_with_timeout(timeout: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a helper thread; raise PointTimeout if it outlives ``timeout``.

    A thread cannot be killed: after a timeout the caller restarts the cluster, which
    makes a Dask computation in that thread fail and the thread end.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="scaling-lib-measure", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise PointTimeout(f"ran past the per-point timeout of {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def classify_failure(exc: BaseException, session: ClusterSession, since: float) -> tuple[str, str]:
    """(status, error type) for a failed point."""
    from distributed import KilledWorker

    if isinstance(exc, PointTimeout):
        return "timeout", "PointTimeout"
    if isinstance(exc, MemoryError):
        return "oom", "MemoryError"
    if isinstance(exc, KilledWorker):
        # The message is the same for every kind of death; the scheduler's event log
        # tells an out-of-memory restart apart.
        with contextlib.suppress(Exception):
            events = session.client.get_events("worker-restart-memory")
            if any(ts >= since - 1 for ts, _ in events):
                return "oom", "KilledWorker"
        return "worker-lost", "KilledWorker"
    return "failed", type(exc).__name__
