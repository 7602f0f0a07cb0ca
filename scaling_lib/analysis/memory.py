"""Peak memory per worker against the data each worker holds, with an upper bound.

Usage::

    model = fit_worker_memory(runs)                  # a study's successful Dask runs
    model.predict(size=16384, workers=16)            # (central, upper) bytes per worker
    model.checks                                     # measured vs modelled, every point

A worker's peak is modelled as ``fixed + per_byte * held``, where ``held`` is the input
bytes each worker holds: the workload's own accounting of its input (``input_bytes``
in the record) over ``workers^a``, so a matrix product's n^2 input is not taken to
grow like its side n. What the runs show beyond the input (temporaries, results,
blocks fetched from other workers, the worker process itself) is what the fit adds:
the slope, and the exponent ``a`` chosen among 0, 1/4, ..., 1 when two or more worker
counts were measured (a peak that does not halve with twice the workers is not
extrapolated as if it did). A workload that reports no input bytes falls back to its
size per worker, and says so.

The fit is least squares on relative errors (peaks differ by orders of magnitude
across sizes); the upper bound is the one-sided 95% prediction bound for a run
(Student's t on the residual degrees of freedom, with the target's leverage), the
upper end of the 90% interval the forecasts use.

Pure: DataFrames in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scaling_lib.analysis.fit import PmnfModel, fit_pmnf
from scaling_lib.analysis.interval import LEVEL
from scaling_lib.units import fmt_bytes, fmt_number

__all__ = ["MemoryCheck", "WorkerMemoryModel", "fit_worker_memory"]

MIN_SPREAD = 0.05  # relative sd of a worker's peak assumed when runs agree closer than this
WORKER_EXPONENTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # candidate a in total / workers^a


@dataclass(frozen=True)
class MemoryCheck:
    """The model against the measured peak at one (size, workers) point."""

    size: float
    workers: int
    measured_bytes: float  # median of the runs' per-worker peaks
    modelled_bytes: float
    upper_bytes: float

    @property
    def covered(self) -> bool:
        return self.measured_bytes <= self.upper_bytes


@dataclass(frozen=True)
class WorkerMemoryModel:
    fixed_bytes: float
    per_byte: float  # peak bytes per byte held
    basis: str  # what "held" is: "input bytes per worker" or "size per worker"
    held_of_size: PmnfModel  # total input (or size) at a size, fitted to the records
    relative_sd: float
    dof: int
    covariance: np.ndarray  # of (fixed, per_byte), relative scale
    checks: tuple[MemoryCheck, ...] = ()
    workers_exponent: float = 1.0  # a worker holds total / workers^exponent

    def held(self, size: float, workers: int) -> float:
        return (
            float(self.held_of_size.predict([size])[0]) / max(workers, 1) ** self.workers_exponent
        )

    def predict(self, size: float, workers: int) -> tuple[float, float]:
        """Per-worker peak (central, upper bound) in bytes for a run at this point."""
        x = np.array([1.0, self.held(size, workers)])
        central = float(x @ [self.fixed_bytes, self.per_byte])
        if central <= 0:
            return 0.0, 0.0
        leverage = float((x / central) @ self.covariance @ (x / central))
        quantile = float(stats.t.ppf(0.5 + LEVEL / 2, max(self.dof, 1)))
        spread = math.sqrt(self.relative_sd**2 + leverage)
        return central, central * (1 + quantile * spread)

    def __str__(self) -> str:
        return (
            f"peak per worker = {fmt_bytes(self.fixed_bytes)} + {fmt_number(self.per_byte)} x "
            f"{self.basis}"
        )


def fit_worker_memory(
    runs: pd.DataFrame, column: str = "peak_memory_bytes"
) -> WorkerMemoryModel | None:
    """Fit the per-worker peak of ``column`` (host memory; ``gpu_memory_peak_bytes`` for
    device memory), see the module docstring; None with fewer than two distinct amounts
    held per worker or no peaks recorded."""
    if column not in runs:
        return None
    runs = runs[runs[column].fillna(0) > 0]
    if runs.empty:
        return None
    inputs = runs.get("input_bytes")
    if inputs is not None and inputs.notna().all() and (inputs > 0).all():
        total, basis = inputs.to_numpy(float), "input bytes per worker"
    else:
        total, basis = runs["size"].to_numpy(float), "size per worker (no input bytes reported)"
    sizes = runs["size"].to_numpy(float)
    workers = runs["n_workers"].to_numpy(float)
    peak = runs[column].to_numpy(float)
    # How a worker's share falls with the workers: p^-a. Two or more worker counts choose
    # a (a matrix product's peak halves less than its input per worker: blocks of the
    # other workers' inputs arrive to be multiplied); one count cannot, and the input is
    # taken to divide (a = 1), which the basis says.
    exponents = WORKER_EXPONENTS if len(np.unique(workers)) >= 2 else (1.0,)
    best = None
    for a in exponents:
        held = total / workers**a
        if len(np.unique(held)) < 2:
            continue
        design = np.column_stack([np.ones_like(held), held])
        weighted = design / peak[:, None]  # relative errors
        coef, *_ = np.linalg.lstsq(weighted, np.ones_like(peak), rcond=None)
        coef = np.clip(coef, 0.0, None)  # a negative base or slope is not physical
        if coef[1] == 0 and coef[0] == 0:
            continue
        fitted = design @ coef
        residuals = peak / fitted - 1
        sse = float(np.sum(residuals**2))
        if best is None or sse < best[0] - 1e-12:
            best = (sse, a, coef, weighted, residuals)
    if best is None:
        return None
    _, exponent, coef, weighted, residuals = best
    if exponent == 0.0:
        basis = basis.replace(" per worker", "") + (
            " (a worker's peak did not fall with more workers, as measured)"
        )
    elif exponent != 1.0:
        basis = basis.replace(" per worker", f" / workers^{exponent:g} (as measured)")
    elif len(exponents) == 1:
        basis += " (one worker count measured: assumed to divide among workers)"
    dof = max(len(peak) - 2, 1)
    relative_sd = max(float(np.sqrt(np.sum(residuals**2) / dof)), MIN_SPREAD)
    try:
        covariance = np.linalg.inv(weighted.T @ weighted) * relative_sd**2
    except np.linalg.LinAlgError:
        covariance = np.zeros((2, 2))
    held_of_size = fit_pmnf(sizes, total)
    model = WorkerMemoryModel(
        float(coef[0]),
        float(coef[1]),
        basis,
        held_of_size,
        relative_sd,
        dof,
        covariance,
        workers_exponent=exponent,
    )
    checks = []
    for (size, p), group in runs.groupby(["size", "n_workers"]):
        central, upper = model.predict(float(size), int(p))
        checks.append(
            MemoryCheck(float(size), int(p), float(group[column].median()), central, upper)
        )
    return WorkerMemoryModel(**{**model.__dict__, "checks": tuple(checks)})
