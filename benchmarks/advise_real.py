"""Part (b) of benchmarks/advise.py: the three strategies on real runs of this machine.

    python benchmarks/advise.py --real [--keep DIR]

Two workloads of examples/ are measured with the real engine (``run_study``), once:

- **etl**: the dataframe ETL of examples/etl.yaml (filter, groupby-aggregate, shuffle
  join; 8 partitions, 10,000 keys, data made in memory), grid 62,500 to 2,000,000 rows
  (6 doublings) on 1 and 2 workers, target 8,000,000 rows on 2 workers;
- **events**: the events pipeline of examples/events.yaml over make_events' dataset,
  written as 128 files of 78,125 rows (10M rows, one partition per file, so every
  grid fraction reads whole partitions), grid 1/128 to 32/128 of the dataset (6
  doublings) on 1 and 2 workers, target the whole dataset on 2 workers.

Every grid point is measured once with 6 timed runs (1 warm-up; no baseline, no trace,
no calibration), the target as a study of its own with 3 runs on 2 workers. Data and
results go to ``keep`` (or a temporary folder): a second run reuses both, since
``run_study`` skips the points already recorded.

Each strategy then replays those records offline (``RealLab``, through advise.py's
``sweep``): measuring a point hands out its next 3 unused runs and costs their seconds
plus the point's recorded cluster start and preparation and one warm-up run (the
point's median run). The grid is advise.py's ``grid_order``; the advisor and random
are advise.py's, with the lab's reach (new sizes only when ``sweep`` asks), choosing
within the grid (``Reach(workers=(1, 2), max_size=largest grid size,
repeats=3, warmup=1)``); a point whose 6 runs are used up cannot be replayed, so they
take their next best (advisor) or another random candidate (random) instead, and the
number of such skips is printed. A size that is not a measured grid size (beyond
float noise) raises ``OffGrid`` rather than inventing runs.

The advisor and the grid are deterministic and run once; random runs with
``RANDOM_SEEDS`` seeds. ``summarize`` gets one row per (random seed, measured run at
the target), each pairing that seed's random outcome with the one advisor and grid
outcomes and that target run as the truth: its medians are the medians over seeds, its
coverage the fraction of the target's measured runs inside the final interval.
"""

from __future__ import annotations

import math
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from advise import RUNS, Outcome, grid_order, summarize, sweep

from scaling_lib import load_results, run_study
from scaling_lib.analysis.advise import advise
from scaling_lib.analysis.advise_candidates import Reach, candidate_points
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.units import fmt_number

ROOT = Path(__file__).resolve().parents[1]
RECORDED_RUNS = 6  # timed runs per grid point
TARGET_RUNS = 3  # timed runs at the target
WORKERS = (1, 2)
TARGET_WORKERS = 2
SLACKS = (1.1, 1.5)  # target widths: these times what the whole grid reaches
RANDOM_SEEDS = 20

EVENT_FILES = 128
EVENT_ROWS = 10_000_000  # 78,125 rows per file

COMMON = {
    "workers": list(WORKERS),
    "repeats": RECORDED_RUNS,
    "warmup": 1,
    "baseline": False,
    "trace": False,
    "calibrate": False,
}


@dataclass(frozen=True)
class Workload:
    name: str
    grid_spec: dict
    target_spec: dict
    target_size: float


class OffGrid(ValueError):
    """A strategy asked for a point that was not measured: no runs to replay."""


def etl() -> Workload:
    base = {
        **COMMON,
        "workload": "dataframe",
        "params": {"partitions": 8, "keys": 10_000, "source": "memory", "shuffle": "tasks"},
    }
    sizes = [62_500 * 2**k for k in range(6)]  # 62,500 .. 2,000,000 rows
    target = 8_000_000
    return Workload(
        "etl (dataframe, examples/etl.yaml)",
        {**base, "study": "advise-real-etl", "sizes": sizes},
        {
            **base,
            "study": "advise-real-etl-target",
            "sizes": [target],
            "workers": [TARGET_WORKERS],
            "repeats": TARGET_RUNS,
        },
        float(target),
    )


def events(data: Path) -> Workload:
    base = {
        **COMMON,
        "workload": "examples.events_pipeline:features",
        "dataset": {"path": str(data / "*.parquet"), "format": "parquet"},
        "params": {"min_amount": 1.0},
    }
    sizes = [2**k / EVENT_FILES for k in range(6)]  # 1/128 .. 32/128: whole files
    return Workload(
        "events (dataset study, examples/events.yaml)",
        {**base, "study": "advise-real-events", "sizes": sizes},
        {
            **base,
            "study": "advise-real-events-target",
            "sizes": [1.0],
            "workers": [TARGET_WORKERS],
            "repeats": TARGET_RUNS,
        },
        1.0,
    )


