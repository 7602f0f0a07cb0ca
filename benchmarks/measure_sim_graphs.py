"""Measure the four sleep graphs (benchmarks/sim_graphs.py) at 1-16 workers, with traces.

    python benchmarks/measure_sim_graphs.py --results /tmp/simgraphs [--quick]

One study per graph (``sim-sleep-tree``, ...; ``-quick`` appended with ``--quick``),
each through ``scaling_lib.run.sweep.run_study``: single-thread workers, 1 GiB each, one
warm-up, no baseline or host limits, task traces on. ``--quick`` measures 1, 2 and 4
workers once; the default 1, 2, 4, 8 and 16 workers three times. Points already in the
results store are skipped (run_study resumes), so a killed measurement continues.

Prints, per graph and worker count, the median measured wall time, its speed-up over
one worker, the sleep-only floor (``max(sleep_total / workers, critical_path)``), the
task count and the bytes moved between workers; then, per graph, the rows of one trace
(``scaling_lib.store.traces.load_trace``) to show the traces exist. The sleeps release the GIL,
so 16 worker processes really run in parallel on a 2-core host; what is left above the
floor is Dask's own per-task cost, which does compete for the 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `benchmarks` is a namespace package under the root; the
    sys.path.insert(0, str(_ROOT))  # workers (spawned) inherit this path

from scaling_lib.run.sweep import run_study  # noqa: E402
from scaling_lib.store.records import ResultsStore  # noqa: E402
from scaling_lib.store.traces import load_trace  # noqa: E402

MB = 1_000_000

# graph -> (workload path, size, params): 5-10 s of sleep on one worker each. Tasks sleep
# 0.1 s: with 20-40 ms tasks, Dask's own per-task CPU (a few ms on the worker, the
# scheduler and each transfer) across 16 worker processes saturates 2 cores, and the
# truths at 8-16 workers measure the host's CPU instead of the schedule.
GRAPHS = {
    "sleep-tree": (
        "benchmarks.sim_graphs:SleepTree",
        64,  # 64 leaves + 16 + 4 + 1 combines = 85 tasks
        {"task_s": 0.1, "bytes_per_task": 2 * MB},
    ),
    "sleep-shuffle": (
        "benchmarks.sim_graphs:SleepShuffle",
        24,  # 24 splits + 576 getitems + 24 outputs + 24 checks + 1 = 649 tasks
        {"task_s": 0.1, "bytes_per_task": 2 * MB},
    ),
    "sleep-stragglers": (
        "benchmarks.sim_graphs:SleepStragglers",
        64,  # 64 map tasks (6 of them 5x longer) + 1 sum = 65 tasks
        {"task_s": 0.1, "bytes_per_task": 2 * MB},
    ),
    "sleep-pipeline": (
        "benchmarks.sim_graphs:SleepPipeline",
        32,  # 32 chains x 3 stages + 32 scalars + 8 + 2 + 1 sums = 139 tasks
        {"task_s": 0.1, "bytes_per_task": 2 * MB},
    ),
}


def spec_for(graph: str, workers, repeats: int, quick: bool) -> dict:
    path, size, params = GRAPHS[graph]
    return {
        "study": f"sim-{graph}" + ("-quick" if quick else ""),
        "workload": path,
        "sizes": [size],
        "workers": list(workers),
        "params": dict(params),
        "threads_per_worker": 1,
        "memory_limit": "1GiB",
        "repeats": repeats,
        "warmup": 1,
        "timeout_s": 300,
        "baseline": False,
        "calibrate": False,
        "trace": True,
    }


def measure_sim_graphs(
    results: str, workers=(1, 2, 4, 8, 16), repeats: int = 3, quick: bool = False
) -> list[str]:
    """Run one study per graph into ``results``; the study names."""
    if quick:
        workers, repeats = (1, 2, 4), 1
    studies = []
    with warnings.catch_warnings():
        # More workers than cores is the point here (the sleeps release the GIL); the
        # records still say oversubscribed.
        warnings.filterwarnings("ignore", message=".*oversubscribed.*", category=RuntimeWarning)
        for graph in GRAPHS:
            spec = spec_for(graph, workers, repeats, quick)
            summary = run_study(spec, results=results, progress=False, log=lambda _m: None)
            print(summary, flush=True)
            studies.append(spec["study"])
    return studies


def report(results: str, studies: list[str]) -> None:
    store = ResultsStore(results)
    for study in studies:
        df = store.load_study(study)
        ok = df[df["status"] == "ok"]
        bad = df[df["status"] != "ok"]
        first = df.iloc[0]
        params = {c[6:]: _plain(first[c]) for c in df if c.startswith("param.")}
        print(f"\n{study}: size {df['size'].iloc[0]:g}, {params}")
        if not bad.empty:
            for row in bad.itertuples():
                print(f"  FAILED {row.n_workers}w: {row.status} {row.error_message}")
        print(
            f"  {'workers':>7} {'runs':>4} {'wall_s':>7} {'speedup':>7} {'floor_s':>7} "
            f"{'tasks':>6} {'MB moved':>9}"
        )
        one = None
        for n, grp in ok.groupby("n_workers"):
            wall = grp["wall_s"].median()
            one = wall if one is None and n == 1 else one
            total = grp["metric.sleep_total_s"].iloc[0]
            crit = grp["metric.critical_path_s"].iloc[0]
            floor = max(total / n, crit)
            speedup = f"{one / wall:7.2f}" if one else f"{'-':>7}"
            print(
                f"  {n:>7} {len(grp):>4} {wall:7.3f} {speedup} {floor:7.3f} "
                f"{int(grp['task_count'].median()):>6} "
                f"{grp['bytes_transferred'].median() / MB:9.1f}"
            )
        if ok.empty:
            continue
        last = ok.sort_values(["n_workers", "repeat"]).iloc[-1]
        trace = load_trace(study, last["point_id"], int(last["repeat"]), results=results)
        print(
            f"  trace of {last['n_workers']} workers, repeat {last['repeat']} "
            f"({last['trace_file']}): {len(trace.tasks)} task rows, "
            f"{len(trace.transfers)} transfer rows, {len(trace.inputs)} input rows, "
            f"{len(trace.meta.get('workers', {}))} workers"
        )


def _plain(value):
    """A NumPy scalar as the Python number it holds (for printing)."""
    return value.item() if hasattr(value, "item") else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", required=True, help="results store (folder or URL)")
    parser.add_argument("--quick", action="store_true", help="1, 2 and 4 workers, 1 repeat")
    args = parser.parse_args()
    start = time.perf_counter()
    studies = measure_sim_graphs(args.results, quick=args.quick)
    report(args.results, studies)
    print(f"\nmeasured in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
