"""The full dataset as the target of a dataset study's forecasts.

Usage::

    target = full_dataset_target(df)      # None unless the records sampled a dataset
    target.size, target.label             # 1.0 (fractions) or the rows; "full dataset (N rows)"
    forecast = full_dataset_forecast(df, fit_time_model(df))
    forecast["predictions"][0]["seconds"], forecast["predictions"][0]["low"]
    forecast["read"]      # per worker count at the largest size: the read's share of the job

A study of a user's dataset measures samples of it; its records carry the dataset's
full rows and in-memory bytes (``dataset_rows``, ``dataset_bytes``), so ``analyze``
and ``recommend`` know the production size without being told.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from scaling_lib.analysis.predict import TimeModel
from scaling_lib.analysis.scaling import dask_runs

__all__ = ["DatasetTarget", "full_dataset_forecast", "full_dataset_target", "read_share"]


@dataclass(frozen=True)
class DatasetTarget:
    """The full dataset a study sampled: its size in the study's unit, rows and bytes."""

    size: float
    size_unit: str
    rows: int
    bytes: int
    path: str

    @property
    def label(self) -> str:
        return f"full dataset ({self.rows:,} rows)"

    def input_bytes(self, size: float) -> float:
        """In-memory bytes of the input at ``size`` (in the study's unit)."""
        share = size if self.size_unit == "fraction" else size / self.rows
        return self.bytes * share


def full_dataset_target(df: pd.DataFrame) -> DatasetTarget | None:
    """The full dataset of a dataset study's records (None for other studies)."""
    if "dataset_rows" not in df or df["dataset_rows"].isna().all():
        return None
    row = df[df["dataset_rows"].notna()].iloc[-1]  # the latest description of it
    unit = str(row["size_unit"])
    rows = int(row["dataset_rows"])
    return DatasetTarget(
        size=1.0 if unit == "fraction" else float(rows),
        size_unit=unit,
        rows=rows,
        bytes=int(row["dataset_bytes"]),
        path=str(row["dataset_path"]),
    )


def full_dataset_forecast(df: pd.DataFrame, model: TimeModel) -> dict[str, Any] | None:
    """The time model's prediction at the full dataset for each measured worker count,
    with its interval and warnings (None for studies without a dataset)."""
    target = full_dataset_target(df)
    if target is None:
        return None
    workers = sorted({int(p) for p in dask_runs(df)["n_workers"]})
    predictions = model.predict_many(target.size, workers) if workers else []
    return {
        "label": target.label,
        "path": target.path,
        "size": target.size,
        "size_unit": target.size_unit,
        "rows": target.rows,
        "bytes": target.bytes,
        "read": read_share(df),
        "predictions": [
            {
                "n_workers": p.n_workers,
                "seconds": p.seconds,
                "low": p.low,
                "high": p.high,
                "warnings": list(p.warnings),
            }
            for p in predictions
        ],
    }


def read_share(df: pd.DataFrame) -> list[dict[str, Any]]:
    """At the largest measured size, per worker count: the read alone (``read_s``,
    measured once per point) beside the job's wall time and its compute and transfer
    seconds (medians over repeats). Empty for records without ``read_s``."""
    runs = dask_runs(df)
    if "read_s" not in runs or runs["read_s"].isna().all():
        return []
    runs = runs[runs["read_s"].notna()]
    largest = runs[runs["size"] == runs["size"].max()]
    out = []
    for p, g in sorted(largest.groupby("n_workers")):
        wall = float(g["wall_s"].median())
        read = float(g["read_s"].median())
        out.append(
            {
                "size": float(g["size"].iloc[0]),
                "n_workers": int(p),
                "timed": str(g["read"].iloc[0]) == "timed" if "read" in g else False,
                "read_s": read,
                "wall_s": wall,
                "share": read / wall if wall > 0 else None,
                "compute_s": _median(g, "compute_s"),
                "transfer_s": _median(g, "transfer_s"),
            }
        )
    return out


def _median(g: pd.DataFrame, column: str) -> float | None:
    if column not in g or g[column].isna().all():
        return None
    return float(g[column].median())
