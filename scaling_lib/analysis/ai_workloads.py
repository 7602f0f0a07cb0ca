"""Tables for the AI dimensions: training strategies, numeric precision, serving latency.

Usage::

    strategy_table(df)    # per strategy x model x size x workers: time, bytes/step measured
                          # and analytic, their ratio, and the fastest strategy there
    precision_table(df)   # per precision: time, peak memory, error against float64
                          # (empty when every run is float64: nothing to compare)
    latency_table(df)     # serve runs: latency percentiles and requests/s per worker count
    strategy_bytes("model", n_workers=4, samples=1e5, parameters=2e6, outputs=8, itemsize=4)

All take the records DataFrame (``metric.*`` columns come from the workloads'
``WorkDone.extra``) and return empty frames when a study has none of those runs.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["latency_table", "precision_table", "strategy_bytes", "strategy_table"]

_LATENCY = ("latency_p50_s", "latency_p95_s", "latency_p99_s")


def strategy_bytes(
    strategy: str,
    n_workers: int,
    samples: float,
    parameters: float,
    outputs: int,
    itemsize: int,
    model_shards: int = 2,
) -> float | None:
    """Analytic bytes between workers per step of a strategy (None if it cannot run)."""
    from scaling_lib.errors import WorkloadError
    from scaling_lib.workloads.train import Grid, analytic_bytes_per_step

    try:
        grid = Grid.for_strategy(strategy, n_workers, model_shards)
    except WorkloadError:
        return None
    return analytic_bytes_per_step(grid, int(samples), int(parameters), outputs, itemsize)


def strategy_table(df: pd.DataFrame) -> pd.DataFrame:
    """Medians per (strategy, hidden, precision, size, workers) of ok Dask training runs."""
    runs = _ok(df, "metric.strategy")
    runs = runs[runs["runner"] == "dask"]  # the single-process baseline has no strategy
    if runs.empty:
        return pd.DataFrame()
    keys = [
        "metric.strategy",
        "param.hidden",
        "metric.parameters",
        "precision",
        "size",
        "n_workers",
    ]
    table = (
        runs.groupby(keys, dropna=False)
        .agg(
            wall_s=("wall_s", "median"),
            bytes_per_step=("metric.bytes_per_step", "median"),
            analytic_bytes_per_step=("metric.analytic_bytes_per_step", "median"),
            transfer_s=("transfer_s", "median"),
            repeats=("wall_s", "size"),
        )
        .reset_index()
        .rename(
            columns={
                "metric.strategy": "strategy",
                "param.hidden": "hidden",
                "metric.parameters": "parameters",
            }
        )
    )
    analytic = table["analytic_bytes_per_step"]
    table["measured_over_analytic"] = (table["bytes_per_step"] / analytic).where(analytic > 0)
    fastest = table.loc[
        table.groupby(["hidden", "precision", "size", "n_workers"])["wall_s"].idxmin()
    ].set_index(["hidden", "precision", "size", "n_workers"])["strategy"]
    where = table[["hidden", "precision", "size", "n_workers"]].itertuples(index=False)
    table["fastest_here"] = [fastest.get(tuple(key)) for key in where]
    return table.sort_values(["hidden", "size", "n_workers", "strategy"]).reset_index(drop=True)


def precision_table(df: pd.DataFrame) -> pd.DataFrame:
    """Medians per (workload, precision, size, workers): time, peak memory, error vs float64."""
    runs = _ok(df, "metric.precision_error")
    runs = runs[runs["precision"].notna()] if "precision" in runs else runs.iloc[0:0]
    if runs.empty or set(runs["precision"]) == {"float64"}:
        return pd.DataFrame()  # nothing to compare: float64 is the reference
    return (
        runs.groupby(["workload", "precision", "size", "n_workers", "runner"])
        .agg(
            wall_s=("wall_s", "median"),
            peak_memory_bytes=("peak_memory_bytes", "median"),
            precision_error=("metric.precision_error", "median"),
            repeats=("wall_s", "size"),
        )
        .reset_index()
        .sort_values(["workload", "size", "n_workers", "precision"])
        .reset_index(drop=True)
    )


def latency_table(df: pd.DataFrame) -> pd.DataFrame:
    """Serve runs: median latency percentiles and throughput per point."""
    runs = _ok(df, "metric.latency_p50_s")
    if runs.empty:
        return pd.DataFrame()
    aggs = {name: (f"metric.{name}", "median") for name in _LATENCY}
    return (
        runs.groupby(["runner", "size", "n_workers", "param.concurrency", "param.rate"])
        .agg(requests_per_s=("throughput", "median"), repeats=("wall_s", "size"), **aggs)
        .reset_index()
        .rename(columns={"param.concurrency": "concurrency", "param.rate": "offered_rate"})
        .sort_values(["runner", "size", "n_workers"])
        .reset_index(drop=True)
    )


def _ok(df: pd.DataFrame, column: str) -> pd.DataFrame:
    if column not in df or df.empty:
        return df.iloc[0:0]
    return df[(df["status"] == "ok") & df[column].notna()]
