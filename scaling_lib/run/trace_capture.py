"""Record the task graph of a measured run as it ran, through Dask's own hooks.

Usage::

    tracer = RunTracer(client, workers)
    tracer.begin()                      # before the timer: a scheduler plugin starts recording
    work = workload.run(client, built, size, params)
    trace = tracer.end()                # after the timer: a TaskTrace (also tracer.last)

Nothing runs inside the tasks. On the scheduler, a plugin (``TaskTraceRecorder``) sees
every transition: when a task becomes ``processing`` it notes the time (it is runnable
from then), and on ``processing -> memory`` it keeps the fields Dask's finish message
carries (``worker``, ``thread``, ``nbytes``, ``startstops``) with the task's group,
prefix, dependencies and priority, read while the scheduler still knows the task.
Dependencies that were not computed in the window are the run's inputs (data persisted
before the timer); the plugin notes their size and where they were held when their
first consumer became processing, before any worker fetched them. Transfers come
from each worker's incoming transfer log (source, bytes, start, stop), whose length is
raised for the run so long runs keep every row. All times are on the scheduler's clock
(Dask corrects worker times by each worker's measured offset).

The plugin is added on the scheduler by ``run_on_scheduler``, so any backend works
(a local cluster, an existing scheduler, a SLURM or Kubernetes cluster), and it is
removed again by ``end``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

__all__ = ["MAX_TRACED_TASKS", "RunTracer", "TaskTraceRecorder"]

# A trace costs ~300 bytes of scheduler memory per task while it is recorded; beyond
# this many tasks the recorder stops and says the trace is truncated.
MAX_TRACED_TASKS = 2_000_000
# Worker transfer logs keep 1,000 entries by default (distributed.admin.low-level-log-length).
TRANSFER_LOG_LENGTH = 1_000_000


class TaskTraceRecorder(SchedulerPlugin):
    """Scheduler plugin: one row per task finished while it is installed."""

    def __init__(self, scheduler: Any, name: str):
        self.scheduler = scheduler
        self.name = name
        self.started = time.time()
        self.cpu_started = time.thread_time()  # the scheduler event loop's thread
        self.submitted: float | None = None
        self.runnable: dict[Any, float] = {}
        self.tasks: list[tuple] = []
        self.computed: set[Any] = set()
        self.inputs: dict[Any, tuple] = {}
        self.truncated = False

    def update_graph(self, scheduler: Any, **kwargs: Any) -> None:
        if self.submitted is None:
            self.submitted = time.time()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "processing":
            self.runnable[key] = time.time()
            self._note_inputs(key)
        elif start == "processing" and finish == "memory":
            if len(self.tasks) >= MAX_TRACED_TASKS:
                self.truncated = True
                return
            self._finished(key, kwargs)

    def _note_inputs(self, key: Any) -> None:
        """Where each input of ``key`` is held, read when ``key`` becomes processing:
        before its worker fetches anything. Read later (when ``key`` finishes), an input
        fetched by another worker meanwhile has two holders, and which one held it at
        the start can no longer be told."""
        ts = self.scheduler.tasks.get(key)
        if ts is None:
            return
        for dep in ts.dependencies:
            if dep.key not in self.computed and dep.key not in self.inputs:
                holders = sorted(ws.address for ws in dep.who_has or ())
                self.inputs[dep.key] = (
                    str(dep.key),
                    dep.group.name,
                    dep.prefix.name,
                    max(int(dep.nbytes), 0),
                    holders[0] if holders else None,
                    [int(p) for p in dep.priority or ()],
                )

    def _finished(self, key: Any, msg: dict[str, Any]) -> None:
        ts = self.scheduler.tasks.get(key)
        if ts is None:
            return
        compute = [s for s in msg.get("startstops", ()) if s.get("action") == "compute"]
        deps = [str(dep.key) for dep in ts.dependencies]
        self._note_inputs(key)  # inputs of a task seen only finishing (a trace begun late)
        self.computed.add(key)
        self.tasks.append(
            (
                str(key),
                ts.group.name,
                ts.prefix.name,
                deps,
                msg.get("worker"),
                msg.get("thread"),
                self.runnable.pop(key, None),
                min((s["start"] for s in compute), default=None),
                max((s["stop"] for s in compute), default=None),
                int(msg.get("nbytes") or 0),
                [int(p) for p in ts.priority or ()],
            )
        )

    def result(self) -> dict[str, Any]:
        workers = {ws.address: ws.nthreads for ws in self.scheduler.workers.values() if ws.nthreads}
        return {
            "tasks": self.tasks,
            # An input that a task of this window also computed was not an input after all.
            "inputs": [row for key, row in self.inputs.items() if key not in self.computed],
            "started": self.started,
            "submitted": self.submitted,
            "ended": time.time(),
            # The scheduler thread's CPU over the window: its cost per task, with the
            # plugin's own share in it (an upper bound on Dask's overhead).
            "scheduler_cpu_s": time.thread_time() - self.cpu_started,
            "workers": workers,
            "truncated": self.truncated,
        }


class RunTracer:
    """Client side: install the recorder before a run, collect the trace after it."""

    def __init__(self, client: Any, workers: Sequence[str] | None = None):
        self.client = client
        self.workers = list(workers) if workers else None
        self._name: str | None = None
        self._since: float | None = None
        self.last: Any = None

    def begin(self) -> None:
        self._name = f"scaling-lib-trace-{uuid.uuid4().hex[:8]}"
        self.client.run(_widen_transfer_log, workers=self.workers)
        self._since = self.client.run_on_scheduler(_install_recorder, name=self._name)

    def end(self) -> Any:
        """The run's TaskTrace (scaling_lib.store.traces); the recorder is removed first."""
        from scaling_lib.store.traces import TaskTrace

        if self._name is None:
            raise RuntimeError("RunTracer.end() without begin()")
        raw = self.client.run_on_scheduler(_remove_recorder, name=self._name)
        transfers = self.client.run(_incoming_transfers, since=self._since, workers=self.workers)
        self._name = None
        self.last = TaskTrace.from_capture(raw, transfers)
        return self.last

    def discard(self) -> None:
        """Remove the recorder after a run that failed (best effort: the cluster may be
        gone), keeping nothing."""
        name, self._name = self._name, None
        if name is not None:
            with contextlib.suppress(Exception):
                self.client.run_on_scheduler(_remove_recorder, name=name)


# -- run on the scheduler and the workers ----------------------------------------------------


def _install_recorder(dask_scheduler: Any, name: str) -> float:
    recorder = TaskTraceRecorder(dask_scheduler, name)
    dask_scheduler.add_plugin(recorder, name=name)
    return recorder.started


def _remove_recorder(dask_scheduler: Any, name: str) -> dict[str, Any]:
    recorder = dask_scheduler.plugins.get(name)
    if recorder is None:
        raise RuntimeError(f"the trace recorder {name} is not on the scheduler any more")
    dask_scheduler.remove_plugin(name=name)
    return recorder.result()


def _widen_transfer_log(dask_worker: Any) -> None:
    log = dask_worker.transfer_incoming_log
    if log.maxlen is not None and log.maxlen < TRANSFER_LOG_LENGTH:
        dask_worker.transfer_incoming_log = deque(log, maxlen=TRANSFER_LOG_LENGTH)


def _incoming_transfers(dask_worker: Any, since: float) -> list[tuple]:
    return [
        (
            entry["who"],
            dask_worker.address,
            float(entry["start"]),
            float(entry["stop"]),
            int(entry["total"]),
            [str(k) for k in entry["keys"]],
        )
        for entry in dask_worker.transfer_incoming_log
        if entry["start"] >= since
    ]
