"""Training strategies: measured against analytic bytes per step, and which was faster.

    python benchmarks/strategies.py [--samples 20000] [--hidden 64 4096] [--steps 3]

For each model size (hidden width) and worker count [1, 2], runs the ``train``
workload data-parallel and model-parallel as real sweeps (one study per strategy and
model, in a temporary store) and prints per point: the median wall time, the bytes
Dask moved between workers per step (from the workers' transfer logs), the analytic
expectation ``itemsize * (2 (M-1) samples outputs + 2 (D-1) parameters)`` and their
ratio (target: 0.5 to 2 where the analytic figure is non-zero), and the faster strategy.
"""

from __future__ import annotations

import argparse
import tempfile

from scaling_lib.analysis.ai_workloads import strategy_table
from scaling_lib.run.sweep import run_study
from scaling_lib.store.records import ResultsStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 4096])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as results:
        for hidden in args.hidden:
            for strategy in ("data", "model"):
                spec = {
                    "study": f"strategies-{strategy}-h{hidden}",
                    "workload": "train",
                    "sizes": [args.samples],
                    "workers": [1, 2],
                    "params": {
                        "strategy": strategy,
                        "hidden": hidden,
                        "features": 64,
                        "outputs": 8,
                        "steps": args.steps,
                        "blocks": 2,
                    },
                    "repeats": args.repeats,
                    "baseline": False,
                    "calibrate": False,
                }
                print(run_study(spec, results=results, progress=False))
        table = strategy_table(ResultsStore(results).load())

    print()
    print(f"train, {args.samples} samples, 64 features, 8 outputs, {args.steps} steps, float64")
    header = (
        f"{'hidden':>7} {'params':>9} {'workers':>7} {'strategy':>8} {'wall s':>8} "
        f"{'measured B/step':>15} {'analytic B/step':>15} {'ratio':>6}  fastest"
    )
    print(header)
    misses = 0
    for row in table.itertuples(index=False):
        ratio = row.measured_over_analytic
        if ratio == ratio:  # not NaN: analytic > 0
            ok = 0.5 <= ratio <= 2
            misses += not ok
            ratio_text = f"{ratio:6.3f}"
        else:
            ok = row.bytes_per_step == 0
            misses += not ok
            ratio_text = "   0=0" if ok else "  MISS"
        print(
            f"{row.hidden:>7} {row.parameters:>9.0f} {row.n_workers:>7} {row.strategy:>8} "
            f"{row.wall_s:>8.3f} {row.bytes_per_step:>15,.0f} "
            f"{row.analytic_bytes_per_step:>15,.0f} {ratio_text}  {row.fastest_here}"
        )
    print()
    two = table[table["n_workers"] == 2]
    for hidden, group in two.groupby("hidden"):
        times = dict(zip(group["strategy"], group["wall_s"], strict=True))
        moved = dict(zip(group["strategy"], group["bytes_per_step"], strict=True))
        print(
            f"hidden {hidden} on 2 workers: data {times['data']:.3f} s "
            f"({moved['data'] / 2**20:.2f} MiB/step), model {times['model']:.3f} s "
            f"({moved['model'] / 2**20:.2f} MiB/step): "
            f"{min(times, key=times.get)}-parallel faster by "
            f"{max(times.values()) / min(times.values()):.2f}x"
        )
    print(f"\nratio target 0.5-2: {'met' if misses == 0 else f'{misses} MISSES'}")
    return 0 if misses == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
