"""What measuring costs: a measured run against the same Dask computation run bare.

    python benchmarks/overhead.py [--size 4200] [--runs 5]

Prints, from one run on a 2-worker LocalCluster (ratios, since absolute times drift
on shared machines):
- recorded wall / bare wall: does the span and the instrumentation slow the work?
  (target: at most 1.05 for runs of 2 s or more)
- whole measure call / bare wall: the same, counting the metric reads around the run;
- the harness's fixed cost per measured run and per point (seconds), from a sweep of
  a trivial workload.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from scaling_lib import ClusterSpec, get_workload, load_spec, workload
from scaling_lib.clusters import open_cluster
from scaling_lib.measure import measure_dask_run
from scaling_lib.plan import plan_points
from scaling_lib.store import ResultsStore
from scaling_lib.sweep import _PointRunner


def _one(i: int) -> int:
    return i


@workload("overhead-trivial")
def trivial(client, size, tasks=4):
    """Four tiny tasks: what is left of a point's time is the harness."""
    return {"items": sum(client.gather(client.map(_one, range(tasks), pure=False)))}


def bare_vs_measured(session, size: int, runs: int) -> None:
    wl = get_workload("array")
    params = wl.check_params({})
    client = session.client
    inputs = wl.prepare(client, size, params)
    built = wl.build(client, inputs, size, params)
    graph = built[0]  # the lazy sum(X @ Y); built[1] is the precision error (0 here)
    client.compute(graph).result()  # warm-up
    bare, recorded, whole = [], [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        client.compute(graph).result()
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        m = measure_dask_run(client, wl, built, size, params, workers=session.workers)
        whole.append(time.perf_counter() - start)
        recorded.append(m["wall_s"])
    b, r, w = (statistics.median(x) for x in (bare, recorded, whole))
    print(f"array n={size} on 2 workers, median of {runs} interleaved runs each")
    print(f"  bare run                       {b:8.3f} s")
    print(f"  measured run (recorded wall)   {r:8.3f} s   ratio {r / b:.3f}  (target <= 1.05)")
    print(f"  whole measure call             {w:8.3f} s   ratio {w / b:.3f}")
    print(f"  fixed cost per measured run    {w - r:8.3f} s   (metric reads around the run)")
    verdict = "meets" if r / b <= 1.05 else "MISSES"
    print(f"  -> {verdict} the 1.05 target" + ("" if b >= 2 else " (but the run is under 2 s)"))


def fixed_cost_per_point(points: int) -> None:

    spec = load_spec(
        {
            "study": "overhead",
            "workload": "overhead-trivial",
            "sizes": [1000 + i for i in range(points)],
            "workers": [2],
            "repeats": 3,
            "warmup": 0,
            "baseline": False,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        runner = _PointRunner(spec, get_workload(spec.workload), ResultsStore(tmp), "bench")
        with open_cluster(
            spec.cluster, n_workers=2, threads_per_worker=1, memory_limit=spec.memory_limit
        ) as session:
            per_point = []
            for point in plan_points(spec, has_baseline=False):
                start = time.perf_counter()
                records = runner.measure_on_cluster(session, point)
                runner.store.append(spec.study, point.point_id, records)
                elapsed = time.perf_counter() - start
                per_point.append(elapsed - sum(r["wall_s"] for r in records))
    print(f"trivial workload, {points} points x 3 repeats on 2 workers")
    print(
        f"  harness cost per point (prepare, metric reads, store write): "
        f"median {statistics.median(per_point):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=4200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--points", type=int, default=6)
    args = parser.parse_args()
    with open_cluster(
        ClusterSpec(), n_workers=2, threads_per_worker=1, memory_limit=4 * 2**30
    ) as session:
        bare_vs_measured(session, args.size, args.runs)
    fixed_cost_per_point(args.points)


if __name__ == "__main__":
    main()
