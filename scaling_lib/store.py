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

This module depends on nothing else in the package but its errors.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import fsspec
import pandas as pd

from .errors import StoreError

__all__ = ["SCHEMA_VERSION", "CorruptRecordWarning", "ResultsStore", "load_results"]

SCHEMA_VERSION = 1
DEFAULT_RESULTS = "data/results"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_TMP_PREFIX = ".tmp-"


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
        """A small JSON document beside a study's records (e.g. ``calibration``)."""
        self._write_atomic(f"{self._study_dir(study)}/{name}.json", json.dumps(value).encode())

    def load_json(self, study: str, name: str) -> Any | None:
        path = f"{self._study_dir(study)}/{name}.json"
        if not self.fs.exists(path):
            return None
        try:
            return json.loads(self.fs.cat_file(path))
        except ValueError as exc:
            raise StoreError(f"{path} is not valid JSON: {exc}") from exc

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
        """Names of the studies in the store, sorted."""
        if not self.fs.exists(self._path):
            return []
        out = []
        for entry in self.fs.ls(self._path, detail=True):
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            if entry["type"] == "directory" and _SAFE_NAME.match(name):
                out.append(name)
        return sorted(out)

    def has_study(self, study: str) -> bool:
        return self.fs.exists(self._records_dir(study))

    def records(self, study: str | None = None) -> list[dict[str, Any]]:
        """Every readable record, of one study or all; unreadable files warn and are skipped."""
        studies = [check_study_name(study)] if study is not None else self.studies()
        out: list[dict[str, Any]] = []
        for name in studies:
            folder = self._records_dir(name)
            if not self.fs.exists(folder):
                continue
            files = sorted(p for p in self.fs.ls(folder, detail=False) if _is_record_file(p))
            for path in files:
                out.extend(self._read_file(path))
        return out

    def _read_file(self, path: str) -> list[dict[str, Any]]:
        try:
            doc = json.loads(self.fs.cat_file(path))
            version = doc["schema_version"]
            records = doc["records"]
            if not isinstance(records, list):
                raise TypeError("'records' is not a list")
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError) as exc:
            warnings.warn(
                f"skipped unreadable results file {path}: {type(exc).__name__}: {exc}",
                CorruptRecordWarning,
                stacklevel=3,
            )
            return []
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


def records_to_frame(records: list[Mapping[str, Any]]) -> pd.DataFrame:
    """Tidy DataFrame of records: nested ``params``/``versions`` become flat columns."""
    rows = []
    for rec in records:
        row = {k: v for k, v in rec.items() if not isinstance(v, Mapping)}
        for key, value in rec.items():
            if isinstance(value, Mapping):
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
