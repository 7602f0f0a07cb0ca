"""This host's Dask per-task gap with W busy worker processes: what a local cluster beyond
the cores pays that traces of 1-2 workers cannot show.

    python benchmarks/host_latency.py [--workers 2,4,8,16] [--sleeps 0,0.01,0.03,0.1]

For each worker count W: W single-thread workers on a local cluster configured as the
sweeps configure theirs, and W chains of ``--length`` tasks, one chain per worker, every
task sleeping d seconds (no CPU, the GIL released), all sent as one graph. The gap per
task is (wall / length) - d: Dask's round trip from one task's end to the next one's
start, with W workers sending their messages at once. On a cluster of machines it does
not depend on W; on one host with more processes than cores it does, and how much
depends on the message rate (a shorter d, more messages).

The chains share nothing with the graphs ``benchmarks/simulate.py`` checks: this measures
the host, as the roofline's host limits measure its cores. ``simulate.py`` scales the
per-task constants measured at 1-2 workers by the ratio of these gaps at the graph's
median task duration (``gap_ratio``). Results are kept in ``host-latency.json`` in the
results folder and reused.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from scaling_lib.run.clusters import open_cluster  # noqa: E402
from scaling_lib.spec.study import ClusterSpec  # noqa: E402

FILE = "host-latency.json"


def _step(seconds: float, _previous: object = None) -> int:
    time.sleep(seconds)
    return 0


def _chains_wall(client, n_chains: int, length: int, seconds: float) -> float:
    import dask

    ends = []
    for _ in range(n_chains):
        last = dask.delayed(_step, pure=False)(seconds)
        for _ in range(length - 1):
            last = dask.delayed(_step, pure=False)(seconds, last)
        ends.append(last)
    start = time.perf_counter()
    client.gather(client.compute(ends, optimize_graph=False))
    return time.perf_counter() - start


def measure(workers, sleeps, *, length: int = 30, repeats: int = 3) -> dict[str, float]:
    """{"W:d": median gap per task in seconds} for every worker count and sleep."""
    out = {}
    for n in workers:
        with open_cluster(
            ClusterSpec(), n_workers=n, threads_per_worker=1, memory_limit=2**30
        ) as session:
            time.sleep(2.0)  # the workers' monitors and heartbeats reach their pace
            _chains_wall(session.client, n, 5, 0.0)
            for d in sleeps:
                walls = [_chains_wall(session.client, n, length, d) for _ in range(repeats)]
                gap = out[f"{n}:{d:g}"] = max(statistics.median(walls) / length - d, 0.0)
                print(f"  {n:>2} workers, tasks of {d * 1e3:5.1f} ms: gap {gap * 1e3:6.2f} ms")
    return out


def load_or_measure(results: str, workers, sleeps) -> dict[str, float]:
    path = Path(results) / FILE
    if path.exists():
        saved = json.loads(path.read_text())
        if all(f"{n}:{d:g}" in saved for n in workers for d in sleeps):
            return saved
    print("host latency (benchmarks/host_latency.py):")
    gaps = measure(workers, sleeps)
    path.write_text(json.dumps(gaps, indent=1))
    return gaps


def gap_at(gaps: dict[str, float], workers: int, task_s: float) -> float:
    """The gap at ``workers`` for tasks of ``task_s`` (linear between measured sleeps)."""
    points = sorted(
        (float(k.split(":")[1]), v) for k, v in gaps.items() if int(k.split(":")[0]) == workers
    )
    if not points:
        raise KeyError(f"no host latency measured at {workers} workers")
    xs, ys = zip(*points, strict=True)
    return float(np.interp(task_s, xs, ys))


def gap_ratio(gaps: dict[str, float], target: int, source: int, task_s: float) -> float:
    """How much longer a task's round trip is with ``target`` workers on this host than
    with ``source``, for tasks of ``task_s``."""
    return gap_at(gaps, target, task_s) / max(gap_at(gaps, source, task_s), 1e-6)


def host_surface(gaps: dict[str, float], target: int, source: int):
    """``SimCluster.host_gaps`` for ``target`` workers: (tasks finished per worker per
    second, gap ratio to ``source`` workers) at each measured task length."""
    points = []
    for key, gap in gaps.items():
        n, d = key.split(":")
        if int(n) == target:
            d = float(d)
            ratio = gap / max(gap_at(gaps, source, d), 1e-6)
            points.append((1.0 / (d + gap), max(ratio, 1e-6)))
    return tuple(sorted(points))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="2,4,8,16")
    parser.add_argument("--sleeps", default="0,0.01,0.03,0.1")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    sleeps = [float(s) for s in args.sleeps.split(",")]
    measure(workers, sleeps)


if __name__ == "__main__":
    main()