def write_events(folder: Path) -> None:
    """make_events' dataset (written once: a folder with COMPLETE is reused)."""
    from examples.make_events import main as make_events

    if (folder / "COMPLETE").exists():
        return
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted write: start again
    args = [str(folder), "--rows", str(EVENT_ROWS), "--files", str(EVENT_FILES)]
    if make_events([*args, "--row-group", str(EVENT_ROWS // EVENT_FILES)]) != 0:
        raise RuntimeError(f"make_events could not write {folder}")
    (folder / "COMPLETE").touch()


def measure(spec: dict, results: str) -> pd.DataFrame:
    """The study's successful runs, measuring what the store does not hold yet."""
    summary = run_study(spec, results=results, progress=False, log=lambda line: None)
    print(f"  {summary}", flush=True)
    runs = dask_runs(load_results(results, spec["study"]))
    if runs.empty:
        raise RuntimeError(f"study {spec['study']!r}: no successful runs")
    return runs.reset_index(drop=True)


class RealLab:
    """A study's recorded runs as the thing measured (PlantedLab's interface)."""

    def __init__(self, runs: pd.DataFrame, target_runs: pd.DataFrame, target_size: float):
        self.points = {
            (float(s), int(w)): g.sort_values("repeat").reset_index(drop=True)
            for (s, w), g in runs.groupby(["size", "n_workers"])
        }
        self.sizes = sorted({s for s, _ in self.points})
        self.target = (target_size, TARGET_WORKERS)
        self.reach = Reach(workers=WORKERS, max_size=self.sizes[-1], repeats=RUNS, warmup=1)
        self._truth = [float(v) for v in target_runs["wall_s"]]
        self.used: Counter = Counter()
        self.skipped = 0  # chosen points whose runs were used up
        self.stopped = ""  # why the advisor stopped choosing, if it did

    def grid(self) -> list[tuple[float, int]]:
        """The measured points in run's order: every size on 1 worker, then on 2."""
        return [(s, w) for w in WORKERS for s in self.sizes if (s, w) in self.points]

    def snap(self, size: float, workers: int) -> tuple[float, int]:
        """The grid point a requested (size, workers) is. The advisor's and random's
        sizes are doublings of measured sizes (whole partitions for the events), capped
        at the largest grid size, or the geometric middle of a gap of 4x or more between
        measured sizes; the grid doubles, so a middle lies within a factor of sqrt(2) of
        a grid size, and it is snapped to the nearest one (in ratio). A worker count never
        measured, or a size beyond that, is an error: there are no runs to replay."""
        nearest = min(self.sizes, key=lambda s: abs(math.log(s / size)))
        point = (nearest, int(workers))
        if abs(math.log(nearest / size)) > math.log(2) / 2 + 1e-9 or point not in self.points:
            raise OffGrid(
                f"{size:g} on {workers} workers is not a measured grid point (sizes "
                f"{', '.join(f'{s:g}' for s in self.sizes)} on {WORKERS} workers)"
            )
        return point

    def left(self, point: tuple[float, int]) -> int:
        return len(self.points[point]) - self.used[point]

    def measure(self, size: float, workers: int, taken: int) -> tuple[pd.DataFrame, float]:
        """The point's next ``RUNS`` unused runs (what is left, if fewer) and their cost:
        their seconds, the point's cluster start and preparation, one warm-up run."""
        point = self.snap(size, workers)
        recorded = self.points[point]
        first = self.used[point]
        rows = recorded.iloc[first : first + RUNS].copy()
        if rows.empty:
            raise OffGrid(f"{size:g} on {workers} workers: all its recorded runs are used")
        self.used[point] += len(rows)
        rows["repeat"] = range(taken, taken + len(rows))
        return rows, float(rows["wall_s"].sum()) + _overhead(recorded)

    def truth(self) -> list[float]:
        return list(self._truth)

    def grid_total(self) -> float:
        """The whole grid's cost, ``RUNS`` runs a point: what a strategy that never
        reaches the width is charged (at least)."""
        return sum(
            float(self.points[p]["wall_s"].iloc[:RUNS].sum()) + _overhead(self.points[p])
            for p in self.grid()
        )


def _overhead(recorded: pd.DataFrame) -> float:
    """Cluster start + preparation + one warm-up run (the point's median run)."""
    first = recorded.iloc[0]
    return (
        float(np.nan_to_num(first["cluster_start_s"]))
        + float(np.nan_to_num(first["prepare_s"]))
        + float(recorded["wall_s"].median())
    )


def advisor(lab: RealLab) -> Callable:
    """advise.py's advisor within the grid: the best ranked candidate with runs left
    (only those that confirm a narrow interval while ``sweep`` says it is unconfirmed)."""

    def choose(df, taken, wanted=None):
        size, workers = lab.target
        report = advise(df, target_size=size, target_workers=workers, reach=lab.reach)
        ranked = report.ranked
        if wanted:
            ranked = [a for a in ranked if wanted(a.candidate)]
        elif report.out_of_reach:
            lab.stopped = report.out_of_reach
            return None
        for n, a in enumerate(ranked):
            point = lab.snap(a.candidate.size, a.candidate.n_workers)
            if lab.left(point) > 0:
                lab.skipped += n
                return point
        lab.stopped = "no candidate with runs left" if ranked else "no candidate"
        return None

    return choose


def random_choice(lab: RealLab, seed: int) -> Callable:
    """advise.py's random: one of the advisor's candidates (with runs left) at random."""
    rng = np.random.default_rng(seed)

    def choose(df, taken, wanted=None):
        size, workers = lab.target
        cands = candidate_points(df, lab.reach, target_size=size, target_workers=workers)
        if wanted:
            cands = [c for c in cands if wanted(c)]
        points = [lab.snap(c.size, c.n_workers) for c in cands if c.in_reach]
        open_points = [p for p in points if lab.left(p) > 0]
        lab.skipped += len(points) - len(open_points)
        if not open_points:
            return None
        return open_points[int(rng.integers(len(open_points)))]

    return choose


def compare(
    work: Workload, runs: pd.DataFrame, target: pd.DataFrame, width: float, slack: float
) -> dict:
    """The three strategies on one workload's records; summarize's stats. The width is
    at least ``slack`` times what the whole grid reaches."""

    def play(make) -> tuple[Outcome, RealLab]:
        lab = RealLab(runs, target, work.target_size)
        return sweep(lab, make(lab), width), lab

    started = time.perf_counter()
    # A width the whole grid reaches: on a noisy 2-core machine a fixed 2.0 may be out of
    # every strategy's reach, and then all of them are charged the whole grid alike.
    first3 = runs.sort_values("repeat").groupby(["size", "n_workers"]).head(3)
    whole = fit_time_model(first3, draws=50).predict(work.target_size, TARGET_WORKERS)
    reachable = slack * whole.high / whole.low
    if reachable > width:
        print(f"\n  the whole grid reaches {whole.high / whole.low:.2f}x: width {reachable:.2f}")
        width = reachable
    a, a_lab = play(advisor)
    g, _ = play(grid_order)
    randoms = [play(lambda lab, i=i: random_choice(lab, 2000 + i)) for i in range(RANDOM_SEEDS)]
    truths = a_lab.truth()
    total = a_lab.grid_total()
    print(f"\n{work.name}: target {fmt_number(work.target_size)} on {TARGET_WORKERS} workers")
    print(
        f"  target's measured runs: {', '.join(f'{t:.2f}' for t in truths)} s; "
        f"grid {len(a_lab.grid())} points, all of it {total:.0f} s"
    )
    print(
        f"  advisor {_line(a)}; points {_points(a_lab)}; "
        f"chosen points with no runs left {a_lab.skipped}"
    )
    if a_lab.stopped:
        print(f"    the advisor stopped: {a_lab.stopped}")
    print(f"  grid    {_line(g)}")
    r_seconds = [o.seconds for o, _ in randoms]
    print(
        f"  random  {sum(o.reached for o, _ in randoms)}/{RANDOM_SEEDS} seeds reached, "
        f"seconds median {statistics.median(r_seconds):.0f} (range {min(r_seconds):.0f}-"
        f"{max(r_seconds):.0f}), steps median "
        f"{statistics.median(o.steps for o, _ in randoms):.0f}; candidates with no runs left "
        f"excluded {sum(lab.skipped for _, lab in randoms)} times in all"
    )
    print(f"  replayed in {time.perf_counter() - started:.0f} s")
    rows = [
        (
            f"seed {i}, target run {j}",
            {"advisor": (a, t, total), "grid": (g, t, total), "random": (r, t, total)},
        )
        for i, (r, _) in enumerate(randoms)
        for j, t in enumerate(truths)
    ]
    title = (
        f"{work.name}, real runs (advisor and grid once, random x {RANDOM_SEEDS} seeds; "
        f"each x {len(truths)} measured target runs)"
    )
    return summarize(rows, title)


def _line(o: Outcome) -> str:
    state = f"{o.seconds:.0f} s" if o.reached else f"not reached ({o.seconds:.0f} s spent)"
    return (
        f"{state}, {o.steps} points after the start; interval {o.low:.2f}-{o.high:.2f} s "
        f"(width {o.high / o.low if o.low > 0 else math.inf:.2f}), central {o.central:.2f} s"
    )


def _points(lab: RealLab) -> str:
    return ", ".join(f"{fmt_number(s)}/{w}w x{n}" for (s, w), n in sorted(lab.used.items()) if n)


def real_workloads(keep: str | None, width: float) -> dict[str, dict]:
    """Measure (or reuse) both workloads' grids and targets, then compare the strategies
    on each, to a width 1.1x and 1.5x what the whole grid reaches (or ``width`` if wider):
    {"workload name, width label": summarize's stats}."""
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="advise-real-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = str(folder / "results")
    print(f"\n(b) real workloads on this machine, width {width}; data and runs in {folder}")
    started = time.perf_counter()
    write_events(folder / "events")
    works = [etl(), events(folder / "events")]
    recorded = []
    for work in works:
        print(f"{work.name}:", flush=True)
        recorded.append((measure(work.grid_spec, results), measure(work.target_spec, results)))
    print(f"measured (or reused) in {time.perf_counter() - started:.0f} s")
    stats = {}
    try:
        for work, (runs, target) in zip(works, recorded, strict=True):
            for slack in SLACKS:
                label = f"{work.name}, width {slack:g}x the whole grid's"
                stats[label] = compare(work, runs, target, width, slack)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return stats
