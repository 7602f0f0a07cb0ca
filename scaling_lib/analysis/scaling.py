"""Scaling tables and law fits from the records DataFrame.

Usage::

    df = load_results("data/results", "quick")
    strong_scaling(df)        # per size and worker count: time, speedup, efficiency
    weak_scaling(df)          # work (or data) grows with workers: efficiency
    strong_laws(df)           # per size: Amdahl serial fraction, USL where identifiable
    data_scaling(df)          # per worker count: T(n) and peak memory(n) models

Takes only successful Dask runs (``runner == "dask"``, ``status == "ok"``).
Pure: DataFrames in, DataFrames and dataclasses out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from scaling_lib.analysis.fit import PmnfModel, fit_pmnf
from scaling_lib.analysis.laws import (
    AmdahlFit,
    NotIdentified,
    UslFit,
    fit_amdahl,
    fit_gustafson,
    fit_usl,
    implied_serial_fraction,
)
from scaling_lib.analysis.segmented import SegmentedModel, fit_segmented

__all__ = [
    "DataScaling",
    "StrongLaws",
    "dask_runs",
    "data_scaling",
    "gustafson_fraction",
    "point_table",
    "strong_laws",
    "strong_scaling",
    "weak_scaling",
]

NOISY_CV = 0.10  # repeats whose coefficient of variation exceeds this are "noisy"


def dask_runs(df: pd.DataFrame) -> pd.DataFrame:
    """Successful Dask runs only."""
    if df.empty:
        return df
    return df[(df["runner"] == "dask") & (df["status"] == "ok")]


def point_table(df: pd.DataFrame, metric: str = "wall_s") -> pd.DataFrame:
    """Per (runner, size, n_workers): median, spread and coefficient of variation of a metric."""
    ok = df[df["status"] == "ok"] if not df.empty else df
    if ok.empty:
        return pd.DataFrame(columns=["runner", "size", "n_workers", "median", "cv", "repeats"])
    g = ok.groupby(["runner", "size", "n_workers"])[metric]
    out = g.agg(median="median", mean="mean", std="std", low="min", high="max", repeats="size")
    out["cv"] = (out["std"] / out["mean"]).fillna(0.0)
    return out.reset_index()


def strong_scaling(df: pd.DataFrame) -> pd.DataFrame:
    """Speedup and efficiency against the smallest worker count measured at each size."""
    table = point_table(dask_runs(df))
    rows = []
    for size, g in table.groupby("size"):
        g = g.sort_values("n_workers")
        base = g.iloc[0]
        for _, r in g.iterrows():
            ideal = r["n_workers"] / base["n_workers"]
            speedup = base["median"] / r["median"]
            rows.append(
                {
                    "size": size,
                    "n_workers": int(r["n_workers"]),
                    "seconds": r["median"],
                    "cv": r["cv"],
                    "speedup": speedup,
                    "ideal_speedup": ideal,
                    "efficiency": speedup / ideal,
                }
            )
    return pd.DataFrame(rows)


WEAK_MATCH = 0.05  # points within 5% of the same work per worker are paired


def weak_scaling(df: pd.DataFrame) -> pd.DataFrame:
    """Points with the same work per worker (the work each run reports; the size where
    it reports none, said in ``basis``): efficiency T(base) / T(p) as both grow.

    For a matrix product (work 2 n^3) doubling the workers keeps the work per worker
    at 2^(1/3) x the side, not 2x: pairing by size per worker would compare unequal
    work. Points within ``WEAK_MATCH`` of each other's work per worker are paired.
    """
    runs = dask_runs(df)
    table = point_table(runs)
    if table.empty:
        return pd.DataFrame()
    work = None
    if "work_items" in runs and runs["work_items"].notna().all() and (runs["work_items"] > 0).all():
        work = runs.groupby(["size", "n_workers"])["work_items"].median()
    if work is not None:
        per_point = [work.get((r["size"], r["n_workers"]), np.nan) for _, r in table.iterrows()]
        table = table.assign(amount=per_point, basis="work per worker")
    else:
        table = table.assign(amount=table["size"], basis="size per worker")
    table = table.assign(per_worker=table["amount"] / table["n_workers"])
    table = table.sort_values("per_worker").reset_index(drop=True)
    # consecutive points within WEAK_MATCH of the group's first share a group
    group, start = [], None
    for value in table["per_worker"]:
        if start is None or value > start * (1 + WEAK_MATCH):
            start = value
        group.append(start)
    table = table.assign(group=group)
    rows = []
    for key, g in table.groupby("group"):
        if g["n_workers"].nunique() < 2:
            continue
        g = g.sort_values("n_workers")
        base = g.iloc[0]
        for _, r in g.iterrows():
            efficiency = base["median"] / r["median"]
            scale = r["n_workers"] / base["n_workers"]
            rows.append(
                {
                    "per_worker": key,  # what the pair shares: work (or size) per worker
                    "basis": r["basis"],
                    "size_per_worker": r["size"] / r["n_workers"],
                    "work_per_worker": r["per_worker"] if work is not None else None,
                    "size": r["size"],
                    "n_workers": int(r["n_workers"]),
                    "seconds": r["median"],
                    "efficiency": efficiency,
                    "scaled_speedup": scale * efficiency,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class StrongLaws:
    size: float
    amdahl: AmdahlFit | None  # None when not identified: ``note`` says why
    usl: UslFit | None
    note: str
    # Between the fewest and most workers measured, the share of time that did not
    # divide (an observation at two counts, not a law): None with one count.
    implied_serial_fraction: float | None = None


def strong_laws(df: pd.DataFrame) -> list[StrongLaws]:
    """Amdahl and the USL per size, each where the worker counts identify it (3+); why
    not, in ``note``, where they do not."""
    runs = dask_runs(df)
    out = []
    for size, g in runs.groupby("size"):
        counts = g["n_workers"].nunique()
        amdahl = usl = None
        notes = []
        if counts < 2:
            notes.append("one worker count: no speedup to fit")
        else:
            try:
                amdahl = fit_amdahl(g["n_workers"], g["wall_s"])
            except NotIdentified as e:
                notes.append(str(e))
            try:
                usl = fit_usl(g["n_workers"], 1.0 / g["wall_s"])
            except NotIdentified as e:
                notes.append(str(e))
        implied = implied_serial_fraction(g["n_workers"], g["wall_s"]) if counts >= 2 else None
        out.append(StrongLaws(float(size), amdahl, usl, "; ".join(notes), implied))
    return out


def gustafson_fraction(df: pd.DataFrame) -> float | None:
    weak = weak_scaling(df)
    if weak.empty:
        return None
    base = weak.groupby("per_worker")["n_workers"].transform("min")
    return fit_gustafson(weak["n_workers"] / base, weak["scaled_speedup"]).serial_fraction


@dataclass(frozen=True)
class DataScaling:
    """How time and peak memory per worker grow with size at one worker count."""

    n_workers: int
    time_model: PmnfModel | None
    memory_model: PmnfModel | None
    memory_limit_bytes: float | None
    oom_size: float | None  # size where predicted peak memory per worker reaches the limit
    sizes: tuple[float, ...]
    noisy_points: int
    # time following one law up to a size and another after it (5+ sizes to tell)
    regime_change: SegmentedModel | None = None
    # sizes the time law was fitted without: off their neighbours' trend (off_trend)
    left_out: tuple[float, ...] = ()


def data_scaling(df: pd.DataFrame) -> list[DataScaling]:
    """Per worker count: time(n) and peak-memory(n) models, and the out-of-memory size.
    The time law leaves out the points the time model T(n, p) leaves out (``off_trend``)
    while 2 sizes remain."""
    # off_trend takes its fallback noise from here: imported when called, not at import
    from scaling_lib.analysis.off_trend import off_trend_points, without_left_out

    runs = dask_runs(df)
    timed, _ = without_left_out(runs, off_trend_points(runs))
    out = []
    for workers, g in runs.groupby("n_workers"):
        sizes = tuple(sorted(g["size"].unique()))
        t = timed[timed["n_workers"] == workers]
        t = t if t["size"].nunique() >= 2 else g
        left_out = tuple(s for s in sizes if s not in set(t["size"]))
        time_model = memory_model = None
        if len(sizes) >= 2:
            time_model = fit_pmnf(t["size"], t["wall_s"])
            memory_model = fit_pmnf(g["size"], g["peak_memory_bytes"])
        limit = g["memory_limit_bytes"].dropna()
        limit = float(limit.iloc[0]) if len(limit) else None
        oom = _size_reaching(memory_model, limit, max(sizes)) if memory_model and limit else None
        noisy = int((point_table(g)["cv"] > NOISY_CV).sum())
        regime = fit_segmented(t["size"], t["wall_s"])
        out.append(
            DataScaling(
                int(workers), time_model, memory_model, limit, oom, sizes, noisy, regime, left_out
            )
        )
    return out


def _size_reaching(model: PmnfModel, level: float, start: float) -> float | None:
    """Smallest size above ``start`` where the model reaches ``level``; None if it never does."""
    if model.term is None or model.c1 <= 0:
        return None
    if model.predict([start])[0] >= level:
        return float(start)
    hi = float(start)
    for _ in range(200):
        hi *= 2
        if not math.isfinite(hi):
            return None  # the level lies beyond any size a float can hold: never reached
        with np.errstate(over="ignore", invalid="ignore"):
            reached = model.predict([hi])[0] >= level
        if reached:
            break
    else:
        return None
    return float(optimize.brentq(lambda x: model.predict([x])[0] - level, start, hi))
