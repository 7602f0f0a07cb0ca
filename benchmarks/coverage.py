"""Do the forecast intervals mean what they say? Coverage of the 90% interval.

    python benchmarks/coverage.py [--draws 240] [--real] [--simulated [--quick]]
                                  [--results DIR] [--repeats 3]

(a) Planted laws (benchmarks/planted_laws.py): for each draw, the measured grid
(sizes s..8s on 1 and 2 workers, 3 noisy repeats) is fitted by `fit_time_model`, and
each target (16s, 32s, 128s on 1-16 workers) gets one fresh noisy run of the law: the
interval is for a run, so a run is the truth. Prints the coverage and the median
relative width ((high - low) / central) overall, per law, per size and per worker count.

(b) With --real: held-out real runs of the built-in workloads, measured on this machine
through `benchmarks/prediction.py`'s studies (sizes s..8s and 32s on 1 and 2 workers;
a --results store already holding them is reused). Fit on s..4s and check every run at
8s and 32s; fit on s..8s and check every run at 32s.

(c) With --simulated: the intervals of simulated options (``recommend`` beyond the measured
workers, ``analysis.option_cost.simulated``), on the four sleep graphs of
benchmarks/sim_graphs.py (their tasks sleep, so 4-8 workers run truly in parallel on 2
cores). Measured on 1 and 2 workers at s/4, s/2 and s (traced), the time model fitted and
the graph simulated as `scaling-lib recommend` does; every run at s and 2s on 4 and 8
workers is a truth. Beside it, the replays' range alone (what an option showed before).
--quick: two graphs, 1 repeat, 4 workers only.

Target: coverage within 85-97% on each, at 90% nominal.
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from planted_laws import TARGET_FACTORS, TARGET_WORKERS, planted_draws

from scaling_lib.analysis.predict import LEVEL, fit_time_model

TARGET = (0.85, 0.97)


class Tally:
    """Coverage and relative width, grouped by any number of labels."""

    def __init__(self) -> None:
        self.hits: dict[str, list[bool]] = collections.defaultdict(list)
        self.widths: dict[str, list[float]] = collections.defaultdict(list)

    def add(self, labels: list[str], low: float, high: float, central: float, truth: float):
        for label in labels:
            self.hits[label].append(low <= truth <= high)
            self.widths[label].append((high - low) / central if central > 0 else math.inf)

    def coverage(self, label: str) -> float:
        return float(np.mean(self.hits[label]))

    def print(self, title: str) -> None:
        print(f"\n{title}")
        print(f"  {'group':42} {'checks':>6} {'coverage':>9} {'median width':>13}")
        # "all" first, then each grouping in the order its groups first appeared
        kinds = list(dict.fromkeys(label.split(":")[0] for label in self.hits))
        for label in sorted(self.hits, key=lambda label: kinds.index(label.split(":")[0])):
            print(
                f"  {label:42} {len(self.hits[label]):6d} {self.coverage(label):9.1%} "
                f"{np.median(self.widths[label]):13.2f}"
            )


def planted(draws: int) -> Tally:
    tally = Tally()
    rng = np.random.default_rng(2026)
    for draw in planted_draws(draws, seed=0):
        df = draw.records()
        if draw.work is None:
            df = df.drop(columns="work_items")
        model = fit_time_model(df, draws=100)
        for factor in TARGET_FACTORS:
            size = draw.base * factor
            for pred in model.predict_many(size, list(TARGET_WORKERS)):
                truth = draw.truth_run(size, pred.n_workers, rng)
                labels = [
                    "all",
                    f"law: {draw.law}",
                    f"size: {factor}s ({factor // 8}x the largest measured)",
                    f"workers: {pred.n_workers}",
                ]
                tally.add(labels, pred.low, pred.high, pred.seconds, truth)
    return tally


def real(results: str, repeats: int) -> Tally:
    from prediction import FACTORS, WORKLOADS, measure_workload

    tally = Tally()
    for name in WORKLOADS:
        small, large = measure_workload(name, results, repeats)
        base = WORKLOADS[name]["base"]
        both = pd.concat([small, large], ignore_index=True)
        fits = {
            f"s..{FACTORS[-2]}s": small[small["size"] <= base * FACTORS[-2]],
            f"s..{FACTORS[-1]}s": small,
        }
        for fitted_on, train in fits.items():
            model = fit_time_model(train, draws=100)
            largest = train["size"].max()
            held = both[both["size"] > largest]
            for (size, workers), runs in held.groupby(["size", "n_workers"]):
                pred = model.predict(float(size), int(workers))
                factor = size / base
                for truth in runs["wall_s"]:
                    labels = [
                        "all",
                        f"workload: {name}",
                        f"fit on {fitted_on}, check {factor:g}s",
                        f"workers: {int(workers)}",
                    ]
                    tally.add(labels, pred.low, pred.high, pred.seconds, float(truth))
    return tally


def simulated(results: str, repeats: int, quick: bool) -> tuple[Tally, Tally]:
    """(c): the combined interval of simulated options, and the replays' range alone."""
    import warnings

    from measure_sim_graphs import GRAPHS

    from scaling_lib.analysis.offers import Instance
    from scaling_lib.analysis.option_cost import simulated as simulated_option
    from scaling_lib.run.sweep import run_study
    from scaling_lib.simulate.study_recommendation import DRAWS
    from scaling_lib.simulate.what_if import WhatIfModel
    from scaling_lib.store.records import ResultsStore

    combined, replays = Tally(), Tally()
    store = ResultsStore(results)
    graphs = ["sleep-tree", "sleep-stragglers"] if quick else list(GRAPHS)
    targets = (4,) if quick else (4, 8)
    repeats = 1 if quick else repeats
    for graph in graphs:
        path, top, params = GRAPHS[graph]
        top = int(top)
        base = {
            "workload": path,
            "params": dict(params),
            "threads_per_worker": 1,
            "memory_limit": "1GiB",
            "repeats": repeats,
            "warmup": 1,
            "baseline": False,
            "calibrate": False,
        }
        train, truth = f"cov-{graph}", f"cov-{graph}-truth"
        with warnings.catch_warnings():  # more workers than cores is the point here
            warnings.filterwarnings("ignore", message=".*oversubscribed.*")
            run_study(
                dict(base, study=train, sizes=[top // 4, top // 2, top], workers=[1, 2]),
                results=results,
                progress=False,
            )
            run_study(
                dict(base, study=truth, sizes=[top, 2 * top], workers=list(targets), trace=False),
                results=results,
                progress=False,
            )
        model = fit_time_model(store.load_study(train), draws=DRAWS)
        held = store.load_study(truth)
        held = held[held["status"] == "ok"]
        for size in (top, 2 * top):
            sim = WhatIfModel(train, store, size=size)
            for workers in targets:
                fitted = model.predict(float(size), workers)
                inst = Instance("host", vcpus=workers, memory_gib=64, on_demand_hour=1.0,
                                committed_hour=1.0)  # fmt: skip
                pred = simulated_option(sim, fitted, inst, 1, workers)
                at = sim.at(workers)
                runs = held[(held["size"] == size) & (held["n_workers"] == workers)]
                for truth_s in runs["wall_s"]:
                    labels = [
                        "all",
                        f"graph: {graph}",
                        f"size: {'s (measured)' if size == top else '2s'}",
                        f"workers: {workers}",
                    ]
                    combined.add(labels, pred.low, pred.high, pred.seconds, float(truth_s))
                    replays.add(labels, at.low, at.high, at.wall_s, float(truth_s))
    return combined, replays


def verdict(name: str, tally: Tally) -> str:
    cov = tally.coverage("all")
    ok = TARGET[0] <= cov <= TARGET[1]
    width = np.median(tally.widths["all"])
    return (
        f"{name}: coverage {cov:.1%} of {len(tally.hits['all'])} checks at {LEVEL:.0%} "
        f"nominal, median relative width {width:.2f} "
        f"(target {TARGET[0]:.0%}-{TARGET[1]:.0%}: {'met' if ok else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=240, help="planted-law draws")
    parser.add_argument("--real", action="store_true", help="also held-out real runs")
    parser.add_argument("--results", help="results store for --real (default: temporary)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per point, --real")
    parser.add_argument("--simulated", action="store_true", help="also simulated options")
    parser.add_argument("--quick", action="store_true", help="--simulated: 2 graphs, 1 repeat")
    args = parser.parse_args()

    start = time.perf_counter()
    tallies = {"planted laws": planted(args.draws)}
    tallies["planted laws"].print(
        f"(a) {args.draws} planted-law draws ({time.perf_counter() - start:.0f} s)"
    )
    if args.real:
        results = args.results or tempfile.mkdtemp(prefix="scaling-lib-coverage-")
        tallies["held-out real runs"] = real(results, args.repeats)
        tallies["held-out real runs"].print(f"(b) held-out real runs (results in {results})")
    if args.simulated:
        results = args.results or tempfile.mkdtemp(prefix="scaling-lib-coverage-")
        combined, alone = simulated(results, args.repeats, args.quick)
        tallies["simulated options"] = combined
        tallies["replays' range alone"] = alone
        combined.print(f"(c) simulated options, held-out runs (results in {results})")
        alone.print("(c) the replays' range alone, same checks")
    print()
    for name, tally in tallies.items():
        print(verdict(name, tally))


if __name__ == "__main__":
    main()
