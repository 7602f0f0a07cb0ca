"""The results store: tidy, append-only records of measured runs, on disk or any fsspec URL.

Usage::

    store = ResultsStore("data/results")          # or "s3://bucket/results", "memory://x"
    store.append("quick", point_id, records)      # all repeats of one point, atomically
    df = store.load("quick")                      # a pandas DataFrame, one row per run
    df = load_results("data/results", study="quick")

Layout: ``<root>/<study>/records/<point_id>-<uuid>.json``, one file per measured point
(its repeats, or its failure), plus ``<root>/<study>/spec.yaml``. A file is written
under a temporary name and renamed into place, so a reader (the dashboard, a second
``load``) sees whole points or nothing, and a sweep killed mid-point leaves no partial
point behind. A file that cannot be read is reported by name and skipped: it never
hides the records around it, and nothing is ever deleted.

Object stores (``s3://``, ``gs://``): fsspec caches directory listings forever, so every
listing here drops that cache first and a point written by another process shows up on
the next ``load``/``record_files``. Files are fetched in one batched ``fs.cat`` (concurrent
requests on object stores). A record file is never rewritten, so its parsed records are
kept in a process-wide cache (bounded, thread-safe) keyed by store root and path: a
dashboard that polls, or several sessions reading the same study, parse each file once.
Local folders are listed again only when their mtime changes (``_LocalListings``).

This module depends on nothing else in the package but its errors.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import fsspec
import pandas as pd

from scaling_lib.errors import StoreError

__all__ = ["SCHEMA_VERSION", "CorruptRecordWarning", "ResultsStore", "load_results"]

SCHEMA_VERSION = 1
DEFAULT_RESULTS = "data/results"
# This host\'s measured limits (peak FLOP/s, memory bandwidth), beside a study\'s records;
# the document\'s name since the first stores.
HOST_LIMITS_DOCUMENT = "calibration"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_TMP_PREFIX = ".tmp-"
# About 6 KB per parsed record: the cache of parsed files holds at most ~300 MB.
PARSED_CACHE_RECORDS = 50_000


class CorruptRecordWarning(UserWarning):
    """A results file could not be read; it was skipped (and left in place)."""


def check_study_name(study: str) -> str:
    """Refuse names that could leave the store (``..``, separators) or carry markup."""
    if not isinstance(study, str) or not _SAFE_NAME.match(study) or ".." in study:
        raise StoreError(
            f"invalid study name {study!r}: use letters, digits, '_', '.' or '-' "
            "(no path separators or '..')"
        )
    return study


class ResultsStore:
    """A folder (local path or fsspec URL) of studies and their records."""

    def __init__(self, root: str = DEFAULT_RESULTS):
        self.root = str(root).rstrip("/")
        try:
            self.fs, self._path = fsspec.core.url_to_fs(self.root)
        except (ValueError, ImportError) as exc:
            raise StoreError(f"cannot open results store {self.root!r}: {exc}") from exc
        self._local = "file" in _protocols(self.fs)

    def __repr__(self) -> str:
        return f"ResultsStore({self.root!r})"

    # -- writing ----------------------------------------------------------------------
    def append(self, study: str, point_id: str, records: list[Mapping[str, Any]]) -> str:
        """Write all records of one point as one new file; returns its path."""
        folder = self._records_dir(study)
        name = f"{point_id}-{uuid.uuid4().hex[:12]}.json"
        payload = json.dumps(
            {"schema_version": SCHEMA_VERSION, "records": list(records)},
            default=_jsonable,
            allow_nan=True,
        ).encode()
        self._write_atomic(f"{folder}/{name}", payload)
        return f"{folder}/{name}"

    def save_spec(self, study: str, text: str) -> None:
        """Keep the spec that produced a study beside its records."""
        self._write_atomic(f"{self._study_dir(study)}/spec.yaml", text.encode())

    def save_json(self, study: str, name: str, value: Any) -> None:
        """A small JSON document beside a study's records (e.g. the host's limits)."""
        self._write_atomic(f"{self._study_dir(study)}/{name}.json", json.dumps(value).encode())

    def load_json(self, study: str, name: str) -> Any | None:
        """The document saved by ``save_json``, or None if there is none."""
        path = f"{self._study_dir(study)}/{name}.json"
        # Ask for the file itself: an existence check could answer from a stale listing.
        self.fs.invalidate_cache(path)
        try:
            return json.loads(self.fs.cat_file(path))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise StoreError(f"{path} is not valid JSON: {exc}") from exc

    def write_file(self, study: str, name: str, payload: bytes) -> str:
        """Write ``<study>/<name>`` atomically (e.g. ``traces/<point>.parquet``); returns
        ``name``, the path a record keeps (relative, so a copied store stays whole)."""
        self._write_atomic(f"{self._study_dir(study)}/{name}", payload)
        return name

    def read_file(self, study: str, name: str) -> bytes:
        """The bytes of ``<study>/<name>``; FileNotFoundError if it is not there."""
        path = f"{self._study_dir(study)}/{name}"
        self.fs.invalidate_cache(path)
        return self.fs.cat_file(path)

    def archive_notebook(self, study: str, notebook: Any) -> str:
        """Copy an executed notebook into ``<study>/notebooks/``; returns where it went."""
        from pathlib import Path

        source = Path(notebook)
        path = f"{self._study_dir(study)}/notebooks/{source.name}"
        self._write_atomic(path, source.read_bytes())
        return path

    def _write_atomic(self, path: str, payload: bytes) -> None:
        parent = path.rsplit("/", 1)[0]
        try:
            self.fs.makedirs(parent, exist_ok=True)
            if self._local:
                # Same folder, so the rename is atomic: readers never see half a file.
                tmp = f"{parent}/{_TMP_PREFIX}{uuid.uuid4().hex}"
                with self.fs.open(tmp, "wb") as fh:
                    fh.write(payload)
                self.fs.mv(tmp, path)
            else:
                # Object stores make a single PUT visible whole.
                self.fs.pipe_file(path, payload)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc}") from exc

    # -- reading ----------------------------------------------------------------------
    def studies(self) -> list[str]:
        """Names of the studies in the store, sorted (listed fresh)."""
        out = []
        for entry in self._ls_fresh(self._path, detail=True):
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            if entry["type"] == "directory" and _SAFE_NAME.match(name):
                out.append(name)
        return sorted(out)

    def has_study(self, study: str) -> bool:
        self.fs.invalidate_cache(self._records_dir(study))
        return self.fs.exists(self._records_dir(study))

    def record_files(self, study: str) -> list[str]:
        """Paths of a study's record files, sorted, listed fresh: a file that another
        process wrote a moment ago is in the list (object-store listing caches are
        dropped first). Empty if the study has no records."""
        folder = self._records_dir(study)
        if self._local:
            return _LISTINGS.record_files(folder)
        return sorted(p for p in self._ls_fresh(folder, detail=False) if _is_record_file(p))

    def read_records(self, paths: Sequence[str]) -> list[dict[str, Any]]:
        """The records of ``paths`` (from ``record_files``), in order; unreadable files
        warn (CorruptRecordWarning, naming the file) and are skipped, vanished ones are
        skipped silently. Files not parsed before are fetched in one batched request."""
        cached = {p: _PARSED.get((self.root, p)) for p in paths}
        missing = [p for p, recs in cached.items() if recs is None]
        if missing:
            try:
                fetched = self.fs.cat(missing, on_error="return")
            except FileNotFoundError:  # every one of them vanished
                fetched = {}
            for path, content in sorted(fetched.items()):
                records = self._parse(path, content)
                if records is not None:
                    _PARSED.put((self.root, path), records)
                    cached[path] = records
        out: list[dict[str, Any]] = []
        for path in paths:
            # Copies: callers may change their records without touching the shared cache.
            out.extend(dict(r) for r in cached.get(path) or ())
        return out

    def records(self, study: str | None = None) -> list[dict[str, Any]]:
        """Every readable record, of one study or all; unreadable files warn and are skipped."""
        studies = [check_study_name(study)] if study is not None else self.studies()
        out: list[dict[str, Any]] = []
        for name in studies:
            out.extend(self.read_records(self.record_files(name)))
        return out

    def _parse(self, path: str, content: bytes | Exception) -> list[dict[str, Any]] | None:
        """The records in one file's bytes; None (after a warning) if it cannot be read."""
        if isinstance(content, FileNotFoundError):
            return None  # removed since it was listed
        if isinstance(content, Exception):  # the fetch itself failed (permissions, network)
            _warn_unreadable(path, content)
            return None
        try:
            doc = json.loads(content)
            version = doc["schema_version"]
            records = doc["records"]
            if not isinstance(records, list):
                raise TypeError("'records' is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            _warn_unreadable(path, exc)
            return None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {version}, newer than this scaling_lib "
                f"({SCHEMA_VERSION}): upgrade scaling_lib to read it"
            )
        return records

    def load_study(self, study: str) -> pd.DataFrame:
        """The records of one study; a StoreError naming the known studies if it has none."""
        df = self.load(study)
        if df.empty:
            known = ", ".join(self.studies()) or "none"
            raise StoreError(f"no study {study!r} in {self.root} (studies: {known})")
        return df

    def load(self, study: str | None = None) -> pd.DataFrame:
        """One row per measured run; ``params`` flattened into ``param.<name>`` columns."""
        return records_to_frame(self.records(study))

    def point_ids(self, study: str, statuses: Iterable[str] | None = None) -> set[str]:
        """Points already recorded (optionally only those with every run in ``statuses``)."""
        by_point: dict[str, set[str]] = {}
        for rec in self.records(study):
            by_point.setdefault(rec["point_id"], set()).add(rec.get("status", "ok"))
        if statuses is None:
            return set(by_point)
        wanted = set(statuses)
        return {p for p, seen in by_point.items() if seen <= wanted}

    # -- paths --------------------------------------------------------------------------
    def _study_dir(self, study: str) -> str:
        return f"{self._path}/{check_study_name(study)}"

    def _records_dir(self, study: str) -> str:
        return f"{self._study_dir(study)}/records"

    def _ls_fresh(self, path: str, detail: bool) -> list:
        # fsspec's object-store listings are cached with no expiry: drop them first.
        self.fs.invalidate_cache(path)
        try:
            return self.fs.ls(path, detail=detail)
        except FileNotFoundError:
            return []


