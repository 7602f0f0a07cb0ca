"""On a GPU machine: XGBoost training on CPU workers and on one GPU, compared.

    python benchmarks/gpu_xgboost.py [--results DIR] [--sizes 100000 200000 400000 800000]

Runs the ``xgboost`` workload (``hist`` trees, ``rounds`` boosting rounds) on a local
CPU cluster of 1, 2, 4 ... single-thread workers (up to this host's cores, at most 8)
with the single-process baseline, and under the ``cuda`` backend (one worker, one GPU,
``device: cuda``). Prints per size the median time of the best CPU point and of the
GPU, the GPU's speedup, its mean utilisation and peak memory from NVML, and the final
training log loss on each (the GPU rounds gradients to fixed point: close to the CPU's,
not equal). ``make gpu-check`` runs this after the CPU-vs-GPU array study. Without a
GPU it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os

from scaling_lib.run.clusters import gpu_count
from scaling_lib.run.sweep import run_study
from scaling_lib.store.records import ResultsStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="data/results")
    parser.add_argument(
        "--sizes", type=float, nargs="+", default=[100_000, 200_000, 400_000, 800_000]
    )
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if gpu_count() == 0:
        print("no NVIDIA GPU here (NVML found none): nothing to compare")
        return 0
    cores = os.cpu_count() or 1
    cpu_workers = [2**k for k in range(4) if 2**k <= cores]
    for backend, workers in (("local", cpu_workers), ("cuda", [1])):
        spec = {
            "study": f"gpu-xgboost-{backend}",
            "workload": "xgboost",
            "sizes": args.sizes,
            "workers": workers,
            # The cuda backend sets device: gpu, which the workload takes as cuda.
            "params": {"rounds": args.rounds},
            "repeats": 2,
            "memory_limit": "8GiB",
            "baseline": backend == "local",
            "calibrate": False,
            "cluster": {"backend": backend},
        }
        print(run_study(spec, results=args.results, progress=False))

    store = ResultsStore(args.results)
    cpu, gpu = (store.load_study(f"gpu-xgboost-{b}") for b in ("local", "cuda"))
    cpu, gpu = (d[(d["status"] == "ok") & (d["runner"] == "dask")] for d in (cpu, gpu))
    if gpu.empty:
        print("no successful GPU run: see the records of gpu-xgboost-cuda")
        return 1
    print(f"\nxgboost, {args.rounds} rounds: median seconds (GPU: {gpu['gpu_model'].iloc[0]})")
    print(f"{'rows':>9} {'best CPU':>9} {'workers':>7} {'GPU':>8} {'speedup':>8} "
          f"{'GPU util':>8} {'GPU peak MiB':>12} {'logloss CPU':>11} {'GPU':>8}")  # fmt: skip
    for size in args.sizes:
        c = cpu[cpu["size"] == size]
        g = gpu[gpu["size"] == size]
        if c.empty or g.empty:
            print(f"{size:>9.0f}  (a point failed: see the records)")
            continue
        by_workers = c.groupby("n_workers")["wall_s"].median()
        best_w = int(by_workers.idxmin())
        gt = g["wall_s"].median()
        print(
            f"{size:>9.0f} {by_workers.min():>9.3f} {best_w:>7} {gt:>8.3f} "
            f"{by_workers.min() / gt:>7.1f}x {g['gpu_utilization'].median():>8.0%} "
            f"{g['gpu_memory_peak_bytes'].median() / 2**20:>12.0f} "
            f"{c['metric.final_logloss'].median():>11.4f} "
            f"{g['metric.final_logloss'].median():>8.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
