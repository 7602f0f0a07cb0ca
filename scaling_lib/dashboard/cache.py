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

from scaling_lib.store.cache import SharedCache

__all__ = ["FITS", "FRAMES", "SharedCache"]


# The loaded records of a study set at one version of its files (DataFrames of a few MB
# for ten thousand records): enough for several groups of viewers on different studies.
FRAMES = SharedCache(8)
# Fitted models and diagnoses, per data version, filters and view key: small objects.
FITS = SharedCache(256)
