"""Where a what-if's graph at an untraced size comes from: the workload itself.

Usage::

    parts, why_not = workload_graph(traced_records, size=1.0, traces=traces)
    parts["dependencies"], parts["prefixes"]   # or None, and why_not says why

A built-in workload builds its graph at any size (``Workload.task_graph``). A dataset
study's function is imported again (beside its recorded file where it sat beside the
spec) and captured over production's read of the dataset at the size
(``workloads.capture``); the capture is trusted only where, at the largest traced
size, it has the traced run's tasks prefix by prefix. Reads the dataset's footers, no
cluster.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from scaling_lib.errors import ScalingLibError

__all__ = ["first_size_with", "unseen_tasks", "workload_graph"]


def workload_graph(
    traced: pd.DataFrame, size: float, traces: dict | None = None
) -> tuple[dict | None, str]:
    """The workload's own graph at ``size`` (``Workload.task_graph``), if it has one, or
    None and why not. A dataset study's function is captured over production's read of
    the dataset at ``size`` (``workloads.capture``), and trusted only where its capture
    at the largest traced size has the tasks, by prefix, of that size's traced run."""
    from scaling_lib.errors import WorkloadError
    from scaling_lib.workloads.capture import GraphNotCaptured
    from scaling_lib.workloads.graph_at import graph_parts

    cannot = "the workload cannot build its graph at another size"
    try:
        workload = _import_again(traced)
        raw = traced["params"].iloc[0]
        # The frame keeps params as JSON text (records_to_frame); a record, as a dict.
        params = workload.check_params(json.loads(raw) if isinstance(raw, str) else raw or {})
        if "dataset_path" in traced and isinstance(traced["dataset_path"].iloc[-1], str):
            workload = _dataset_workload(workload, traced.iloc[-1])
            mismatch = _capture_mismatch(workload, params, traced, traces or {})
            if mismatch:
                return (
                    None,
                    f"its graph captured at a traced size differs from the trace: {mismatch}",
                )
        graph = workload.task_graph(size, params)
    except GraphNotCaptured as exc:
        return None, f"its graph could not be captured at the target size: {exc}"
    except (WorkloadError, TypeError, ValueError) as exc:
        return None, f"{cannot} ({type(exc).__name__}: {exc})"
    if graph is None:
        return None, cannot
    return graph_parts(graph), ""


def _import_again(traced: pd.DataFrame) -> Any:
    """The study's workload; a function of the user's found again beside its recorded
    file (a `module:function` that sat beside the spec when it ran)."""
    import os
    import sys

    from scaling_lib.errors import WorkloadError
    from scaling_lib.workloads import get_workload

    name = str(traced["workload"].iloc[0])
    try:
        return get_workload(name)
    except WorkloadError:
        source = traced["workload_file"].iloc[-1] if "workload_file" in traced else None
        if not isinstance(source, str) or not os.path.exists(source):
            raise
        folder = os.path.dirname(source)
        for _ in range(name.partition(":")[0].count(".")):  # a package's module: its root
            folder = os.path.dirname(folder)
        if folder not in sys.path:
            sys.path.append(folder)  # after everything else: it must not shadow a package
        return get_workload(name)


def _capture_mismatch(workload: Any, params: Any, traced: pd.DataFrame, traces: dict) -> str:
    """How the capture at the largest traced size differs from its trace ("" if not)."""
    from collections import Counter

    from scaling_lib.workloads.graph_at import graph_parts

    largest = traced[traced["size"] == traced["size"].max()]
    trace = next(
        (traces[k] for r in largest.itertuples() if (k := (r.point_id, int(r.repeat))) in traces),
        None,
    )
    if trace is None:
        return ""
    size = float(largest["size_requested"].iloc[0]) if "size_requested" in largest else None
    parts = graph_parts(workload.task_graph(size or float(largest["size"].iloc[0]), params))
    captured = Counter(p for k, p in parts["prefixes"].items() if k not in parts["inputs"])
    seen = Counter(trace.tasks["prefix"])
    if captured == seen:
        return ""
    diff = sorted(set(captured) | set(seen))
    shown = [
        f"{p} {captured.get(p, 0)} vs {seen.get(p, 0)}" for p in diff if captured[p] != seen[p]
    ]
    return "captured vs traced tasks: " + ", ".join(shown[:4])


