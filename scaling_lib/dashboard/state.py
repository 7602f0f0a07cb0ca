"""The dashboard's data: which studies are loaded, the filters, and the filtered records.

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    store.records            # filtered DataFrame; views depend on store.param.records
    store.poll()             # reload if the store gained records (the served app calls
                             # this every few seconds, so a running sweep shows up live)

Study names come from the results store's own listing; a name from a URL or a widget
that is not a valid, existing study is refused, so nothing outside the store is read.
"""

from __future__ import annotations

import param

from ..errors import StoreError
from ..store import ResultsStore, check_study_name

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
        self._memo: dict[str, object] = {}
        super().__init__(**params)
        self._store = ResultsStore(self.results)
        self._fingerprint = None
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
        """``compute(records)``, computed once per version of the filtered records."""
        if key not in self._memo:
            self._memo[key] = compute(self.records)
        return self._memo[key]

    def calibration(self, study: str) -> dict | None:
        return self._store.load_json(study, "calibration") if self.is_study(study) else None

    def autoscale(self, study: str) -> dict | None:
        """The study's autoscaling experiment (``scaling-lib autoscale``), if it has one."""
        return self._store.load_json(study, "autoscale") if self.is_study(study) else None

    @param.depends("studies", watch=True)
    def reload(self) -> None:
        import pandas as pd

        frames = [self._store.load(s) for s in self.studies if self.is_study(s)]
        frames = [f for f in frames if len(f)]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        self._fingerprint = self._files()
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

    @param.depends("workload", "backend", "status", watch=True)
    def _filter(self) -> None:
        self._memo = {}
        df = self.all_records
        if df is None or df.empty:
            self.records = df
            return
        keep = df["status"].isin(self.status)
        if self.workload != ALL:
            keep &= df["workload"] == self.workload
        if self.backend != ALL:
            keep &= df["backend"] == self.backend
        self.records = df[keep].reset_index(drop=True)

    def poll(self) -> bool:
        """Reload when the chosen studies' files changed; True if it reloaded."""
        available = self._store.studies()
        if available != list(self.param.studies.objects):
            self.param.studies.objects = available
        if self._files() == self._fingerprint:
            return False
        self.reload()
        return True

    def _files(self) -> tuple:
        names = []
        for study in self.studies:
            folder = f"{self._store._records_dir(study)}"
            if self._store.fs.exists(folder):
                names.extend(sorted(self._store.fs.ls(folder, detail=False)))
        return tuple(names)
