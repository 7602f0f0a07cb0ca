"""A bounded, thread-safe cache of computed values, shared by whoever holds it.

Usage::

    FITS = SharedCache(256)
    model = FITS.get_or_compute(("time_model", data_key), lambda: fit_time_model(runs))

Used by the served dashboard (``dashboard.cache``) and by a study's recommendation
(``simulate.study_recommendation``): keys name the data exactly (record files are never
rewritten), so nothing expires; entries are only dropped when the cache is full.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["SharedCache"]


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
