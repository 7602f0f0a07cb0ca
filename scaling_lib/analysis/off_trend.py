"""Points that do not belong: a measured point whose cost per unit of work departs from
its neighbours' beyond the run noise, its likely cause, and whether the time model keeps it.

Usage::

    for point in off_trend_points(dask_runs(df)):
        point.size, point.n_workers, point.ratio  # 8.1: its cost per unit / its neighbours'
        point.cause, point.evidence   # "partition layout", "5,000 rows per partition vs 100,000"
        point.left_out, point.text    # out of the time model's fit; the sentence shown

Cost per unit of work: wall seconds x workers / the work the runs report (the size where
they report none), median over repeats. The work, not the size: it grows as the workload
does (n^3 for a matrix product, the rows a sample really holds), so cost per unit stays flat
or drifts slowly where the workload behaves. Times workers, so worker counts compare (equal
under perfect strong scaling).

At one worker count with 3+ sizes a point is expected between its two neighbours; at the
smallest size, from as costly per unit as the next size to as slow in seconds (a fixed
cost); at the largest, from no slower in seconds to the rise below it continued. A point
outside that band by more than ``threshold`` (a multiple of the run noise, with a floor) is
off. The one whose removal leaves the rest most regular goes first and the rest are looked
at again, so one bad point does not make its neighbours look bad. A worker count with 2
sizes is judged by their cost ratio against the same 2 sizes at the other counts (2 or more
other counts, so the consensus is a majority).

Causes, from the records: partition layout (rows per partition or tasks outside what a
fixed partition size or count gives, by ``REGIME_FACTOR``; or another sampling method),
spilling (bytes spilled per unit of work well above the neighbours'), warm-up (the first
repeat much slower than the others, or the first point measured on its cluster), else
unknown. Policy: a point off because of its layout or a warm-up did not measure how the
workload scales, so the time model leaves it out while ``MIN_FIT_POINTS`` points remain;
spilling is how the workload behaves at that size, and an unknown cause is no reason to
distrust a measurement: those are kept, and said to be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scaling_lib.analysis.scaling import NOISY_CV
from scaling_lib.units import fmt_bytes, fmt_number, fmt_percent

__all__ = [
    "MIN_DEPARTURE",
    "NOISE_MULTIPLE",
    "OffTrendPoint",
    "off_trend_points",
    "relative_noise",
    "threshold",
    "without_left_out",
]

# A point's median against a band from its neighbours' medians: 4 standard deviations of
# one run (log scale) is beyond what run noise does to a median.
NOISE_MULTIPLE = 4.0
# Never flagged under 1.5x however quiet the machine (2% jitter gives 4 sd of 8%): the
# curve between sizes stays under it, and layouts and warm-ups worth naming cost far more.
MIN_DEPARTURE = 1.5
REGIME_FACTOR = 4.0  # a layout or a spill this many times its neighbours' is another regime
MIN_SPILL_BYTES = 2**20  # spills under 1 MiB explain no slowdown worth naming
MIN_FIT_POINTS = 4  # what a model of (n, p) needs (fit_two.fit_two_parameter)
LEFT_OUT_CAUSES = ("partition layout", "warm-up")
_KEPT = {
    "spilling": "kept in the time model: spilling is how the workload behaves at this size",
    "unknown": "kept in the time model: nothing says it is not the workload's own behaviour",
}


@dataclass(frozen=True)
class OffTrendPoint:
    size: float
    n_workers: int
    cost: float  # worker-seconds per unit of work, median over repeats
    neighbours_cost: float  # what its neighbours' trend gives here
    ratio: float  # cost / neighbours_cost
    compared_with: str  # "its neighbours", or "the other worker counts" (2 sizes only)
    unit: str  # one unit of work: "row", "flop", or "unit of size"
    size_unit: str  # the study's: "fraction" (of a dataset) shows as a percentage
    cause: str  # "partition layout", "spilling", "warm-up" or "unknown"
    evidence: str  # the figures from the records that show the cause
    left_out: bool  # left out of the time model's fit
    decision: str  # "left out of the time model", or kept and why
    backend: str | None = None
    threads_per_worker: float | None = None

    @property
    def where(self) -> str:
        size = fmt_percent(self.size) if self.size_unit == "fraction" else fmt_number(self.size)
        prefix = "" if self.size_unit == "fraction" else "size "
        return f"{prefix}{size} on {self.n_workers} worker(s)"

    @property
    def why(self) -> str:
        return (
            f"{fmt_number(self.ratio)}x the cost per {self.unit} of {self.compared_with}, "
            f"{self.cause}: {self.evidence}"
        )

    @property
    def text(self) -> str:
        """The sentence every surface shows."""
        return f"{self.where}: {self.why}; {self.decision}"


def relative_noise(runs: pd.DataFrame) -> float:
    """One run's spread around its point, as a standard deviation of log wall time: the
    median over repeated points of their sample deviations, over that median's expected
    share of the truth (0.67 with 2 repeats, 0.83 with 3), so one warmed-up point does not
    raise it nor few repeats lower it. No point repeated: ``scaling.NOISY_CV`` (10%)."""
    spreads = []
    for _, wall in runs.groupby(["size", "n_workers"])["wall_s"]:
        logs = np.log(wall[wall > 0].to_numpy(float))
        if len(logs) > 1:
            dof = len(logs) - 1
            spreads.append(float(np.std(logs, ddof=1)) / math.sqrt(stats.chi2.median(dof) / dof))
    return float(np.median(spreads)) if spreads else NOISY_CV


def threshold(noise: float) -> float:
    """How far (log) outside its band a point must lie to be flagged."""
    return max(math.log(MIN_DEPARTURE), NOISE_MULTIPLE * noise)


def off_trend_points(runs: pd.DataFrame) -> list[OffTrendPoint]:
    """The points of ``runs`` (successful Dask runs) off their neighbours' trend, by worker
    count and size, each with its cause and whether the time model leaves it out."""
    if runs.empty or "wall_s" not in runs:
        return []
    limit = threshold(relative_noise(runs))
    table = _points(runs)
    found, kept = [], {}
    for key, series in table.items():
        flagged, kept[key] = _within(series, limit) if len(series) >= 3 else ([], series)
        found += [(p, r, _nearest(p, kept[key]), "its neighbours") for p, r in flagged]
    for key, series in table.items():
        if len(series) == 2 and (hit := _across(series, key, kept, limit)) is not None:
            point, ratio, other = hit
            kept[key] = [other]
            found.append((point, ratio, [other], "the other worker counts"))
    return _decide(found, sum(len(s) for s in table.values()))


def without_left_out(runs: pd.DataFrame, points: list[OffTrendPoint]) -> tuple[pd.DataFrame, str]:
    """``runs`` without the points left out, and a sentence naming them (empty if none)."""
    out = [p for p in points if p.left_out]
    if not out:
        return runs, ""
    drop = np.zeros(len(runs), dtype=bool)
    for p in out:
        hit = (runs["size"] == p.size) & (runs["n_workers"] == p.n_workers)
        if p.backend is not None and "backend" in runs:
            hit &= runs["backend"] == p.backend
        if p.threads_per_worker is not None and "threads_per_worker" in runs:
            hit &= runs["threads_per_worker"] == p.threads_per_worker
        drop |= hit.to_numpy()
    named = "; ".join(f"{p.where} left out of the fit ({p.why})" for p in out)
    return runs[~drop].reset_index(drop=True), named


# -- the points ------------------------------------------------------------------------


@dataclass
class _Point:
    size: float
    n_workers: int
    x: float  # log work
    y: float  # log cost per unit of work
    size_unit: str
    unit: str
    rows_per_partition: float | None
    method: str | None
    tasks: float | None
    spilled: float  # bytes, median over repeats
    first_ratio: float | None  # first repeat's wall time / the median of its others
    started: object  # when its first run began (a timestamp), or None
    backend: str | None
    threads: float | None
    first_measured: bool = False


def _points(runs: pd.DataFrame) -> dict[tuple, list[_Point]]:
    """Per series (worker count, backend, threads), its points sorted by work."""
    runs = runs[runs["wall_s"] > 0]
    work_col = "work_items" in runs and bool((runs["work_items"].fillna(0) > 0).all())
    keys = [k for k in ("n_workers", "backend", "threads_per_worker") if k in runs]
    table: dict[tuple, list[_Point]] = {}
    for key, g in runs.groupby([*keys, "size"], sort=True, dropna=False):
        work = (g["work_items"] if work_col else g["size"]).astype(float)
        cost = g["wall_s"].astype(float) * g["n_workers"].astype(float) / work
        info = dict(zip(keys, key[:-1], strict=True))
        backend, threads = info.get("backend"), info.get("threads_per_worker")
        point = _Point(
            size=float(key[-1]),
            n_workers=int(info["n_workers"]),
            x=math.log(float(work.median())),
            y=math.log(float(cost.median())),
            size_unit=str(_first(g, "size_unit") or ""),
            unit=_unit(_first(g, "work_unit")) if work_col else "unit of size",
            rows_per_partition=_rows_per_partition(g),
            method=_first(g, "sample_method"),
            tasks=_median(g, "task_count"),
            spilled=_spilled(g),
            first_ratio=_first_ratio(g),
            started=g["timestamp"].min() if "timestamp" in g else None,
            backend=None if pd.isna(backend) else str(backend),
            threads=None if pd.isna(threads) else float(threads),
        )
        table.setdefault((point.n_workers, point.backend, point.threads), []).append(point)
    for series in table.values():
        series.sort(key=lambda p: p.x)
        times = [p.started for p in series if not pd.isna(p.started)]
        for p in series:
            p.first_measured = bool(times) and not pd.isna(p.started) and p.started == min(times)
    return table


def _spilled(g: pd.DataFrame) -> float:
    """Bytes spilled (to disk, and from a GPU's memory), median over repeats."""
    columns = [c for c in ("bytes_spilled", "gpu_bytes_spilled") if c in g]
    return float(g[columns].astype(float).fillna(0.0).sum(axis=1).median()) if columns else 0.0


def _unit(name) -> str:
    """One unit of work: "rows" -> "row"."""
    name = str(name or "unit of work")
    return name[:-1] if name.endswith("s") and len(name) > 1 else name


def _first(g: pd.DataFrame, column: str):
    values = g[column].dropna() if column in g else ()
    return values.iloc[0] if len(values) else None


def _median(g: pd.DataFrame, column: str) -> float | None:
    values = g[column].dropna().astype(float) if column in g else pd.Series(dtype=float)
    return float(values.median()) if len(values) and values.median() > 0 else None


def _rows_per_partition(g: pd.DataFrame) -> float | None:
    if (rows := _median(g, "rows_per_partition")) is not None:
        return rows
    partitions, rows = _median(g, "sample_partitions"), _median(g, "sample_rows")
    return rows / partitions if partitions and rows else None


def _first_ratio(g: pd.DataFrame) -> float | None:
    if "repeat" not in g or len(g) < 2:
        return None
    ordered = g.sort_values("repeat")["wall_s"].astype(float)
    rest = float(ordered.iloc[1:].median())
    return float(ordered.iloc[0]) / rest if rest > 0 else None


# -- the trend -------------------------------------------------------------------------


def _departure(i: int, pts: list[_Point]) -> float:
    """How far (log) point ``i`` lies outside the band its neighbours in ``pts`` allow."""
    y = pts[i].y
    lo, hi = _band(i, pts)
    return y - hi if y > hi else (y - lo if y < lo else 0.0)


def _band(i: int, pts: list[_Point]) -> tuple[float, float]:
    n = len(pts)
    if 0 < i < n - 1:
        return min(pts[i - 1].y, pts[i + 1].y), max(pts[i - 1].y, pts[i + 1].y)
    step = 1 if i == 0 else -1
    near = pts[i + step]
    dx = abs(near.x - pts[i].x)
    rise = 0.0  # cost per unit rising with the work (superlinear) goes on; falling need not
    if n > 2 and (run := pts[i + 2 * step].x - near.x):
        rise = max((pts[i + 2 * step].y - near.y) / run, 0.0)
    if i == 0:
        return near.y - rise * dx, near.y + dx
    return near.y - dx, near.y + rise * dx


def _roughness(pts: list[_Point]) -> float:
    return sum(_departure(i, pts) ** 2 for i in range(len(pts))) if len(pts) > 1 else 0.0


def _within(series: list[_Point], limit: float) -> tuple[list[tuple[_Point, float]], list]:
    """The points off their neighbours' band, taken one at a time (see the module
    docstring), each with its ratio to the neighbours that remain; and those that remain."""
    kept, flagged = list(series), []
    while len(kept) >= 3 and len(flagged) < len(series) - 2:
        off = [i for i in range(len(kept)) if abs(_departure(i, kept)) > limit]
        if not off:
            break
        # the one whose removal leaves the rest most regular; the furthest out on a tie
        worst = min(
            off, key=lambda i: (_roughness(kept[:i] + kept[i + 1 :]), -abs(_departure(i, kept)))
        )
        flagged.append(kept.pop(worst))
    return [(p, _ratio_to(p, kept)) for p in flagged], kept


def _nearest(point: _Point, others: list[_Point]) -> list[_Point]:
    """Its neighbours among ``others``: the one on each side, or the nearest at an end."""
    below = [p for p in others if p.x < point.x]
    above = [p for p in others if p.x > point.x]
    return below[-1:] + above[:1] if below and above else (below[-1:] or above[:1])


def _ratio_to(point: _Point, kept: list[_Point]) -> float:
    """Its cost per unit over its neighbours' trend: between two, the line joining them;
    at an end, the nearest one's cost."""
    near = _nearest(point, kept)
    if len(near) == 2:
        a, b = near
        return math.exp(point.y - (a.y + (b.y - a.y) * (point.x - a.x) / (b.x - a.x)))
    return math.exp(point.y - near[0].y) if near else 1.0


def _across(series, key, kept, limit) -> tuple[_Point, float, _Point] | None:
    """Two sizes at this worker count: their cost ratio against the consensus (median) of
    every count that has both, this one included (3 or more, so it is a majority). The
    point flagged is the one a cause is found for, else the one further from its size's
    cost at the other counts (equal there under perfect scaling)."""
    a, b = series
    others = [{p.size: p for p in pts} for k, pts in kept.items() if k != key and k[1:] == key[1:]]
    pairs = [o for o in others if a.size in o and b.size in o]
    if len(pairs) < 2:
        return None
    expected = float(np.median([b.y - a.y, *(o[b.size].y - o[a.size].y for o in pairs)]))
    excess = (b.y - a.y) - expected
    if abs(excess) <= limit:
        return None
    ratios = {a.size: math.exp(-excess), b.size: math.exp(excess)}
    caused = [p for p, q in ((a, b), (b, a)) if _cause(p, [q], ratios[p.size])[0] != "unknown"]
    if len(caused) == 1:
        point = caused[0]
    else:
        gap = {p.size: abs(p.y - float(np.median([o[p.size].y for o in pairs]))) for p in (a, b)}
        point = b if gap[b.size] > gap[a.size] else a
    return point, ratios[point.size], a if point is b else b


# -- causes and the policy ---------------------------------------------------------------


def _cause(point: _Point, neighbours: list[_Point], ratio: float) -> tuple[str, str]:
    """The likely cause, with the figures from the records that show it."""
    if neighbours and all(_apart(point, n, "rows_per_partition") for n in neighbours):
        theirs = float(np.median([n.rows_per_partition for n in neighbours]))
        return "partition layout", (
            f"{fmt_number(round(point.rows_per_partition))} rows per partition vs "
            f"{fmt_number(round(theirs))}"
        )
    methods = {n.method for n in neighbours if n.method}
    if point.method and methods and point.method not in methods:
        return "partition layout", f"sampled as {point.method}, its neighbours as " + (
            ", ".join(sorted(methods))
        )
    if neighbours and all(_apart(point, n, "tasks") for n in neighbours):
        theirs = ", ".join(
            f"{fmt_number(n.tasks)} at size {fmt_number(n.size)}" for n in neighbours
        )
        return "partition layout", f"{fmt_number(point.tasks)} tasks vs {theirs}"
    if ratio > 1:
        per_work = [n.spilled / math.exp(n.x) for n in neighbours]
        spill = point.spilled / math.exp(point.x)
        if point.spilled >= MIN_SPILL_BYTES and spill > REGIME_FACTOR * max(per_work, default=0):
            theirs = " and ".join(fmt_bytes(n.spilled) for n in neighbours)
            return (
                "spilling",
                f"spilled {fmt_bytes(point.spilled)} to disk, its neighbours {theirs}",
            )
        if point.first_ratio and point.first_ratio > MIN_DEPARTURE:
            return "warm-up", f"its first repeat took {fmt_number(point.first_ratio)}x its others"
    return "unknown", "nothing in the records explains it: measure it again"


def _apart(point: _Point, other: _Point, field: str) -> bool:
    """Whether a layout figure (rows per partition, tasks) of two points lies outside what
    a fixed partition size or a fixed partition count gives between them, by
    ``REGIME_FACTOR``: either keeps one of them equal, the other in proportion to the work."""
    mine, theirs = getattr(point, field), getattr(other, field)
    if not mine or not theirs:
        return False
    grown = math.exp(point.x - other.x)
    ratio = mine / theirs
    return ratio < min(1.0, grown) / REGIME_FACTOR or ratio > max(1.0, grown) * REGIME_FACTOR


def _decide(found, points: int) -> list[OffTrendPoint]:
    """Causes, then the policy: layout and warm-up left out, furthest first, while the fit
    keeps ``MIN_FIT_POINTS`` points; spilling and unknown causes kept."""
    out = []
    for point, ratio, neighbours, compared in sorted(found, key=lambda f: -abs(math.log(f[1]))):
        cause, evidence = _cause(point, neighbours, ratio)
        if cause == "unknown" and ratio > 1 and point.first_measured:  # on a fresh cluster
            cause, evidence = "warm-up", f"the first point measured on {point.n_workers} worker(s)"
        left_out = cause in LEFT_OUT_CAUSES and points - 1 >= MIN_FIT_POINTS
        points -= left_out
        if left_out:
            decision = "left out of the time model"
        else:
            decision = _KEPT.get(cause, "kept in the time model: too few points without it")
        cost = math.exp(point.y)
        out.append(
            OffTrendPoint(
                size=point.size,
                n_workers=point.n_workers,
                cost=cost,
                neighbours_cost=cost / ratio,
                ratio=ratio,
                compared_with=compared,
                unit=point.unit,
                size_unit=point.size_unit,
                cause=cause,
                evidence=evidence,
                left_out=left_out,
                decision=decision,
                backend=point.backend,
                threads_per_worker=point.threads,
            )
        )
    return sorted(out, key=lambda p: (p.n_workers, p.size))