class _LocalListings:
    """Record files of local folders, listed again only when a folder has changed.

    A dashboard session polls every 2 s; ten sessions listing thousands of files each
    time cost a tenth of a core. Creating or renaming a file in a folder updates its
    mtime, so a listing stays valid while the mtime is unchanged, provided that mtime was
    already a second old when the listing was taken (a change within the same clock tick
    as the previous one could otherwise keep the same mtime).
    """

    def __init__(self, max_folders: int = 256):
        self.max_folders = max_folders
        self._lock = threading.Lock()
        self._folders: OrderedDict[str, tuple[int, list[str]]] = OrderedDict()

    def record_files(self, folder: str) -> list[str]:
        try:
            mtime = os.stat(folder).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            return []
        with self._lock:
            known = self._folders.get(folder)
        if known is not None and known[0] == mtime:
            return list(known[1])
        try:
            with os.scandir(folder) as entries:
                # The same names fs.ls gives, without its per-path normalisation (10x slower).
                files = sorted(f"{folder}/{e.name}" for e in entries if _is_record_file(e.name))
        except (FileNotFoundError, NotADirectoryError):
            return []
        if time.time_ns() - mtime > 1_000_000_000:
            with self._lock:
                self._folders[folder] = (mtime, files)
                self._folders.move_to_end(folder)
                while len(self._folders) > self.max_folders:
                    self._folders.popitem(last=False)
        return list(files)


