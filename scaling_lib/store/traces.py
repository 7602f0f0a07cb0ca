"""Task traces: the graph of one measured run, stored beside its record as Parquet.

Usage::

    trace = load_trace("quick", point_id, repeat=0, results="data/results")
    trace.tasks        # one row per task: key, group, prefix, dependencies, worker, thread,
                       #   runnable, start, stop, nbytes, priority
    trace.transfers    # one row per transfer: source, worker, start, stop, nbytes, keys
    trace.inputs       # data in memory before the run: key, group, prefix, nbytes, worker
    trace.meta         # workers {address: threads}, started/submitted/ended, scheduler_cpu_s,
                       #   truncated

A trace is captured by ``scaling_lib.run.trace_capture.RunTracer`` and written by the sweep
to ``<study>/traces/<point_id>-r<repeat>-<id>.parquet``; the record's ``trace_file``
names it. One file per repeat, one table per file: a ``kind`` column says whether a row
is a task, a transfer or an input, and the columns a kind does not use are null. The
file's schema metadata carries ``meta`` as JSON. Times are seconds on the scheduler's
clock (absolute); ``start`` minus ``meta["submitted"]`` is the time into the run.

A trace file that is missing or cannot be read raises ``TraceError`` naming the file;
``load_traces`` warns (``CorruptTraceWarning``) and skips it, so the rest of a study
still analyses.
"""

from __future__ import annotations

import io
import json
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from scaling_lib.errors import StoreError

__all__ = ["CorruptTraceWarning", "TaskTrace", "TraceError", "load_trace", "load_traces"]

_TASK_COLUMNS = (
    "key",
    "group",
    "prefix",
    "dependencies",
    "worker",
    "thread",
    "runnable",
    "start",
    "stop",
    "nbytes",
    "priority",
)
_INPUT_COLUMNS = ("key", "group", "prefix", "nbytes", "worker", "priority")
_TRANSFER_COLUMNS = ("source", "worker", "start", "stop", "nbytes", "keys")


class TraceError(StoreError):
    """A task trace is missing or cannot be read (the message names the file)."""


class CorruptTraceWarning(UserWarning):
    """A trace file could not be read; it was skipped (and left in place)."""


@dataclass(frozen=True)
class TaskTrace:
    """The tasks, transfers and inputs of one measured run."""

    tasks: pd.DataFrame
    transfers: pd.DataFrame
    inputs: pd.DataFrame
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_capture(cls, raw: Mapping[str, Any], transfers: Mapping[str, list]) -> TaskTrace:
        """From the recorder's result and the workers' transfer rows (trace_capture)."""
        rows = [row for _, worker_rows in sorted(transfers.items()) for row in worker_rows]
        names = ("started", "submitted", "ended", "scheduler_cpu_s", "workers", "truncated")
        meta = {k: raw[k] for k in names}
        return cls(
            tasks=pd.DataFrame(raw["tasks"], columns=list(_TASK_COLUMNS)),
            transfers=pd.DataFrame(rows, columns=list(_TRANSFER_COLUMNS)),
            inputs=pd.DataFrame(raw["inputs"], columns=list(_INPUT_COLUMNS)),
            meta=meta,
        )

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    def to_parquet(self) -> bytes:
        """The trace as one Parquet file (bytes)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self._union(), schema=_schema(), preserve_index=False)
        table = table.replace_schema_metadata({"scaling_lib.trace": json.dumps(dict(self.meta))})
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()

    @classmethod
    def from_parquet(cls, payload: bytes) -> TaskTrace:
        """Read what ``to_parquet`` wrote; ValueError if it is not such a file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(payload))
            meta = json.loads((table.schema.metadata or {})[b"scaling_lib.trace"])
        except (pa.ArrowException, OSError, KeyError, ValueError) as exc:
            raise ValueError(f"not a scaling_lib task trace ({exc})") from exc
        missing = {f.name for f in _schema()} - set(table.column_names)
        if missing:
            raise ValueError(f"not a scaling_lib task trace (no columns {sorted(missing)})")
        df = table.to_pandas()
        for name in ("dependencies", "priority", "keys"):  # lists, as captured
            df[name] = [None if v is None else v.tolist() for v in df[name]]
        by_kind = {kind: part for kind, part in df.groupby("kind", sort=False)}
        empty = df.iloc[0:0]

        def part(kind: str, columns: tuple[str, ...]) -> pd.DataFrame:
            rows = by_kind.get(kind, empty)
            return rows.loc[:, list(columns)].reset_index(drop=True)

        return cls(
            tasks=part("task", _TASK_COLUMNS),
            transfers=part("transfer", _TRANSFER_COLUMNS),
            inputs=part("input", _INPUT_COLUMNS),
            meta=meta,
        )

    def _union(self) -> pd.DataFrame:
        parts = [
            self.tasks.assign(kind="task"),
            self.inputs.assign(kind="input"),
            self.transfers.assign(kind="transfer"),
        ]
        df = pd.concat([p for p in parts if len(p)], ignore_index=True)
        if df.empty:
            df = pd.DataFrame(columns=[f.name for f in _schema()])
        for name in (f.name for f in _schema()):
            if name not in df:
                df[name] = None
        # Lists stay lists; a missing list is null rather than NaN.
        for name in ("dependencies", "priority", "keys"):
            df[name] = [v if isinstance(v, (list, tuple)) else None for v in df[name]]
        for name in ("thread", "nbytes"):
            df[name] = pd.array([None if pd.isna(v) else int(v) for v in df[name]], dtype="Int64")
        return df[[f.name for f in _schema()]]


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("kind", pa.string()),
            ("key", pa.string()),
            ("group", pa.string()),
            ("prefix", pa.string()),
            ("dependencies", pa.list_(pa.string())),
            ("worker", pa.string()),
            ("source", pa.string()),
            ("thread", pa.int64()),
            ("runnable", pa.float64()),
            ("start", pa.float64()),
            ("stop", pa.float64()),
            ("nbytes", pa.int64()),
            ("priority", pa.list_(pa.int64())),
            ("keys", pa.list_(pa.string())),
        ]
    )


