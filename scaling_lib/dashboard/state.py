"""The dashboard's data: which studies are loaded, the filters, and the filtered records.

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    store.records            # filtered DataFrame; views depend on store.param.records
    store.poll()             # reload if the store gained records (the served app calls
                             # this every few seconds, so a running sweep shows up live)

Study names come from the results store's own listing; a name from a URL or a widget
that is not a valid, existing study is refused, so nothing outside the store is read.

Sessions share their work (``cache``): every StudyStore in the process that shows the
same studies at the same version of their record files gets the same loaded DataFrame,
and ``memo`` results (fits, diagnoses) are shared by data version and filters. A poll
that finds one new record file fetches and parses only that file.
"""

from __future__ import annotations

import hashlib

import param

from scaling_lib.dashboard.cache import FITS, FRAMES
from scaling_lib.errors import StoreError
from scaling_lib.store.records import (
    HOST_LIMITS_DOCUMENT,
    ResultsStore,
    check_study_name,
    records_to_frame,
)

__all__ = ["ALL", "StudyStore"]

ALL = "(all)"


class StudyStore(param.Parameterized):
    results = param.String(default="data/results", doc="results store: folder or fsspec URL")
    studies = param.ListSelector(default=[], objects=[], doc="studies shown")
    workload = param.Selector(default=ALL, objects=[ALL])
    backend = param.Selector(default=ALL, objects=[ALL])
    status = param.ListSelector(
        default=["ok", "failed", "oom", "timeout", "worker-lost"],
        objects=["ok", "failed", "oom", "timeout", "worker-lost"],
    )
    all_records = param.DataFrame(default=None, doc="every record of the chosen studies")
    records = param.DataFrame(default=None, doc="after the filters")
    version = param.Integer(default=0, doc="bumped on every reload")

    def __init__(self, **params):
        studies = params.pop("studies", None)
        super().__init__(**params)
        self._store = ResultsStore(self.results)
        self._version_key: tuple = ()  # (store root, digest of the shown record files)
        available = self._store.studies()
        self.param.studies.objects = available
        chosen = [s for s in (studies or []) if self.is_study(s)] or available[-1:]
        if chosen != self.studies:
            self.studies = chosen  # reloads (watched)
        else:
            self.reload()

    @property
    def store(self) -> ResultsStore:
        return self._store

    def is_study(self, name: str) -> bool:
        """True only for a valid name that the store lists."""
        try:
            check_study_name(name)
        except StoreError:
            return False
        return name in self.param.studies.objects

    def memo(self, key: str, compute):
        """``compute(records)``, computed once per version of the filtered records and
        shared with every session showing the same records (treat the result as read-only)."""
        records = self.records
        filters = (self.workload, self.backend, tuple(sorted(self.status)))
        return FITS.get_or_compute((self._version_key, filters, key), lambda: compute(records))

    def host_limits(self, study: str) -> dict | None:
        return self._store.load_json(study, HOST_LIMITS_DOCUMENT) if self.is_study(study) else None

    def autoscale(self, study: str) -> dict | None:
        """The study's autoscaling experiment (``scaling-lib autoscale``), if it has one."""
        return self._store.load_json(study, "autoscale") if self.is_study(study) else None

    @param.depends("studies", watch=True)
    def reload(self) -> None:
        self._load(self._listing())

    def _load(self, files: dict[str, list[str]]) -> None:
        self._version_key = (self._store.root, _digest(files))
        df = FRAMES.get_or_compute(self._version_key, lambda: self._frame(files))
        workloads = sorted(df["workload"].unique()) if len(df) else []
        backends = sorted(df["backend"].unique()) if len(df) else []
        self.param.workload.objects = [ALL, *workloads]
        self.param.backend.objects = [ALL, *backends]
        if self.workload not in self.param.workload.objects:
            self.workload = ALL
        if self.backend not in self.param.backend.objects:
            self.backend = ALL
        self.all_records = df
        self._filter()
        self.version += 1

    def _frame(self, files: dict[str, list[str]]):
        import pandas as pd

        # One frame per study (each sorted by time), studies in the order chosen.
        frames = [records_to_frame(self._store.read_records(paths)) for paths in files.values()]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @param.depends("workload", "backend", "status", watch=True)
    def _filter(self) -> None:
        df = self.all_records
        if df is None or df.empty:
            self.records = df
            return
        keep = df["status"].isin(self.status)
        if self.workload != ALL:
            keep &= df["workload"] == self.workload
        if self.backend != ALL:
            keep &= df["backend"] == self.backend
        # Nothing filtered out: share the loaded frame (copy-on-write keeps it intact)
        # instead of a copy per session.
        self.records = df if keep.all() else df[keep].reset_index(drop=True)

    def poll(self) -> bool:
        """Reload when the chosen studies' files changed; True if it reloaded."""
        available = self._store.studies()
        if available != list(self.param.studies.objects):
            self.param.studies.objects = available
        files = self._listing()
        if (self._store.root, _digest(files)) == self._version_key:
            return False
        self._load(files)
        return True

    def _listing(self) -> dict[str, list[str]]:
        """Each shown study's record files, listed fresh from the store."""
        return {s: self._store.record_files(s) for s in self.studies if self.is_study(s)}


def _digest(files: dict[str, list[str]]) -> str:
    """Names the data exactly: record files are never rewritten, only added."""
    h = hashlib.sha256()
    for study, paths in files.items():
        h.update(f"{study}\0{len(paths)}\0".encode())
        for path in paths:
            h.update(path.encode() + b"\n")
    return h.hexdigest()
