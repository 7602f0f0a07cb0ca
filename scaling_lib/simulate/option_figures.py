"""The simulated times of a recommendation's options, kept beside the study's records.

Usage::

    sim = OptionFigures(store, "events", size=1.0)     # NoTracesError without traces
    sim.at(16).wall_s, sim.at(64, bandwidth_Bps=1.25e9).high, sim.method
    sim.save()                                          # what-if-options.json

``recommend`` asks the simulation for every option beyond the measured workers: one
replay per worker count and network per worker, each a dozen simulated runs. The
figures it reads (centre, low, high) are kept in the store, as ``what-if-constants.json``
keeps the constants, under a key naming the study's record files (records are only ever
added, and every run's trace is named by its record), the target size, the seed and the
simulator's own source: a new process (``scaling-lib recommend``) reads them back
instead of building the graphs and replaying them again, and a change to the records or
to the simulator (this package, the trace reader, the built-in workloads) computes them
afresh. A user's own function or workload is not part of the key: a change to it is
seen once the records change.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from scaling_lib.errors import StoreError
from scaling_lib.simulate.what_if import WhatIfModel
from scaling_lib.store.records import ResultsStore

__all__ = ["FIGURES_DOCUMENT", "OptionFigures", "SimulatedFigures"]

FIGURES_DOCUMENT = "what-if-options"
KEPT_ENTRIES = 8  # target sizes kept per study: a dashboard's target widget moves among a few


@dataclass(frozen=True)
class SimulatedFigures:
    """What a recommendation reads of one simulated option (``replay.WhatIf``'s)."""

    n_workers: int
    wall_s: float
    low: float
    high: float


class OptionFigures:
    """``WhatIfModel.at`` for a recommendation, read from the store where it was kept.

    The model itself (traces loaded, graphs built) is made only when a figure is
    missing; ``save`` writes the figures back when any was new.
    """

    def __init__(self, store: ResultsStore, study: str, *, size: float, seed: int = 0):
        self.store, self.study, self.size, self.seed = store, study, float(size), seed
        names = [p.rsplit("/", 1)[-1] for p in store.record_files(study)]
        self.key = _digest([names, self.size, seed, _simulator_source()])
        self._figures: dict[tuple[int, float | None], SimulatedFigures] = {}
        self._model: WhatIfModel | None = None
        self._lock = threading.Lock()
        self._new = False
        entry = _entries(store, study).get(self.key)
        try:
            self.method = str(entry["method"])
            for workers, bandwidth, wall, low, high in entry["figures"]:
                self._figures[(int(workers), bandwidth)] = SimulatedFigures(
                    int(workers), float(wall), float(low), float(high)
                )
        except (TypeError, KeyError, ValueError):  # none kept, or an older document
            self._figures.clear()
            self.method = self._loaded().method  # NoTracesError where there are none

    def _loaded(self) -> WhatIfModel:
        if self._model is None:
            self._model = WhatIfModel(self.study, self.store, size=self.size, seed=self.seed)
        return self._model

    def at(self, n_workers: int, bandwidth_Bps: float | None = None) -> SimulatedFigures:
        """The option's simulated run on ``n_workers`` at ``bandwidth_Bps`` per worker
        (None: the measured network)."""
        key = (int(n_workers), None if bandwidth_Bps is None else float(bandwidth_Bps))
        with self._lock:  # a shared dashboard's sessions may ask at once
            if key not in self._figures:
                sim = self._loaded().at(*key)
                self._figures[key] = SimulatedFigures(key[0], sim.wall_s, sim.low, sim.high)
                self._new = True
            return self._figures[key]

    def save(self) -> None:
        """Keep the figures in the store (a read-only store keeps nothing)."""
        with self._lock:
            if not self._new:
                return
            entries = _entries(self.store, self.study)
            entries.pop(self.key, None)
            entries[self.key] = {
                "size": self.size,
                "method": self.method,
                "figures": [
                    [w, bandwidth, f.wall_s, f.low, f.high]
                    for (w, bandwidth), f in sorted(
                        self._figures.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0.0)
                    )
                ],
            }
            kept = dict(list(entries.items())[-KEPT_ENTRIES:])
            with contextlib.suppress(StoreError):
                self.store.save_json(self.study, FIGURES_DOCUMENT, {"entries": kept})
            self._new = False


def _entries(store: ResultsStore, study: str) -> dict:
    try:
        doc = store.load_json(study, FIGURES_DOCUMENT)
    except StoreError:  # damaged: computed again, and written over
        return {}
    entries = doc.get("entries") if isinstance(doc, dict) else None
    return dict(entries) if isinstance(entries, dict) else {}


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _simulator_source() -> str:
    """A digest of the code a simulated figure comes from: this package, the trace
    reader and the workloads (which build graphs at a size). Kept figures are not read
    back by a changed simulator."""
    here = Path(__file__).resolve().parent
    package = here.parent
    files = [
        *sorted(here.glob("*.py")),
        package / "store" / "traces.py",
        *sorted((package / "workloads").glob("*.py")),
    ]
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]
