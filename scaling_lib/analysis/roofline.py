"""Each run against the host's ceilings (a roofline).

Usage::

    table = roofline(df, host_limits)   # host limits from measure.measure_host_limits()
    table[["size", "n_workers", "achieved_flops", "ceiling_flops", "fraction", "bound"]]

A Dask run's compute ceiling is the single-core peak times its threads (workers run
BLAS on one thread each); the single-process baseline's is the all-core peak. The
memory ceiling is arithmetic intensity (flop per input byte) times bandwidth; the
lower of the two is the roof, and ``bound`` says which.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["roofline"]


def roofline(df: pd.DataFrame, host_limits: Mapping[str, float] | None) -> pd.DataFrame:
    """Per successful run with a flop count: achieved rate, the roof, and the fraction."""
    columns = [
        "runner",
        "size",
        "n_workers",
        "achieved_flops",
        "ceiling_flops",
        "intensity",
        "fraction",
        "bound",
    ]
    if not host_limits or df.empty or "flops" not in df:
        return pd.DataFrame(columns=columns)
    runs = df[(df["status"] == "ok") & df["flops"].notna() & (df["flops"] > 0)].copy()
    if runs.empty:
        return pd.DataFrame(columns=columns)
    threads = np.where(
        runs["runner"] == "baseline",
        host_limits["peak_flops"] / host_limits["peak_flops_per_core"],
        runs["n_workers"] * runs["threads_per_worker"],
    )
    compute_roof = np.where(
        runs["runner"] == "baseline",
        host_limits["peak_flops"],
        host_limits["peak_flops_per_core"] * threads,
    )
    runs["achieved_flops"] = runs["flops"] / runs["wall_s"]
    bytes_in = runs["bytes_processed"].where(runs["bytes_processed"] > 0)
    runs["intensity"] = runs["flops"] / bytes_in
    memory_roof = (runs["intensity"] * host_limits["bandwidth_bytes_s"]).fillna(np.inf)
    runs["ceiling_flops"] = np.minimum(compute_roof, memory_roof)
    runs["bound"] = np.where(memory_roof < compute_roof, "memory", "compute")
    runs["fraction"] = runs["achieved_flops"] / runs["ceiling_flops"]
    return runs[columns].reset_index(drop=True)
