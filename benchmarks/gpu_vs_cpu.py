"""On a GPU machine: the same study on CPU workers and on one GPU, compared.

    python benchmarks/gpu_vs_cpu.py [--results DIR] [--sizes 2000 4000 6000 8000]

Runs the ``array`` workload (float64 and float32) on a local CPU cluster of 1, 2, 4 ...
workers (up to this host's cores, so "best CPU" is the whole host) and on ``cuda``
(one worker, one GPU), then prints per size the median time on each, the GPU's
speedup over the best CPU point, the GPU's mean utilisation and peak memory from NVML,
and ``scaling-lib recommend`` over both studies so CPU and GPU instances are ranked
from measured data. ``make gpu-check`` runs this after the GPU tests. Without a GPU it
says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from scaling_lib.run.clusters import gpu_count
from scaling_lib.run.sweep import run_study
from scaling_lib.store.records import ResultsStore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="data/results")
    parser.add_argument("--sizes", type=float, nargs="+", default=[2000, 4000, 6000, 8000])
    args = parser.parse_args()
    if len(set(args.sizes)) < 4:
        # One GPU gives one worker count: the GPU runs' time model needs four sizes.
        parser.error("give at least 4 distinct --sizes (one GPU: 4 points for its time model)")
    if gpu_count() == 0:
        print("no NVIDIA GPU here (NVML found none): nothing to compare")
        return 0
    cores = os.cpu_count() or 1
    cpu_workers = [2**k for k in range(5) if 2**k <= cores]
    for precision in ("float64", "float32"):
        for backend, workers in (("local", cpu_workers), ("cuda", [1])):
            spec = {
                "study": f"gpu-vs-cpu-{backend}-{precision}",
                "workload": "array",
                "sizes": args.sizes,
                "workers": workers,
                "params": {"precision": precision},
                "repeats": 3,
                "memory_limit": "8GiB",
                "baseline": backend == "local",
                "cluster": {"backend": backend},
            }
            print(run_study(spec, results=args.results, progress=False))

    store = ResultsStore(args.results)
    for precision in ("float64", "float32"):
        cpu = store.load_study(f"gpu-vs-cpu-local-{precision}")
        gpu = store.load_study(f"gpu-vs-cpu-cuda-{precision}")
        cpu, gpu = (d[(d["status"] == "ok") & (d["runner"] == "dask")] for d in (cpu, gpu))
        print(f"\narray {precision}: median seconds (GPU: {gpu['gpu_model'].iloc[0]})")
        print(f"{'n':>7} {'best CPU':>9} {'workers':>7} {'GPU':>8} {'speedup':>8} "
              f"{'GPU util':>8} {'GPU peak MiB':>12} {'error vs f64':>12}")  # fmt: skip
        for size in args.sizes:
            c = cpu[cpu["size"] == size].groupby("n_workers")["wall_s"].median()
            g = gpu[gpu["size"] == size]
            best_w = int(c.idxmin())
            gt = g["wall_s"].median()
            print(
                f"{size:>7.0f} {c.min():>9.3f} {best_w:>7} {gt:>8.3f} {c.min() / gt:>7.1f}x "
                f"{g['gpu_utilization'].median():>8.0%} "
                f"{g['gpu_memory_peak_bytes'].median() / 2**20:>12.0f} "
                f"{g['metric.precision_error'].median():>12.2e}"
            )
    target = str(int(max(args.sizes) * 2))
    studies = ["gpu-vs-cpu-local-float64", "gpu-vs-cpu-cuda-float64"]
    cmd = [sys.executable, "-m", "scaling_lib.cli", "recommend", *studies, "--size", target]
    cmd += ["--results", args.results, "--top", "8"]
    print(f"\n$ scaling-lib recommend (CPU and GPU studies) --size {target}")
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