def _dataset_workload(inner: Any, record: Any) -> Any:
    """The study's DatasetWorkload again, from what its records say of the dataset (its
    storage options are not recorded: credentials come from the environment)."""
    from scaling_lib.spec.datasets import DatasetSpec, describe_dataset
    from scaling_lib.workloads.dataset import DatasetWorkload

    options = record.get("dataset_options")
    if isinstance(options, str):
        options = json.loads(options)
    dataset = DatasetSpec(
        path=record["dataset_path"],
        format=record["dataset_format"],
        options=options if isinstance(options, dict) else {},
        read=record.get("read") if record.get("read") in ("timed", "untimed") else "untimed",
        sample=str(record["size_unit"]),
    )
    info = describe_dataset(dataset)
    if info.rows != int(record["dataset_rows"]):
        raise ValueError(
            f"{dataset.path} now holds {info.rows:,} rows, not the {int(record['dataset_rows']):,}"
            " it was measured with"
        )
    return DatasetWorkload(inner, dataset, info)


def unseen_tasks(parts: dict[str, Any], traces: dict) -> dict[str, int]:
    """Prefixes of the graph built at the target that no traced run had, with their task
    counts: a shape the measured sizes never took (a groupby that shuffles past some
    partition count, say), whose time the traces cannot tell."""
    from collections import Counter

    seen: set[str] = set()
    for trace in traces.values():
        seen |= set(trace.tasks["prefix"])
    counts = Counter(p for k, p in parts["prefixes"].items() if k not in parts["inputs"])
    return {p: n for p, n in sorted(counts.items()) if p not in seen}


def first_size_with(traced: pd.DataFrame, prefixes: set[str], size: float) -> float | None:
    """The smallest sample of a dataset study, between its largest traced one and
    ``size``, whose graph already has ``prefixes`` (None if none does, or this is no
    dataset study): the size to measure so the traces time that shape. Bisects on whole
    partitions of production's read, capturing the graph at each (no data read)."""
    from scaling_lib.spec.datasets import plan_sample, rows_wanted
    from scaling_lib.workloads.capture import GraphNotCaptured
    from scaling_lib.workloads.graph_at import graph_parts

    if not prefixes or "dataset_path" not in traced:
        return None
    try:
        workload = _dataset_workload(_import_again(traced), traced.iloc[-1])
        raw = traced["params"].iloc[0]
        params = workload.check_params(json.loads(raw) if isinstance(raw, str) else raw or {})
    except (ValueError, TypeError, ImportError, ScalingLibError):
        return None
    info = workload.info
    rows = _cumulative_rows(info)
    sizes_of = rows if info.dataset.sample == "rows" else [r / info.rows for r in rows]
    low = len(plan_sample(info, rows_wanted(info, float(traced["size"].max()))).partitions)
    high = len(plan_sample(info, rows_wanted(info, size)).partitions)

    def has_them(k: int) -> bool:
        try:
            parts = graph_parts(workload.task_graph(sizes_of[k - 1], params))
        except (GraphNotCaptured, ValueError, TypeError):
            return False
        return prefixes <= set(parts["prefixes"].values())

    if high <= low or not has_them(high):
        return None
    while high - low > 1:  # has_them(high); not at low (it was traced)
        middle = (low + high) // 2
        if has_them(middle):
            high = middle
        else:
            low = middle
    return float(sizes_of[high - 1])


def _cumulative_rows(info: Any) -> list[int]:
    out, total = [], 0
    for part in info.partitions:
        total += part.rows
        out.append(total)
    return out
