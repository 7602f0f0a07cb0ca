"""Planted scaling laws with realistic noise: the draws `benchmarks/coverage.py` scores.

Usage::

    for draw in planted_draws(240, seed=0):
        df = draw.records()                      # the measured grid, one row per run
        draw.truth_run(size, workers, rng)       # one noisy run at a target

Each law has a fixed cost comparable to the work at the smallest size (as Dask's
start-up is at a pilot's sizes) and multiplicative noise of 2-10% per run (lognormal,
as run times on a shared machine are: never negative, skewed slow). Two of the laws
report work that does not grow like their cost, as a user's custom workload can; one
(a tree reduction) has a worker dependence two worker counts cannot tell from another.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MEASURED_FACTORS = (1, 2, 4, 8)  # sizes s, 2s, 4s, 8s
MEASURED_WORKERS = (1, 2)  # what a laptop measures
REPEATS = 3
TARGET_FACTORS = (16, 32, 128)  # 2x, 4x and 16x the largest measured size
TARGET_WORKERS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class PlantedDraw:
    """One planted law with its parameters, base size and noise level."""

    law: str
    time: Callable[[float, float], float]  # noiseless seconds at (size, workers)
    work: Callable[[float], float] | None  # the work the workload reports at a size
    base: float
    noise: float  # sd of log time per run
    seed: int

    def records(self) -> pd.DataFrame:
        """The measured grid: sizes s..8s on 1 and 2 workers, 3 repeats each."""
        rng = np.random.default_rng(self.seed)
        rows = []
        for f, p, r in itertools.product(MEASURED_FACTORS, MEASURED_WORKERS, range(REPEATS)):
            n = self.base * f
            rows.append(
                {
                    "runner": "dask",
                    "status": "ok",
                    "size": n,
                    "n_workers": p,
                    "repeat": r,
                    "wall_s": self.truth_run(n, p, rng),
                    "work_items": self.work(n) if self.work else np.nan,
                }
            )
        return pd.DataFrame(rows)

    def truth_run(self, size: float, workers: float, rng: np.random.Generator) -> float:
        return self.time(size, workers) * math.exp(self.noise * rng.standard_normal())


def planted_draws(count: int, seed: int = 0) -> list[PlantedDraw]:
    """``count`` draws cycling through the laws, parameters drawn at random."""
    rng = np.random.default_rng(seed)
    laws = (
        "amdahl",
        "per-worker cost",
        "tree reduction (log p)",
        "n log n, linear work reported",
        "n^2, linear work reported",
        "no work reported",
    )
    draws = []
    for i in range(count):
        law = laws[i % len(laws)]
        base = float(10 ** rng.uniform(4, 6))
        fixed = float(rng.uniform(0.1, 0.5))
        # work at the smallest size on one worker: 0.5-4x the fixed cost
        first = fixed * float(rng.uniform(0.5, 4))
        noise = float(rng.uniform(0.02, 0.10))
        draws.append(_law(law, base, fixed, first, noise, rng, seed * 100_000 + i))
    return draws


def _law(law, base, fixed, first, noise, rng, seed) -> PlantedDraw:
    if law == "amdahl":
        serial = float(rng.uniform(0.02, 0.3))
        a = first / base

        def time(n, p):
            return fixed + a * n * (serial + (1 - serial) / p)

        return PlantedDraw(law, time, lambda n: n, base, noise, seed)
    if law == "per-worker cost":
        a = first / base
        per_worker = fixed * float(rng.uniform(0.05, 0.3))

        def time(n, p):
            return fixed + a * n / p + per_worker * p

        return PlantedDraw(law, time, lambda n: n, base, noise, seed)
    if law == "n log n, linear work reported":
        a = first / (base * math.log2(base))

        def time(n, p):
            return fixed + a * n * math.log2(n) / p

        return PlantedDraw(law, time, lambda n: n, base, noise, seed)
    if law == "tree reduction (log p)":
        # Partial results combined up a tree: a step per level, log2(p) levels. On 1
        # and 2 workers log2(p) = p - 1, so the measured points cannot tell it from a
        # cost per worker.
        a = first / base
        per_level = fixed * float(rng.uniform(0.1, 0.5))

        def time(n, p):
            return fixed + a * n / p + per_level * math.log2(p)

        return PlantedDraw(law, time, lambda n: n, base, noise, seed)
    if law == "n^2, linear work reported":
        # All pairs of rows, while the workload reports rows.
        a = first / base**2

        def time(n, p):
            return fixed + a * n * n / p

        return PlantedDraw(law, time, lambda n: n, base, noise, seed)
    # No work reported: the model search alone, on a law with a serial part.
    serial = float(rng.uniform(0.0, 0.2))
    a = first / (base**1.5)

    def time(n, p):
        return fixed + a * n**1.5 * (serial + (1 - serial) / p)

    return PlantedDraw(law, time, None, base, noise, seed)
