"""One recommendation per study, whichever surface shows it: the CLI, a notebook, the dashboard.

Usage::

    rec = study_recommendation("data/results", "events")      # a dataset study: full dataset
    rec = study_recommendation(store, ["cpu", "gpu"], size=2e7, deadline_s=600, budget=5.0)
    rec.options[0], rec.cheapest_meeting_deadline, rec.assumptions

``scaling-lib recommend``, ``notebook.views.recommendation`` and the dashboard's
Recommendations tab all call this, so they rank a study's options identically: the
records of the studies (or the dashboard's filtered ones, ``records``), time models
fitted with the same bootstrap (``DRAWS``), and the traced graph of the first study
with CPU runs simulated at the target (``OptionFigures``) for the CPU options beyond
the measured workers. A study without traces is ranked on the fitted law alone, and the
recommendation's assumptions say why.

Work is kept, so a dashboard can recompute as a widget moves:

- in memory, per process: the recommendation per (store, studies, their record files,
  the records' content when given, every argument); the fitted time models per
  records; the simulation per (study, record files, size);
- in the store: the simulated figures (``option_figures``, ``what-if-options.json``),
  beside ``what-if-constants.json``, so a new process skips the replays.

Record files are only ever added, so their names say which data an entry was made from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence

import pandas as pd

from scaling_lib.analysis.catalog import load_catalog, only_providers
from scaling_lib.analysis.dataset_target import full_dataset_target
from scaling_lib.analysis.offers import Catalog, Recommendation
from scaling_lib.analysis.predict import TimeModel, fit_time_model
from scaling_lib.analysis.recommend import recommend
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.errors import AnalysisError, StoreError
from scaling_lib.simulate.option_figures import OptionFigures
from scaling_lib.store.cache import SharedCache
from scaling_lib.store.records import ResultsStore, check_study_name

__all__ = ["DRAWS", "clear_caches", "study_recommendation"]

DRAWS = 100  # bootstrap refits of a time model: recommend's default, on every surface


_RECOMMENDATIONS = SharedCache(64)
_FITS = SharedCache(64)
_SIMULATIONS = SharedCache(16)
_CATALOGS = SharedCache(8)


def clear_caches() -> None:
    """Forget every kept recommendation, fit and simulation of this process (the
    figures kept in stores stay)."""
    for kept in (_RECOMMENDATIONS, _FITS, _SIMULATIONS, _CATALOGS):
        kept.clear()


def study_recommendation(
    results: ResultsStore | str,
    studies: str | Sequence[str],
    *,
    records: pd.DataFrame | None = None,
    size: float | None = None,
    deadline_s: float | None = None,
    budget: float | None = None,
    pricing: str = "on_demand",
    utilisation: float = 1.0,
    core_speed: float = 1.0,
    provider: str | Sequence[str] | None = None,
    catalog: Catalog | str | None = None,
) -> Recommendation:
    """Rank the catalog's options for ``studies`` (one, or a CPU and a GPU study) at
    ``size`` (a dataset study: the full dataset when None); see the module docstring.

    ``records``: these records of the studies instead of all of them (the dashboard's
    filters). ``catalog``: a ``Catalog``, a catalog file, or None for the packaged one;
    ``provider`` keeps only those clouds (``"aws,gcp"``). The other arguments are
    ``analysis.recommend.recommend``'s. Treat the result as read-only: it is shared.
    """
    store = results if isinstance(results, ResultsStore) else ResultsStore(results)
    names = (studies,) if isinstance(studies, str) else tuple(studies)
    if not names:
        raise AnalysisError("no study given to recommend for")
    for name in names:
        check_study_name(name)
    files = tuple(tuple(store.record_files(name)) for name in names)
    data = (store.root, names, files, None if records is None else _frame_digest(records))
    chosen = _catalog(catalog, provider)
    asked = (size, deadline_s, budget, pricing, utilisation, core_speed)
    return _RECOMMENDATIONS.get_or_compute(
        (data, asked, chosen),
        lambda: _recommendation(store, names, data, records, chosen, asked),
    )


def _recommendation(store, names, data, records, catalog, asked) -> Recommendation:
    size, deadline_s, budget, pricing, utilisation, core_speed = asked
    df = records if records is not None else _load(store, names)
    target = size
    if target is None:
        dataset = full_dataset_target(df)
        if dataset is None:
            raise AnalysisError("size: required (this study sampled no dataset to default to)")
        target = dataset.size
    fitted = _fits(df, data)
    simulator, why_not = None, ""
    # CPU options are simulated from the first study with CPU runs, once they fit.
    runs = dask_runs(df)
    cpu_studies = set(runs.loc[runs["backend"] == "cpu", "study"]) if "cpu" in fitted else ()
    study = next((n for n in names if n in cpu_studies), None)
    if study is not None:
        files = data[2][names.index(study)]
        simulator, why_not = _SIMULATIONS.get_or_compute(
            (store.root, study, files, float(target)),
            lambda: _simulation(store, study, float(target)),
        )
    rec = recommend(
        df,
        catalog,
        size=size,
        deadline_s=deadline_s,
        budget=budget,
        pricing=pricing,
        utilisation=utilisation,
        core_speed=core_speed,
        draws=DRAWS,
        simulator=simulator,
        fitted=fitted,
    )
    if simulator is not None:
        simulator.save()
    elif why_not:
        note = f"no simulation beyond the measured workers: {why_not}"
        rec = dataclasses.replace(rec, assumptions=(*rec.assumptions, note))
    return rec


def _load(store: ResultsStore, names: tuple[str, ...]) -> pd.DataFrame:
    return pd.concat([store.load_study(name) for name in names], ignore_index=True)


def _fits(df: pd.DataFrame, data: tuple) -> dict[str, TimeModel]:
    """The time model of each backend's runs, fitted once per data; a backend whose runs
    cannot be fitted is left to ``recommend``, whose error names it."""
    runs = dask_runs(df)
    out = {}
    for kind in sorted(set(runs["backend"])) if len(runs) else ():
        try:
            out[kind] = _FITS.get_or_compute(
                (data, kind), lambda k=kind: fit_time_model(df[df["backend"] == k], draws=DRAWS)
            )
        except AnalysisError:
            continue
    return out


def _simulation(store: ResultsStore, study: str, size: float):
    """The study's simulated options at ``size``, or None and why not."""
    try:
        return OptionFigures(store, study, size=size), ""
    except (StoreError, AnalysisError) as exc:
        return None, str(exc)


def _catalog(catalog: Catalog | str | None, provider) -> Catalog:
    if not isinstance(catalog, Catalog):
        path = catalog
        catalog = _CATALOGS.get_or_compute(("file", path, _mtime(path)), lambda: load_catalog(path))
    if provider is None:
        return catalog
    key = ("only", catalog, provider if isinstance(provider, str) else tuple(provider))
    return _CATALOGS.get_or_compute(key, lambda: only_providers(catalog, provider))


def _mtime(path: str | None) -> float | None:
    try:
        return os.stat(path).st_mtime if path else None
    except OSError:
        return None  # load_catalog says what is wrong with it


def _frame_digest(df: pd.DataFrame) -> str:
    """Names a frame's content: its columns and every value."""
    try:
        hashed = pd.util.hash_pandas_object(df, index=False)
    except TypeError:  # a column of unhashable cells (dicts): hashed as text
        hashed = pd.util.hash_pandas_object(df.astype(str), index=False)
    h = hashlib.sha256("\0".join(map(str, df.columns)).encode())
    h.update(hashed.to_numpy().tobytes())
    return h.hexdigest()
