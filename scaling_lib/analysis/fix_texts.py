"""Fix texts that fit the workload they are shown for.

Usage (from ``bottleneck_rules``)::

    fix_for("scheduler-overhead", df)   # "larger blocks ...: raise `chunks` ..." for array

A matrix product is tuned by its block side, a dataframe by its partitions, a training
run by its blocks of samples: a fix that names another workload's parameter misleads.
Custom workloads (and datasets) get the generic wording, naming both kinds of piece.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Pieces", "fix_for", "pieces_of"]


@dataclass(frozen=True)
class Pieces:
    """What a workload's pieces (one task's share of the data) are called, and how its
    parameters make them larger (fewer of them) or smaller (more of them)."""

    noun: str
    larger: str
    smaller: str


PIECES = {
    "array": Pieces("blocks", "raise `chunks` (the block side)", "lower `chunks`"),
    "dataframe": Pieces("partitions", "lower `partitions`", "raise `partitions`"),
    "train": Pieces("blocks of samples", "lower `blocks`", "raise `blocks`"),
    "xgboost": Pieces("partitions", "lower `partitions`", "raise `partitions`"),
    "lightgbm": Pieces("partitions", "lower `partitions`", "raise `partitions`"),
}
GENERIC = Pieces(
    "chunks or partitions",
    "fewer, larger chunks or partitions",
    "more, smaller chunks or partitions",
)


def workload_of(df: pd.DataFrame) -> str:
    return str(df["workload"].iloc[0]) if "workload" in df and len(df) else ""


def pieces_of(df: pd.DataFrame) -> Pieces:
    """The pieces of the records' workload (the generic wording for custom ones)."""
    return PIECES.get(workload_of(df), GENERIC)


def fix_for(rule: str, df: pd.DataFrame) -> str:
    """The fix text of ``rule`` for the workload in ``df``."""
    workload, pieces = workload_of(df), pieces_of(df)
    if rule == "communication":
        return _communication(workload)
    if rule == "scheduler-overhead":
        return (
            f"larger {pieces.noun} (aim for tasks of 100 ms or more): {pieces.larger}; fuse steps"
        )
    if rule == "idle-workers":
        return (
            f"2-4x more {pieces.noun} than threads ({pieces.smaller}), balanced sizes, fewer "
            "client round trips"
        )
    if rule == "memory":
        return (
            "more memory per worker (on GPUs: a larger device_memory_limit or a GPU with "
            f"more memory), smaller {pieces.noun} ({pieces.smaller}), or more workers so "
            "each holds less; persist less at once"
        )
    if rule == "serialization":
        if workload == "dataframe":
            return "avoid object dtype columns (use Arrow strings); send less"
        if workload in PIECES:  # NumPy blocks already: fewer, larger messages help
            return f"send fewer, larger messages ({pieces.larger}); send less"
        return (
            "move NumPy/Arrow data rather than Python objects; avoid object dtype columns "
            "(use Arrow strings); send less"
        )
    raise KeyError(f"no fix text for rule {rule!r}")


def _communication(workload: str) -> str:
    if workload == "array":
        return (
            "larger chunks (fewer blocks to move per product), or fewer, larger workers "
            "(more threads per worker share blocks without moving them)"
        )
    if workload == "train":
        return (
            "fewer synchronisations per epoch (larger batches), fewer, larger workers, or a "
            "strategy that moves less (see the training-strategy finding)"
        )
    if workload in ("xgboost", "lightgbm"):
        return (
            "fewer, larger workers (every boosting round sums each worker's histograms), "
            "or a lower `max_bin` (smaller histograms)"
        )
    if workload == "dataframe":
        return (
            "fewer, larger partitions; avoid the shuffle (broadcast the small table, or "
            "partition both sides on the join key once); try the p2p shuffle"
        )
    return (
        "fewer, larger workers (more threads per worker share data without moving it), "
        "fewer, larger chunks or partitions; if it shuffles, try the p2p shuffle"
    )
