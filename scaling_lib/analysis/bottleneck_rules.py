"""The bottleneck rules: each looks at the records and, if it sees its bottleneck,
returns a Finding with the evidence, a fix, and the seconds the fix would recover.

Usage (through ``bottlenecks.diagnose``)::

    shares = time_shares(runs)
    finding = rule(df, runs, shares)      # Finding or None, for each rule in RULES

``seconds_lost`` is estimated at the reference point: the largest size at the most
workers measured (median over repeats), in wall seconds, from that point's own
figures (each finding's ``lost_how`` shows the arithmetic). Estimates overlap (idle
time can be the serial section's): each says what its own fix would recover.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from scaling_lib.analysis.findings import (
    IDLE_SHARE,
    PAUSE_FRACTION,
    SERIAL_FRACTION,
    SERIALIZATION_SHARE,
    TASK_FLOOR_S,
    TASK_OVERHEAD_S,
    TRANSFER_SHARE,
    Finding,
    capped,
    largest,
    reference,
    time_shares,
    with_time,
)
from scaling_lib.analysis.fix_texts import fix_for
from scaling_lib.analysis.scaling import NOISY_CV, point_table, strong_laws
from scaling_lib.units import fmt_number

__all__ = ["RULES", "Finding", "time_shares"]


def _compute_bound(df, runs, shares) -> Finding | None:
    top = shares.loc[largest(runs).index]
    share = float(top["compute"].median())
    if share < 0.6:
        return None
    return Finding(
        "compute-bound",
        0.8 * share,
        f"threads spend {share:.0%} of their time computing at the largest point",
        {"compute_share": share},
        "more workers help while efficiency holds; beyond that, faster cores, a GPU, or "
        "less work (vectorise, lower precision)",
        kind="state",  # the healthy state of a run, not a problem to rank
    )


def _memory(df, runs, shares) -> Finding | None:
    oom = df[df["status"] == "oom"]
    spilled = float(runs["bytes_spilled"].max()) if len(runs) else 0.0
    # GPU studies: what dask-cuda moved from device to host past device_memory_limit.
    device = runs.get("gpu_bytes_spilled", pd.Series(dtype=float)).dropna()
    device_spilled = float(device.max()) if len(device) else 0.0
    limit = runs["memory_limit_bytes"].where(runs["memory_limit_bytes"] > 0)
    ratio = float((runs["peak_memory_bytes"] / limit).max()) if len(runs) else 0.0
    if len(oom):
        score, summary = 1.0, f"{oom['point_id'].nunique()} point(s) ran out of memory"
    elif spilled > 0:
        score, summary = 0.85, f"workers spilled up to {spilled / 2**20:.0f} MiB to disk"
    elif device_spilled > 0:
        score = 0.8
        summary = (
            f"GPU workers spilled up to {device_spilled / 2**20:.0f} MiB from device to host "
            "memory (past dask-cuda's device_memory_limit)"
        )
    elif ratio > PAUSE_FRACTION:
        score, summary = 0.6, f"peak worker memory reached {ratio:.0%} of the limit"
    else:
        return None
    seconds, how, kind = None, "", "problem"
    if len(oom):
        kind = "failure"
    elif len(runs):
        ref = reference(runs)
        seconds = capped(ref.per_thread(["disk_read_s", "disk_write_s"]), ref)
        how = f"disk reads and writes of spilled data, {seconds:.3g} s per thread at {ref.label()}"
    finding = Finding(
        "memory",
        score,
        summary,
        {
            "oom_points": int(oom["point_id"].nunique()),
            "max_spilled_bytes": spilled,
            "max_device_spilled_bytes": device_spilled,
            "peak_over_limit": ratio,
            "oom_sizes": sorted(oom["size"].unique().tolist()),
        },
        fix_for("memory", df),
    )
    return with_time(finding, seconds, how, kind)


def _communication(df, runs, shares) -> Finding | None:
    multi = runs[runs["n_workers"] > 1]
    if multi.empty:
        return None
    by_workers = shares.loc[runs.index, "transfer"].groupby(runs["n_workers"]).median()
    top_share = float(by_workers.iloc[-1])
    moved = float(multi["bytes_transferred"].median())
    grows = len(by_workers) > 1 and by_workers.iloc[-1] > by_workers.iloc[0]
    kappa = max((law.usl.kappa for law in strong_laws(df) if law.usl), default=None)
    score = min(1.0, top_share * 4) + (0.2 if grows else 0.0) + (0.2 if kappa else 0.0)
    if top_share < TRANSFER_SHARE and not (kappa and kappa > 1e-3):
        return None
    ref = reference(runs)
    seconds = capped(ref.per_thread("transfer_s"), ref)
    finding = Finding(
        "communication",
        min(score, 1.0),
        f"transfers between workers take {top_share:.0%} of thread time at "
        f"{int(by_workers.index[-1])} workers ({moved / 2**20:.1f} MiB moved per run)",
        {
            "transfer_share_by_workers": {int(k): float(v) for k, v in by_workers.items()},
            "median_bytes_transferred": moved,
            "usl_kappa": kappa,
        },
        fix_for("communication", df),
    )
    how = f"time waiting on transfers, {seconds:.3g} s per thread at {ref.label()} (at most)"
    return with_time(finding, seconds, how)


def _training_strategy(df, runs, shares) -> Finding | None:
    """A training strategy whose communication another strategy would cut by half or more."""
    if "metric.strategy" not in runs or runs["metric.strategy"].isna().all():
        return None
    from scaling_lib.analysis.ai_workloads import strategy_bytes
    from scaling_lib.workloads.train import STRATEGIES

    top = largest(runs[runs["metric.strategy"].notna()])
    if top.empty or int(top["n_workers"].iloc[0]) < 2:
        return None
    row = top.iloc[0]
    current = str(row["metric.strategy"])
    shape = {
        "n_workers": int(row["n_workers"]),
        "samples": float(row["size"]),
        "parameters": float(row["metric.parameters"]),
        "outputs": int(row["param.outputs"]),
        "itemsize": int(np.dtype(str(row.get("precision") or "float64")).itemsize),
        "model_shards": int(row.get("param.model_shards", 2)),
    }
    options = {s: strategy_bytes(s, **shape) for s in STRATEGIES}
    options = {s: b for s, b in options.items() if b is not None}
    best = min(options, key=options.get)
    now = options.get(current) or 0.0
    share = float(shares.loc[top.index, "transfer"].median())
    if best == current or now <= 0 or options[best] > 0.5 * now:
        return None
    saving = 1 - options[best] / now
    ref = reference(runs)
    seconds = capped(ref.per_thread("transfer_s") * saving, ref)
    finding = Finding(
        "training-strategy",
        min(1.0, 0.3 + share * 2) * saving,
        f"strategy '{current}' moves {now / 2**20:.2f} MiB per step between "
        f"{shape['n_workers']} workers; '{best}' would move {options[best] / 2**20:.2f} MiB "
        f"({saving:.0%} less) for this model and batch",
        {
            "strategy": current,
            "measured_bytes_per_step": float(top["metric.bytes_per_step"].median()),
            "analytic_bytes_per_step": options,
            "transfer_share": share,
        },
        f"try strategy: {best} (data-parallel moves 2(p-1) x the weights per step, "
        "model-parallel 2(p-1) x the activations: large models favour model-parallel, "
        "large batches data-parallel)",
    )
    how = f"{saving:.0%} of the transfer time per thread at {ref.label()}"
    return with_time(finding, seconds, how)


def _serialization(df, runs, shares) -> Finding | None:
    share = float(shares.loc[runs.index, "serialization"].median())
    if share < SERIALIZATION_SHARE:
        return None
    ref = reference(runs)
    columns = ["serialize_s", "deserialize_s", "compress_s", "decompress_s"]
    seconds = capped(ref.per_thread(columns), ref)
    finding = Finding(
        "serialization",
        min(1.0, share * 5),
        f"(de)serialization and compression take {share:.0%} of thread time",
        {"serialization_share": share},
        fix_for("serialization", df),
    )
    how = f"(de)serialization and compression, {seconds:.3g} s per thread at {ref.label()}"
    return with_time(finding, seconds, how)


def _scheduler_overhead(df, runs, shares) -> Finding | None:
    tasks = runs["task_count"].where(runs["task_count"] > 0)
    per_task = (runs["compute_s"] / tasks).dropna()
    if per_task.empty:
        return None
    median_task = float(per_task.median())
    if median_task >= TASK_FLOOR_S:
        return None
    ref = reference(runs)
    tasks_at_ref = float(ref.runs["task_count"].median())
    seconds = capped(tasks_at_ref * TASK_OVERHEAD_S / ref.thread_slots, ref)
    finding = Finding(
        "scheduler-overhead",
        float(min(1.0, 0.5 + 0.5 * (1 - median_task / TASK_FLOOR_S))),
        f"tasks last {median_task * 1e3:.2f} ms of compute on median; each costs Dask about 1 ms",
        {
            "median_task_seconds": median_task,
            "median_task_count": float(tasks.median()),
            "tasks_per_second": float((runs["task_count"] / runs["wall_s"]).median()),
        },
        fix_for("scheduler-overhead", df),
    )
    how = (
        f"{tasks_at_ref:.0f} tasks x {TASK_OVERHEAD_S * 1e3:g} ms of Dask overhead each "
        f"(its documented upper end) / {ref.thread_slots} threads at {ref.label()}"
    )
    return with_time(finding, seconds, how)


def _gil(df, runs, shares) -> Finding | None:
    threaded = runs[runs["threads_per_worker"] > 1]
    if threaded.empty:
        return None
    per_thread = float(shares.loc[threaded.index, "compute"].median())
    single = runs[runs["threads_per_worker"] == 1]
    evidence: dict[str, Any] = {"compute_share_threaded": per_thread}
    if len(single):
        evidence["compute_share_single_threaded"] = float(
            shares.loc[single.index, "compute"].median()
        )
    if per_thread >= 0.5:
        return None
    # With one thread per process the same work keeps each thread computing as the
    # single-threaded runs did (all of the time, if none were measured): the time
    # shrinks by per_thread / that share.
    single_share = evidence.get("compute_share_single_threaded", 1.0)
    ref = reference(threaded)
    ref_share = float(shares.loc[ref.runs.index, "compute"].median())
    seconds = capped(ref.wall_s * (1 - ref_share / max(single_share, ref_share, 1e-9)), ref)
    finding = Finding(
        "gil",
        0.7 if len(single) and evidence["compute_share_single_threaded"] > 2 * per_thread else 0.5,
        f"with {int(threaded['threads_per_worker'].max())} threads per worker, threads compute "
        f"only {per_thread:.0%} of the time: Python code holding the GIL",
        evidence,
        "use more worker processes with one thread each, or release the GIL (NumPy, "
        "Numba nogil, Arrow compute)",
    )
    how = (
        f"{ref.wall_s:.3g} s x (1 - {ref_share:.0%} computing with threads / "
        f"{single_share:.0%} with one thread per process) at {ref.label()}"
    )
    return with_time(finding, seconds, how)


def _serial_section(df, runs, shares) -> Finding | None:
    laws = [law for law in strong_laws(df) if law.implied_serial_fraction is not None]
    if not laws:
        return None
    law = max(laws, key=lambda x: x.size)
    if law.amdahl is not None:
        s = law.amdahl.serial_fraction
        what = (
            f"Amdahl fit at size {fmt_number(law.size)}: {s:.0%} of the one-worker time does "
            f"not parallelise (speedup can never pass {law.amdahl.max_speedup:.1f}x)"
        )
        evidence = {"serial_fraction": s, "se": law.amdahl.se.get("serial_fraction")}
    else:
        # Two worker counts: what they show, without a law's limit (see laws.fit_amdahl).
        s = law.implied_serial_fraction
        what = (
            f"at size {fmt_number(law.size)}, {s:.0%} of the time did not divide between the "
            "fewest and most workers measured"
        )
        evidence = {"implied_serial_fraction": s}  # the laws' note says why no Amdahl
    if s < SERIAL_FRACTION:
        return None
    # At the reference point the serial part takes s x T1 (T1: the fewest workers' time,
    # scaled to one worker as if it divided); made parallel it would take s x T1 / p.
    at_size = runs[runs["size"] == law.size]
    fewest = int(at_size["n_workers"].min())
    ref = reference(at_size)
    t1 = float(at_size.loc[at_size["n_workers"] == fewest, "wall_s"].median()) * fewest
    seconds = capped(s * t1 * (1 - 1 / ref.workers), ref)
    finding = Finding(
        "serial-section",
        float(min(1.0, s)),
        what,
        {**evidence, "size": law.size, "serial_seconds": s * t1},
        "find the serial part (client-side loops, a final single-task reduction, the driver's "
        "step between iterations); give each worker more data so it matters less",
    )
    how = f"{s:.0%} of the one-worker time ({t1:.3g} s) x (1 - 1/{ref.workers}) at {ref.label()}"
    return with_time(finding, seconds, how)


def _oversubscription(df, runs, shares) -> Finding | None:
    over = df[df.get("oversubscribed", pd.Series(False, index=df.index)).fillna(False).astype(bool)]
    if over.empty:
        return None
    return Finding(
        "oversubscription",
        0.8,
        f"{over['point_id'].nunique()} point(s) ran more threads than the host has cores",
        {"points": int(over["point_id"].nunique()), "host_cores": int(df["host_cores"].max())},
        "keep workers x threads per worker at or below the cores; results above it measure "
        "contention, not scaling",
        kind="caveat",
    )


def _idle(df, runs, shares) -> Finding | None:
    top = shares.loc[largest(runs).index]
    idle = float(top["idle"].median())
    if idle < IDLE_SHARE:
        return None
    ref = reference(runs)
    seconds = capped(ref.wall_s * idle, ref)
    finding = Finding(
        "idle-workers",
        float(min(1.0, idle)),
        f"threads sit idle {idle:.0%} of the time at the largest point: too few tasks for "
        "the workers, stragglers, or waiting on the client",
        {"idle_share": idle, "wall_s": ref.wall_s},
        fix_for("idle-workers", df),
    )
    return with_time(finding, seconds, f"{idle:.0%} idle x {ref.wall_s:.3g} s at {ref.label()}")


def _not_worth_distributing(df, runs, shares) -> Finding | None:
    base = point_table(df[df["runner"] == "baseline"])
    if base.empty or runs.empty:
        return None
    best = point_table(runs).groupby("size")["median"].min()
    both = base.set_index("size")["median"].to_frame("baseline").join(best.rename("dask"))
    both = both.dropna()
    if both.empty:
        return None
    wins = both[both["baseline"] < both["dask"]]
    if wins.empty:
        return None
    share = len(wins) / len(both)
    largest_win = wins.index.max()
    seconds = float(wins.loc[largest_win, "dask"] - wins.loc[largest_win, "baseline"])
    finding = Finding(
        "not-worth-distributing",
        0.9 if share == 1 else 0.5,
        f"the single-process baseline beats the best Dask run at {len(wins)} of "
        f"{len(both)} sizes (up to {fmt_number(wins.index.max())})",
        {"baseline_vs_dask_seconds": {f"{k:g}": v for k, v in both.to_dict("index").items()}},
        "below that size stay in one process; distribute only where data outgrows one "
        "machine's memory or the run outgrows its deadline",
    )
    how = (
        f"the best Dask run minus the single process at size {fmt_number(largest_win)} "
        "(the largest size where one process wins)"
    )
    return with_time(finding, max(seconds, 0.0), how)


def _not_enough_data(df, runs, shares) -> Finding | None:
    problems = []
    sizes, workers = runs["size"].nunique(), runs["n_workers"].nunique()
    if sizes < 3:
        problems.append(f"{sizes} size(s): need 3+ to fit how time grows with data")
    if workers < 2:
        problems.append(f"{workers} worker count(s): need 2+ for speedup, 3+ for the USL")
    table = point_table(runs)
    noisy = table[table["cv"] > NOISY_CV]
    if len(noisy):
        problems.append(
            f"{len(noisy)} point(s) with noisy repeats (CV up to {noisy['cv'].max():.0%})"
        )
    few = table[table["repeats"] < 3]
    if len(few):
        problems.append(f"{len(few)} point(s) with fewer than 3 repeats")
    if not problems:
        return None
    return Finding(
        "not-enough-data",
        0.4 + 0.1 * len(problems),
        "; ".join(problems),
        {"sizes": sizes, "worker_counts": workers, "noisy_points": len(noisy)},
        "add sizes and worker counts to the spec, and repeats where runs are noisy; "
        "re-running the spec measures only the new points",
        kind="caveat",
    )


Rule = Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], Finding | None]
RULES: tuple[Rule, ...] = (
    _compute_bound,
    _memory,
    _communication,
    _training_strategy,
    _serialization,
    _scheduler_overhead,
    _gil,
    _serial_section,
    _oversubscription,
    _idle,
    _not_worth_distributing,
    _not_enough_data,
)
