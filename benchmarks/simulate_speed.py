"""How fast the scheduler simulator runs on a Dask-array-shaped graph of ~50,000 tasks.

    python benchmarks/simulate_speed.py [--chunks 10000] [--workers 64] [--threads 1]
                                        [--profile]

The graph: ``chunks`` root tasks (random_sample), a map over them (add), a shuffle-like
stage (rechunk-merge: each output chunk gathers 4 input chunks from all over), a second
map (mul), a per-chunk partial reduction (sum-chunk) and a tree reduction with fan-in 8
(sum-agg). Priorities go chunk by chunk, depth first, roughly what ``dask.order`` does
for such a graph. Prints tasks, workers, seconds taken, tasks per second and whether it
meets the target (under 5 s on the 2-core development machine). ``--profile`` prints
the top of a cProfile run instead of timing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from scaling_lib.simulate import SimCluster, SimGraph, SimTask, simulate

TARGET_S = 5.0
MB = 1_000_000


def array_graph(chunks: int) -> SimGraph:
    """Roots, map, shuffle, map, partial sums and an 8-ary tree reduction."""
    tasks: list[SimTask] = []

    def add(name: str, i: int, dur: float, nbytes: int, deps: tuple[int, ...], prio: tuple) -> int:
        tasks.append(SimTask(f"('{name}', {i})", name, name.split("-")[0], dur, nbytes, deps, prio))
        return len(tasks) - 1

    roots = [add("random_sample", i, 0.05, 1 * MB, (), (i, 0)) for i in range(chunks)]
    maps = [add("add", i, 0.02, 1 * MB, (roots[i],), (i, 1)) for i in range(chunks)]
    quarter = max(chunks // 4, 1)
    shuffled = []
    for i in range(chunks):
        deps = tuple(sorted({maps[(i * 7 + k * quarter) % chunks] for k in range(4)}))
        shuffled.append(add("rechunk-merge", i, 0.01, 1 * MB, deps, (i, 2)))
    maps2 = [add("mul", i, 0.02, 1 * MB, (shuffled[i],), (i, 3)) for i in range(chunks)]
    level = [add("sum-chunk", i, 0.005, 1000, (maps2[i],), (i, 4)) for i in range(chunks)]
    depth = 0
    while len(level) > 1:
        depth += 1
        level = [
            add(
                f"sum-agg-{depth}",
                j,
                0.005,
                1000,
                tuple(level[j * 8 : j * 8 + 8]),
                (j * 8**depth, 5 + depth),
            )
            for j in range((len(level) + 7) // 8)
        ]
    return SimGraph(tuple(tasks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    graph = array_graph(args.chunks)
    cluster = SimCluster(n_workers=args.workers, threads_per_worker=args.threads)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        simulate(graph, cluster)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    t0 = time.perf_counter()
    result = simulate(graph, cluster)
    took = time.perf_counter() - t0
    print(f"tasks:           {graph.n_tasks}")
    print(f"workers:         {args.workers} x {args.threads} thread(s)")
    print(f"seconds taken:   {took:.2f}")
    print(f"tasks/s:         {graph.n_tasks / took:,.0f}")
    print(
        f"simulated wall:  {result.wall_s:.2f} s, {result.n_transfers} transfers, "
        f"{result.bytes_moved / MB:,.0f} MB moved, {result.stolen} stolen"
    )
    verdict = "meets" if took < TARGET_S else "MISSES"
    print(f"target:          {verdict} the target (< {TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
