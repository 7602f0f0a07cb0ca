"""Running a study: the loop over points, failure capture, resume and progress.

Usage::

    summary = run_study("examples/quick.yaml", results="data/results")
    summary.statuses        # Counter({"ok": 18})

Points already in the store are skipped, so a killed sweep continues where it stopped
(a point's records are written together, after its last repeat, so a point is stored
whole or not at all). A point that raises, times out, loses a worker or runs out of
memory is recorded with its status and reason, the workers get a clean slate (a
cluster class's workers are restarted in place, its jobs kept; see
``ClusterSession.restart``), and the sweep goes on. Nothing recorded is ever rewritten.
A spec with a ``dataset`` has it described and checked before anything is written
(``workloads/dataset.py``), and its records carry the dataset's facts.
"""

from __future__ import annotations

import contextlib
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import yaml
from dask.utils import format_bytes

from scaling_lib.errors import ClusterError, StoreError
from scaling_lib.run.clusters import ClusterSession, open_cluster, oversubscribed
from scaling_lib.run.failures import PointTimeout, call_with_timeout, classify_failure
from scaling_lib.run.measure import (
    MEASUREMENT_FIELDS,
    measure_baseline_run,
    measure_dask_run,
    measure_host_limits,
)
from scaling_lib.run.plan import (
    Point,
    check_sizes_fit,
    input_bytes,
    pending_points,
    plan_points,
)
from scaling_lib.run.provenance import provenance
from scaling_lib.spec.datasets import check_same_dataset
from scaling_lib.spec.study import StudySpec, load_spec
from scaling_lib.store.records import (
    DEFAULT_RESULTS,
    HOST_LIMITS_DOCUMENT,
    SCHEMA_VERSION,
    ResultsStore,
)
from scaling_lib.store.traces import save_trace
from scaling_lib.workloads import Workload, get_workload
from scaling_lib.workloads.dataset import DatasetWorkload, dataset_fields

__all__ = ["STATUSES", "SweepSummary", "run_study"]

STATUSES = ("ok", "failed", "oom", "timeout", "worker-lost")
_ERROR_TEXT_LIMIT = 2000


@dataclass
class SweepSummary:
    """What one ``run_study`` call did."""

    study: str
    results: str
    planned: int
    skipped: int
    measured: int = 0
    statuses: Counter = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "no runs"
        return (
            f"study {self.study!r}: {self.measured} points measured ({counts}), "
            f"{self.skipped} already recorded, in {self.elapsed_s:.1f} s -> {self.results}"
        )


def run_study(
    spec: StudySpec | Mapping[str, Any] | str,
    *,
    results: str = DEFAULT_RESULTS,
    progress: bool = True,
    retry_failed: bool = False,
    log: Callable[[str], None] | None = None,
    only: tuple[float, int] | None = None,
) -> SweepSummary:
    """Measure every pending point of ``spec`` and append the records to ``results``.

    ``only=(size, workers)`` measures that one point of the study, whether or not the
    spec lists it (what an adaptive sweep takes next); if it is recorded already, its
    runs are measured again and numbered on from the recorded ones (a repeat)."""
    spec = saved = load_spec(spec)
    if only is not None:
        spec = spec.with_changes(sizes=[float(only[0])], workers=[int(only[1])], baseline=False)
    workload = get_workload(spec.workload)
    store = ResultsStore(results)
    if spec.dataset is not None:
        # Described and checked before anything is written or started (SpecError).
        workload = DatasetWorkload.for_sizes(workload, spec.dataset, spec.sizes)
        if store.has_study(spec.study):
            check_same_dataset(store.records(spec.study), workload.info)
        for line in workload.plan_lines():  # which partitions each size reads, first
            (log or print)(line)
    check_sizes_fit(spec, workload, log)
    todo, skipped = pending_points(
        spec, store, has_baseline=workload.has_baseline, retry_failed=retry_failed
    )
    offsets: dict[str, int] = {}
    if only is not None and not todo:  # a repeat: the same point, its runs numbered on
        todo, skipped = plan_points(spec, has_baseline=False), 0
        taken = Counter(r["point_id"] for r in store.records(spec.study))
        offsets = {p.point_id: taken[p.point_id] for p in todo}
    summary = SweepSummary(
        study=spec.study, results=store.root, planned=len(todo) + skipped, skipped=skipped
    )
    if only is None or not store.has_study(spec.study):
        store.save_spec(spec.study, yaml.safe_dump(saved.to_dict(), sort_keys=False))
    host_limits_once(spec, store, log)
    started = time.perf_counter()
    runner = _PointRunner(spec, workload, store, run_id=uuid.uuid4().hex[:12])
    runner.repeat_offsets = offsets

    from tqdm.auto import tqdm

    with tqdm(total=len(todo), disable=not progress, unit="point", desc=spec.study) as bar:
        say = log or bar.write
        for n_workers, group in groupby(todo, key=lambda p: p.n_workers):
            points = list(group)
            if n_workers == 0:
                for point in points:
                    runner.record(point, runner.measure_baseline(point), bar, summary)
                continue
            with runner.cluster(n_workers, say) as session:
                for point in points:
                    records = runner.measure_on_cluster(session, point)
                    runner.record(point, records, bar, summary)
                    if records[-1]["status"] != "ok":
                        # Stored first, then a clean slate: dead, paused or polluted workers.
                        how = runner.restart(session, point)
                        say(f"point {point.point_id} {records[-1]['status']}: {how}")
    summary.elapsed_s = time.perf_counter() - started
    return summary