# -- the store ---------------------------------------------------------------------------


def save_trace(store: Any, study: str, point_id: str, repeat: int, trace: TaskTrace) -> str:
    """Write one repeat's trace beside the study's records; returns the record's
    ``trace_file`` (relative to the study folder)."""
    name = f"traces/{point_id}-r{repeat}-{uuid.uuid4().hex[:8]}.parquet"
    return store.write_file(study, name, trace.to_parquet())


def read_trace_file(store: Any, study: str, name: str) -> TaskTrace:
    """The trace at ``<study>/<name>``; TraceError naming the file if missing or corrupt."""
    where = f"{store.root}/{study}/{name}"
    try:
        payload = store.read_file(study, name)
    except FileNotFoundError as exc:
        raise TraceError(f"trace file {where} is missing") from exc
    except OSError as exc:
        raise TraceError(f"trace file {where} cannot be read: {exc}") from exc
    try:
        return TaskTrace.from_parquet(payload)
    except ValueError as exc:
        raise TraceError(f"trace file {where} is corrupt: {exc}") from exc


def load_trace(study: str, point_id: str, repeat: int = 0, results: Any = None) -> TaskTrace:
    """The trace of one repeat of one point (``results``: a path, URL or ResultsStore)."""
    store = _store(results)
    df = store.load_study(study)
    if df.empty or "trace_file" not in df:
        raise TraceError(f"study {study!r} in {store.root} has no task traces")
    rows = df[(df["point_id"] == point_id) & (df["repeat"] == repeat)]
    if rows.empty:
        raise TraceError(f"study {study!r} has no point {point_id!r} repeat {repeat}")
    name = rows["trace_file"].iloc[0]
    if not isinstance(name, str) or not name:
        raise TraceError(
            f"point {point_id!r} repeat {repeat} of study {study!r} was measured without "
            "a trace (trace: false in its spec, or a run that failed)"
        )
    return read_trace_file(store, study, name)


def load_traces(df: pd.DataFrame, results: Any = None) -> dict[tuple[str, int], TaskTrace]:
    """Every readable trace of the records in ``df`` (one study), keyed by (point, repeat).

    Missing or corrupt files warn (CorruptTraceWarning, naming the file) and are left
    out: the records themselves still analyse."""
    store = _store(results)
    out: dict[tuple[str, int], TaskTrace] = {}
    if "trace_file" not in df:
        return out
    for row in df.itertuples(index=False):
        name = getattr(row, "trace_file", None)
        if not isinstance(name, str) or not name:
            continue
        try:
            out[(row.point_id, int(row.repeat))] = read_trace_file(store, row.study, name)
        except TraceError as exc:
            warnings.warn(f"{exc}; skipped", CorruptTraceWarning, stacklevel=2)
    return out


def _store(results: Any) -> Any:
    from scaling_lib.store.records import DEFAULT_RESULTS, ResultsStore

    if isinstance(results, ResultsStore):
        return results
    return ResultsStore(results or DEFAULT_RESULTS)
