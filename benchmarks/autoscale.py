"""What adaptive scaling saves: worker-seconds of ``adapt(min, max)`` against ``max`` fixed.

    python benchmarks/autoscale.py [--profile 1@10,4@80,1@10] [--min 1] [--max 2] [--runs 1]

Runs the autoscaling experiment (``scaling_lib.run.autoscale``: the same bursty open-loop
request load on a fixed and on an adaptive LocalCluster, worker counts from the
scheduler's own add/remove-worker events) in a temporary store, and prints per run:
the adaptive cluster's worker-seconds over the fixed one's (below 1: adapting saved
workers; the target on a quiet machine is clearly below 1), the time from the burst's
start to the extra worker and from its end back to the minimum, and the burst's p95
latency on each cluster (what the saving costs in latency). Ratios, because absolute
times drift on a shared machine; a busy machine stretches the load, which leaves the
adaptive cluster fewer idle seconds to save.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from scaling_lib.run.autoscale import run_autoscale_experiment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="1@10,4@80,1@10")
    parser.add_argument("--min", dest="minimum", type=int, default=1)
    parser.add_argument("--max", dest="maximum", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    ratios = []
    lo, hi = args.minimum, args.maximum
    print(f"autoscale: load {args.profile}; adapt({lo}, {hi}) vs {hi} fixed")
    print(
        f"{'run':>3} {'fixed w-s':>10} {'adaptive w-s':>12} {'ratio':>6} "
        f"{'to extra s':>10} {'to min s':>8} {'p95 fixed s':>11} {'p95 adapt s':>11}"
    )
    with tempfile.TemporaryDirectory() as results:
        for run in range(args.runs):
            doc = run_autoscale_experiment(
                f"bench-{run}",
                results=results,
                profile=args.profile,
                minimum=args.minimum,
                maximum=args.maximum,
            )
            fixed, adaptive = doc["fixed"], doc["adaptive"]
            ratio = adaptive["worker_seconds"] / fixed["worker_seconds"]
            ratios.append(ratio)
            print(
                f"{run:>3} {fixed['worker_seconds']:>10.2f} {adaptive['worker_seconds']:>12.2f} "
                f"{ratio:>6.3f} {_s(adaptive['time_to_first_extra_worker_s']):>10} "
                f"{_s(adaptive['time_to_scale_down_s']):>8} "
                f"{_s(fixed['burst'].get('latency_p95_s')):>11} "
                f"{_s(adaptive['burst'].get('latency_p95_s')):>11}"
            )
    print(
        f"\nadaptive / fixed worker-seconds: median {statistics.median(ratios):.3f} "
        f"over {len(ratios)} run(s) (below 1: adapting saved worker time)"
    )
    return 0


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
