"""What guards a sweep: sizes that cannot fit refused before anything runs, the host
calibrated once, each point's timeout, and what a failure is called.

Usage::

    check_sizes_fit(spec, workload, log)           # SpecError naming sizes[i], or notes
    calibrate_once(spec, store, log)               # the roofline's ceilings, once a study
    call_with_timeout(600, measure, point)         # PointTimeout past 600 s
    classify_failure(exc, session, since)          # ("oom", "KilledWorker"), ...
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

import psutil
from dask.utils import format_bytes

from scaling_lib.errors import SpecError
from scaling_lib.run.clusters import ClusterSession
from scaling_lib.run.measure import calibrate_host
from scaling_lib.run.provenance import provenance
from scaling_lib.spec.study import StudySpec
from scaling_lib.store.records import ResultsStore
from scaling_lib.workloads import Workload

__all__ = [
    "PointTimeout",
    "calibrate_once",
    "call_with_timeout",
    "check_sizes_fit",
    "classify_failure",
    "input_bytes",
]


class PointTimeout(Exception):
    """A call ran past the spec's per-point timeout."""


def input_bytes(workload: Workload, size: float, params: Mapping[str, Any]) -> int | None:
    try:
        value = workload.input_bytes(size, params)
    except Exception:  # a custom workload's accounting failing must not lose the run
        return None
    return int(value) if value is not None and value > 0 else None


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


def calibrate_once(spec: StudySpec, store: ResultsStore, log: Callable[[str], None] | None) -> None:
    """Measure this host's ceilings once per study, for the roofline (local clusters only:
    a remote cluster's hosts are not this one)."""
    if not spec.calibrate or spec.cluster.backend not in ("local", "cuda"):
        return
    if store.load_json(spec.study, "calibration") is not None:
        return
    calibration = calibrate_host()
    calibration["host"] = provenance()["host"]
    store.save_json(spec.study, "calibration", calibration)
    if log:
        log(
            f"calibrated this host: {calibration['peak_flops_per_core'] / 1e9:.1f} GFLOP/s per "
            f"core, {calibration['bandwidth_bytes_s'] / 1e9:.1f} GB/s memory bandwidth"
        )


def check_sizes_fit(spec: StudySpec, workload: Workload, log: Callable[[str], None] | None) -> None:
    """Refuse sizes whose inputs exceed this host's memory (local clusters only)."""
    if spec.cluster.backend not in ("local", "cuda"):
        return
    host_memory = psutil.virtual_memory().total
    for i, size in enumerate(spec.sizes):
        needed = workload.input_bytes(size, spec.params)
        if needed is None:
            continue
        if needed > host_memory:
            raise SpecError(
                f"sizes[{i}]",
                f"{size:g} {workload.size_unit} needs about {format_bytes(needed)} of input, "
                f"more than this host's {format_bytes(host_memory)} of memory",
            )
        cluster_memory = min(spec.workers) * spec.memory_limit
        if needed > 0.5 * cluster_memory and log is not None:
            log(
                f"note: size {size:g} needs about {format_bytes(needed)} of input, over half of "
                f"{min(spec.workers)} x {format_bytes(spec.memory_limit)}: expect spilling"
            )
