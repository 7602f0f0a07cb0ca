"""Caches shared by every session of a served dashboard (one Python process).

Usage::

    from scaling_lib.dashboard.cache import FITS
    model = FITS.get_or_compute(("time_model", data_key), lambda: fit_time_model(runs))

Ten people opening the same study would otherwise each load its records and refit the
same models. Records are never rewritten, so a key that names the data exactly (the
study set and a digest of its record files, plus the filters) stays valid for good:
nothing here expires, entries are only dropped when a cache is full (least recently
used first). Parsed record files are cached one level down, in ``scaling_lib.store.records``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["FITS", "FRAMES", "SharedCache"]


class SharedCache:
    """A bounded, thread-safe map from keys to computed values (least recently used
    dropped first). Values are shared between sessions: treat them as read-only."""

    def __init__(self, max_entries: int):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for ``key``, computing and keeping it on a miss. A computation that
        raises is not kept (the next caller tries again)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key]
            self.misses += 1
        # Computed outside the lock so one slow fit does not stall other sessions' reads;
        # two threads missing the same key at once both compute, and the first one kept wins.
        value = compute()
        with self._lock:
            value = self._values.setdefault(key, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._values)


# The loaded records of a study set at one version of its files (DataFrames of a few MB
# for ten thousand records): enough for several groups of viewers on different studies.
FRAMES = SharedCache(8)
# Fitted models and diagnoses, per data version, filters and view key: small objects.
FITS = SharedCache(256)