class _PointRunner:
    """Measures points one at a time and turns outcomes into records."""

    def __init__(self, spec: StudySpec, workload: Workload, store: ResultsStore, run_id: str):
        self.spec = spec
        self.workload = workload
        self.store = store
        self.run_id = run_id
        self.params = dict(spec.params)
        # Measured once per cluster and once per point, stored on every record of them.
        self.cluster_start_s: float | None = None
        self.prepare_s: float | None = None
        self.repeat_offsets: dict[str, int] = {}  # a repeated point's runs number on

    @contextlib.contextmanager
    def cluster(self, n_workers: int, say: Callable[[str], None]):
        opening = time.perf_counter()
        session = open_cluster(
            self.spec.cluster,
            n_workers=n_workers,
            threads_per_worker=self.spec.threads_per_worker,
            memory_limit=self.spec.memory_limit,
        )
        # What a job pays before its first task: part of its cost (recommend adds it).
        self.cluster_start_s = time.perf_counter() - opening
        if self.spec.cluster.backend in ("address", "class"):
            where = f"{self.spec.cluster.kind} ({session.client.scheduler.address})"
        else:
            where = f"{self.spec.cluster.kind}, {format_bytes(self.spec.memory_limit)} per worker"
        say(
            f"cluster: {n_workers} worker(s) x {self.spec.threads_per_worker} thread(s) on "
            f"{where}; dashboard {session.dashboard_link}"
        )
        try:
            yield session
        finally:
            session.close()

    def record(self, point: Point, records: list[dict], bar: Any, summary: SweepSummary) -> None:
        self.store.append(self.spec.study, point.point_id, records)
        summary.measured += 1
        summary.statuses.update(r["status"] for r in records)
        bar.set_postfix_str(f"{point.size:g} x {point.n_workers}w: {records[-1]['status']}")
        bar.update()

    # -- one point ----------------------------------------------------------------------
    def measure_on_cluster(self, session: ClusterSession, point: Point) -> list[dict]:
        records: list[dict] = []
        started = time.time()
        inputs = None
        self.prepare_s = None
        timeout = self.spec.timeout_s
        wl, size, params = self.workload, point.size, self.params
        gpu_model = self._gpu_model(session)
        tracer = None
        if self.spec.trace:
            from scaling_lib.run.trace_capture import (
                RunTracer,  # imports distributed: only when measuring
            )

            tracer = RunTracer(session.client, session.workers)
        try:
            with session.confined():
                preparing = time.perf_counter()
                inputs = call_with_timeout(timeout, wl.prepare, session.client, size, params)
                built = wl.build(session.client, inputs, size, params)
                self.prepare_s = time.perf_counter() - preparing
                for repeat in range(-self.spec.warmup, self.spec.repeats):
                    measurement = call_with_timeout(
                        timeout,
                        measure_dask_run,
                        session.client,
                        wl,
                        built,
                        size,
                        params,
                        workers=session.workers,
                        tracer=tracer,
                    )
                    if repeat >= 0:  # warm-up runs are not recorded
                        repeat += self.repeat_offsets.get(point.point_id, 0)
                        record = self._record(
                            point, repeat, session, measurement, gpu_model=gpu_model
                        )
                        record["trace_file"] = self._save_trace(point, repeat, tracer)
                        records.append(record)
        except Exception as exc:
            status, error_type = classify_failure(exc, session, started)
            records.append(
                self._record(
                    point,
                    len(records),
                    session,
                    None,
                    status,
                    error_type,
                    str(exc),
                    gpu_model=gpu_model,
                )
            )
        finally:
            with contextlib.suppress(Exception):
                wl.release(inputs)
        return records

    def measure_baseline(self, point: Point) -> list[dict]:
        records: list[dict] = []
        wl, size, params = self.workload, point.size, self.params
        try:
            inputs = call_with_timeout(self.spec.timeout_s, wl.baseline_inputs, size, params)
            for repeat in range(-self.spec.warmup, self.spec.repeats):
                measurement = call_with_timeout(
                    self.spec.timeout_s, measure_baseline_run, wl, inputs, size, params
                )
                if repeat >= 0:
                    records.append(self._record(point, repeat, None, measurement))
        except Exception as exc:
            status = (
                "timeout"
                if isinstance(exc, PointTimeout)
                else ("oom" if isinstance(exc, MemoryError) else "failed")
            )
            records.append(
                self._record(point, len(records), None, None, status, type(exc).__name__, str(exc))
            )
        return records

    def _save_trace(self, point: Point, repeat: int, tracer: Any) -> str | None:
        """Write the repeat's task trace before its record (a record never names a file
        that is not there); a trace that cannot be written costs the trace, not the run."""
        if tracer is None or tracer.last is None:
            return None
        try:
            return save_trace(self.store, point.study, point.point_id, repeat, tracer.last)
        except StoreError as exc:
            warnings.warn(f"task trace not saved: {exc}", RuntimeWarning, stacklevel=2)
            return None
        finally:
            tracer.last = None

    @staticmethod
    def _gpu_model(session: ClusterSession) -> str | None:
        """The GPU model the point's workers report (their system monitors, where NVML
        sees a GPU, whatever the backend); None without one."""
        from scaling_lib.run.gpu import gpu_name

        try:
            names = session.client.run(gpu_name, workers=session.workers)
        except Exception:  # a worker gone: the point's own failure will say so
            return None
        return next((n for _, n in sorted(names.items()) if n), None)

    def restart(self, session: ClusterSession, point: Point) -> str:
        try:
            return session.restart()
        except ClusterError:
            raise
        except Exception as exc:
            raise ClusterError(
                f"could not restart the cluster after point {point.point_id}: {exc}"
            ) from exc

    def _record(
        self,
        point: Point,
        repeat: int,
        session: ClusterSession | None,
        measurement: Mapping[str, Any] | None,
        status: str = "ok",
        error_type: str | None = None,
        error_message: str | None = None,
        *,
        gpu_model: str | None = None,
    ) -> dict[str, Any]:
        prov = provenance()
        backend = session.backend if session else "cpu"
        record = {
            "schema_version": SCHEMA_VERSION,
            "study": point.study,
            "point_id": point.point_id,
            "run_id": self.run_id,
            "repeat": repeat,
            "timestamp": datetime.now(UTC).isoformat(),
            "workload": point.workload,
            "params": dict(point.params),
            "size": point.size,
            "size_unit": self.workload.size_unit,
            "n_workers": point.n_workers,
            "threads_per_worker": point.threads_per_worker if session else 1,
            "memory_limit_bytes": point.memory_limit if session else None,
            "backend": backend,
            "cluster_kind": point.cluster_kind,
            "runner": point.runner,
            "precision": point.params.get("precision"),
            "oversubscribed": bool(
                session
                and oversubscribed(
                    point.n_workers, point.threads_per_worker, self.spec.cluster.backend
                )
            ),
            "status": status,
            "error_type": error_type,
            "error_message": (error_message or None) and error_message[:_ERROR_TEXT_LIMIT],
            "trace_file": None,
            # Seconds to start this worker count's cluster, and to prepare this point's
            # inputs (generate, load, persist): what a job pays besides its run.
            "cluster_start_s": self.cluster_start_s if session else None,
            "prepare_s": self.prepare_s if session else None,
            # The workload's own accounting of its input: what per-worker memory is
            # modelled against (analysis.memory).
            "input_bytes": input_bytes(self.workload, point.size, point.params),
            **dataset_fields(self.workload, point.size),
        }
        record.update(measurement or dict.fromkeys(MEASUREMENT_FIELDS))
        record.update(
            host=prov["host"],
            host_cores=prov["host_cores"],
            host_memory_bytes=prov["host_memory_bytes"],
            gpu_model=gpu_model,
            git_commit=prov["git_commit"],
            versions=prov["versions"],
        )
        return record


def host_limits_once(
    spec: StudySpec, store: ResultsStore, log: Callable[[str], None] | None
) -> None:
    """Measure this host's limits (peak FLOP/s, memory bandwidth) once per study, for the
    roofline; local clusters only: a remote cluster's hosts are not this one. Kept beside the
    records (``HOST_LIMITS_DOCUMENT``)."""
    if not spec.calibrate or spec.cluster.backend not in ("local", "cuda"):
        return
    if store.load_json(spec.study, HOST_LIMITS_DOCUMENT) is not None:
        return
    limits = measure_host_limits()
    limits["host"] = provenance()["host"]
    store.save_json(spec.study, HOST_LIMITS_DOCUMENT, limits)
    if log:
        log(
            f"this host's limits: {limits['peak_flops_per_core'] / 1e9:.1f} GFLOP/s per "
            f"core, {limits['bandwidth_bytes_s'] / 1e9:.1f} GB/s memory bandwidth"
        )