class _ParsedFiles:
    """Parsed records by (store root, path), least recently used dropped first once more
    than ``max_records`` are held. Safe to share between threads (the dashboard's sessions)."""

    def __init__(self, max_records: int):
        self.max_records = max_records
        self._lock = threading.Lock()
        self._files: OrderedDict[tuple, list] = OrderedDict()
        self._count = 0

    def get(self, key: tuple) -> list | None:
        with self._lock:
            records = self._files.get(key)
            if records is not None:
                self._files.move_to_end(key)
            return records

    def put(self, key: tuple, records: list) -> None:
        with self._lock:
            if key in self._files:
                return
            self._files[key] = records
            self._count += len(records)
            while self._count > self.max_records and len(self._files) > 1:
                _, dropped = self._files.popitem(last=False)
                self._count -= len(dropped)


_PARSED = _ParsedFiles(PARSED_CACHE_RECORDS)
_LISTINGS = _LocalListings()


def records_to_frame(records: list[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy DataFrame of records: nested ``params``/``versions`` become flat columns."""
    rows = []
    for rec in records:
        row, nested = {}, []
        for key, value in rec.items():
            if _is_mapping(value):
                nested.append((key, value))
            else:
                row[key] = value
        for key, value in nested:
            row[key] = json.dumps(value, sort_keys=True, default=str)
            prefix = "param" if key == "params" else key.rstrip("s")
            for sub, subvalue in value.items():
                row[f"{prefix}.{sub}"] = subvalue
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "timestamp" in frame:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
        frame = frame.sort_values(["timestamp", "repeat"], kind="stable").reset_index(drop=True)
    return frame


def load_results(path: str = DEFAULT_RESULTS, study: str | None = None) -> pd.DataFrame:
    """The records of ``study`` (or of every study) under ``path``, as a DataFrame."""
    return ResultsStore(path).load(study)


def _warn_unreadable(path: str, exc: BaseException) -> None:
    warnings.warn(
        f"skipped unreadable results file {path}: {type(exc).__name__}: {exc}",
        CorruptRecordWarning,
        stacklevel=5,
    )


def _is_mapping(value: Any) -> bool:
    # isinstance(value, Mapping) is an ABC check: slow enough to matter over 10,000
    # records of 60 fields, so plain values and dicts are told apart first.
    if isinstance(value, _PLAIN):
        return False
    return isinstance(value, (dict, Mapping))


_PLAIN = (str, int, float, list, type(None))


def _is_record_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".json") and not name.startswith(_TMP_PREFIX)


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def _jsonable(value: Any) -> Any:
    # NumPy scalars and arrays become Python numbers and lists; anything else its text.
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
