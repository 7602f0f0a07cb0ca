"""Analyses and recommendations for people: human units, 3 significant digits.

Usage::

    print(analysis_text(analyze_study(df, host_limits)))
    print(recommendation_text(recommendation_dict(rec), top=10))
    print(human_frame(pd.DataFrame(analysis["strong_scaling"]), STRONG).to_string(index=False))

Recommendations (``recommendation_text``, ``option_rows``, ``pick_line``,
``target_line``) are rendered by ``presentation_recommend`` and importable from here.

The tables are described once, as column specs (``{column: (label, formatter)}``), so
the terminal (``analysis_text``) and the notebooks (``notebook_views``) show the same
figures the same way. Formatters come from ``formatting``; ``fmt_throughput`` adds an SI
prefix to rates (``90.8 Gflop/s``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from scaling_lib.analysis.findings import tie_note
from scaling_lib.units import (
    MISSING,
    finding_cost,
    fmt_bytes,
    fmt_evidence,
    fmt_number,
    fmt_percent,
    fmt_seconds,
    is_missing,
)

__all__ = [
    "AUTOSCALE",
    "PRECISION",
    "SERVING",
    "STRATEGIES",
    "STRONG",
    "WEAK",
    "analysis_text",
    "autoscale_rows",
    "autoscale_text",
    "fmt_ratio",
    "fmt_throughput",
    "full_dataset_text",
    "human_frame",
    "option_rows",
    "recommendation_text",
]

Columns = Mapping[str, tuple[str, Callable[[Any], str]]]

_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def fmt_throughput(x: Any, unit: str = "") -> str:
    """A rate with an SI prefix: (9.0756e10, "flop") -> '90.8 Gflop/s'; '-' for None/NaN.

    Counted things keep a space before the prefix ('1.6 M samples/s') so the unit
    stays readable; flop and bytes take it directly, as people write them.
    """
    if is_missing(x):
        return MISSING
    unit = unit.removesuffix("/s")
    if unit in ("B", "bytes"):
        return f"{fmt_bytes(x)}/s"
    x = float(x)
    for scale, prefix in _SI:
        if abs(x) >= scale:
            joined = unit in ("flop", "FLOP") or not unit
            sep = "" if joined else " "
            return f"{fmt_number(x / scale)} {prefix}{sep}{unit}/s"
    return f"{fmt_number(x)} {unit}/s".replace(" /s", "/s")


def fmt_ratio(x: Any) -> str:
    """A speedup or other ratio: 1.2775 -> '1.28x'."""
    return MISSING if is_missing(x) else f"{fmt_number(x)}x"


def fmt_count(x: Any) -> str:
    """Workers, repeats, sizes: exact integers ('50,000'); '-' for None/NaN."""
    return fmt_number(x)


def human_frame(df: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The columns of ``df`` named in ``columns``, relabelled and formatted as strings.

    Columns missing from ``df`` are skipped, so one spec serves related tables.
    """
    out = {}
    for name, (label, fmt) in columns.items():
        if name in df.columns:
            out[label] = [fmt(v) for v in df[name]]
    return pd.DataFrame(out, index=range(len(df)))


def _text(df: pd.DataFrame, columns: Columns) -> str:
    return human_frame(df, columns).to_string(index=False)


def _str(x: Any) -> str:
    return MISSING if is_missing(x) else str(x)


STRONG: Columns = {
    "size": ("size", fmt_count),
    "n_workers": ("workers", fmt_count),
    "seconds": ("time (median)", fmt_seconds),
    "cv": ("spread (CV)", fmt_percent),
    "speedup": ("speedup", fmt_ratio),
    "ideal_speedup": ("ideal", fmt_ratio),
    "efficiency": ("efficiency", fmt_percent),
}
WEAK: Columns = {
    "work_per_worker": ("work per worker", fmt_number),
    "size_per_worker": ("size per worker", fmt_count),
    "size": ("size", fmt_count),
    "n_workers": ("workers", fmt_count),
    "seconds": ("time (median)", fmt_seconds),
    "efficiency": ("efficiency", fmt_percent),
    "scaled_speedup": ("scaled speedup", fmt_ratio),
}
STRATEGIES: Columns = {
    "strategy": ("strategy", _str),
    "hidden": ("hidden", fmt_count),
    "parameters": ("parameters", fmt_count),
    "precision": ("precision", _str),
    "size": ("size", fmt_count),
    "n_workers": ("workers", fmt_count),
    "wall_s": ("time (median)", fmt_seconds),
    "bytes_per_step": ("moved per step", fmt_bytes),
    "analytic_bytes_per_step": ("analytic per step", fmt_bytes),
    "measured_over_analytic": ("measured / analytic", fmt_ratio),
    "transfer_s": ("transfer time", fmt_seconds),
    "fastest_here": ("fastest here", _str),
}
PRECISION: Columns = {
    "workload": ("workload", _str),
    "precision": ("precision", _str),
    "size": ("size", fmt_count),
    "n_workers": ("workers", fmt_count),
    "runner": ("runner", _str),
    "wall_s": ("time (median)", fmt_seconds),
    "peak_memory_bytes": ("peak memory", fmt_bytes),
    "precision_error": ("error vs float64", fmt_number),
    "repeats": ("repeats", fmt_count),
}
SERVING: Columns = {
    "runner": ("runner", _str),
    "size": ("requests", fmt_count),
    "n_workers": ("workers", fmt_count),
    "concurrency": ("concurrency", fmt_count),
    "offered_rate": ("offered", lambda x: "closed loop" if x == 0 else fmt_throughput(x, "req")),
    "requests_per_s": ("served", lambda x: fmt_throughput(x, "req")),
    "latency_p50_s": ("p50", fmt_seconds),
    "latency_p95_s": ("p95", fmt_seconds),
    "latency_p99_s": ("p99", fmt_seconds),
    "repeats": ("repeats", fmt_count),
}
AUTOSCALE: Columns = {
    "cluster": ("cluster", _str),
    "workers": ("workers", _str),
    "first_extra_s": ("to first extra worker", fmt_seconds),
    "to_max_s": ("to max", fmt_seconds),
    "scale_down_s": ("back to min after burst", fmt_seconds),
    "p50_s": ("burst p50", fmt_seconds),
    "p95_s": ("burst p95", fmt_seconds),
    "p99_s": ("burst p99", fmt_seconds),
    "worker_seconds": ("worker-seconds", fmt_number),
}


def law_lines(a: dict) -> list[str]:
    """Amdahl and USL per size, and Gustafson, as sentences."""
    lines = []
    for law in a["laws"]:
        am, usl = law["amdahl"], law["usl"]
        text = f"size {fmt_count(law['size'])}: "
        if am:
            text += (
                f"Amdahl serial fraction {fmt_percent(am['serial_fraction'])} "
                f"(SE {fmt_percent(am['se'])}; speedup at most {fmt_ratio(am['max_speedup'])})"
            )
        if usl:
            text += (
                f"; USL sigma {fmt_number(usl['sigma'])}, kappa {fmt_number(usl['kappa'])}, "
                f"peak at {fmt_number(usl['peak_workers'])} workers"
            )
        implied = law.get("implied_serial_fraction")
        if not am and implied is not None:
            text += (
                f"{fmt_percent(implied)} of the time did not divide between the fewest and "
                "most workers measured (observed, not a law)"
            )
        if law["note"]:
            text += f" [{law['note']}]"
        lines.append(text)
    if a["gustafson_serial_fraction"] is not None:
        lines.append(f"Gustafson serial fraction: {fmt_percent(a['gustafson_serial_fraction'])}")
    return lines


def data_scaling_lines(a: dict) -> list[str]:
    """Per worker count: the time and memory models and the out-of-memory size."""
    lines = []
    for d in a["data_scaling"]:
        oom = "none in sight" if d["oom_size"] is None else fmt_number(d["oom_size"])
        out = ", ".join(map(fmt_count, d.get("left_out_sizes") or ()))
        lines.append(
            f"{fmt_count(d['n_workers'])} worker(s): time(n) = {d['time_model']} s; "
            f"peak memory(n) = {d['memory_model']} B; out of memory at size {oom}"
            + (f" (time fitted without size {out}: off the trend)" if out else "")
        )
        regime = d.get("regime_change")
        if regime:
            lines.append(
                f"  time changes regime at size {fmt_number(regime['size'])}: "
                f"{regime['before']} s before it, {regime['after']} s after (one model over "
                f"all sizes misses by {fmt_percent(regime['one_model_smape'] / 100)}): "
                "extrapolate from the sizes after it"
            )
    return lines


def roofline_lines(a: dict) -> list[str]:
    """Median achieved fraction of the host's measured ceiling, per runner and worker count."""
    if not a["roofline"]:
        return [] if a["host_limits"] else ["no host limits stored for this study"]
    r = pd.DataFrame(a["roofline"])
    top = r.groupby(["runner", "n_workers"])["fraction"].median()
    return [
        f"{'single process' if runner == 'baseline' else f'{runner} {w} worker(s)'}: "
        f"{fmt_percent(f)} of the ceiling"
        for (runner, w), f in top.items()
    ]


def analysis_text(a: dict) -> str:
    """``scaling-lib analyze``: tables, laws, models, diagnosis and roofline as text."""
    statuses = ", ".join(f"{n} {s}" for s, n in a["statuses"].items()) or "none"
    lines = [f"study {a['study']}: {a['runs']} runs ({statuses})", ""]
    if a["strong_scaling"]:
        lines.append("Strong scaling (median time; speedup and efficiency vs fewest workers)")
        lines += [_text(pd.DataFrame(a["strong_scaling"]), STRONG), ""]
    if a["weak_scaling"]:
        lines.append("Weak scaling (same work per worker, or size where no work is reported)")
        lines += [_text(pd.DataFrame(a["weak_scaling"]), WEAK), ""]
    if a["laws"]:
        lines += ["Laws per size", *(f"  {line}" for line in law_lines(a)), ""]
    if a["data_scaling"]:
        lines.append("Data scaling per worker count (Extra-P style search, n = size)")
        lines += [*(f"  {line}" for line in data_scaling_lines(a)), ""]
    if a.get("off_trend"):
        lines.append("Points off the trend (cost per unit of work against their neighbours)")
        lines += [*(f"  {p['text']}" for p in a["off_trend"]), ""]
    tm = a.get("time_model") or {}
    if "model" in tm:
        lines += [
            f"Time model T(n, p) = {tm['model']} s  ({tm['kind']}, cross-validation "
            f"error {fmt_percent(tm['cv_smape'] / 100)})",
            f"  chosen: {tm['selection']}",
        ]
        if tm.get("nested_cv_smape") is not None:
            lines.append(f"  {nested_sentence(tm)}")
        if tm.get("doubt"):
            lines.append(f"  doubt: {tm['doubt']}")
        if tm.get("excluded"):
            lines.append(f"  left out: {tm['excluded']}")
        if tm.get("alternatives"):
            kinds = ", ".join(alt["kind"] for alt in tm["alternatives"])
            lines.append(f"  not ruled out (predictions span them): {kinds}")
        if tm.get("interval"):
            iv = tm["interval"]
            lines.append(
                f"  {fmt_percent(iv['level'])} intervals for a run: run noise "
                f"{fmt_percent(iv['run_noise'])}; {iv['per_doubling_of_work_source']}; "
                f"{iv['per_doubling_of_workers_source']}"
            )
        lines.append("")
    wm = a.get("worker_memory")
    if wm:
        lines.append(f"Memory per worker: {wm['model']}")
        for c in wm["checks"]:
            lines.append(
                f"  size {fmt_count(c['size'])} on {c['n_workers']} worker(s): measured "
                f"{fmt_bytes(c['measured_bytes'])}, modelled {fmt_bytes(c['modelled_bytes'])} "
                f"(up to {fmt_bytes(c['upper_bytes'])})"
                + ("" if c["covered"] else "  <- above the upper bound")
            )
        lines.append("")
    for key, title, columns in (
        ("strategies", "Training strategies (bytes between workers per step)", STRATEGIES),
        ("precision", "Precision (error of the result against float64)", PRECISION),
        ("serving", "Serving (latency percentiles, requests/s)", SERVING),
    ):
        if a.get(key):
            lines += [title, _text(pd.DataFrame(a[key]), columns), ""]
    lines.append("Diagnosis (by the time each costs at the largest measured point)")
    for f in a["diagnosis"]:
        lines.append(f"  [{finding_cost(f)}] {f['name']}: {f['summary']}")
        if note := tie_note(f):
            rank = f"{f.get('rank')}, {note}"
            lines.append(f"         rank: {rank}: neither ranks above the other")
        if f.get("lost_how"):
            lines.append(f"         time lost: {f['lost_how']}")
        if f.get("evidence"):
            lines.append(f"         evidence: {fmt_evidence(f['evidence'])}")
        lines.append(f"         fix: {f['fix']}")
    roof = roofline_lines(a)
    if roof:
        lines += ["", "Roofline (median achieved / ceiling)", *(f"  {line}" for line in roof)]
    return "\n".join(lines)


def autoscale_rows(r: dict) -> pd.DataFrame:
    """Fixed and adaptive cluster side by side (raw numbers; format with AUTOSCALE)."""
    rows = []
    for mode in ("fixed", "adaptive"):
        m = r[mode]
        burst = m["burst"]
        rows.append(
            {
                "cluster": mode,
                "workers": f"{m['min_workers']}-{m['max_workers']}",
                "first_extra_s": m["time_to_first_extra_worker_s"],
                "to_max_s": m["time_to_maximum_s"],
                "scale_down_s": m["time_to_scale_down_s"],
                "p50_s": burst.get("latency_p50_s"),
                "p95_s": burst.get("latency_p95_s"),
                "p99_s": burst.get("latency_p99_s"),
                "worker_seconds": m["worker_seconds"],
            }
        )
    return pd.DataFrame(rows)


def autoscale_headline(r: dict) -> str:
    """The load profile and the adaptive range, in one line."""
    lo, hi = r["adapt"]["minimum"], r["adapt"]["maximum"]
    profile = ", ".join(
        f"{fmt_seconds(p['seconds'])} at {fmt_number(p['rate'])}/s" for p in r["profile"]
    )
    return f"Autoscaling ({r['study']}): load {profile}; adapt({lo}, {hi}) vs {hi} fixed"


def autoscale_verdict(r: dict) -> str:
    """'adaptive used 62% of the fixed cluster's worker-seconds', or '' if not comparable."""
    fixed, adaptive = r["fixed"]["worker_seconds"], r["adaptive"]["worker_seconds"]
    if not fixed:
        return ""
    return f"adaptive used {fmt_percent(adaptive / fixed)} of the fixed cluster's worker-seconds"


def autoscale_text(r: dict) -> str:
    """The fixed-vs-adaptive comparison of ``run_autoscale_experiment``."""
    lines = [autoscale_headline(r), "", _text(autoscale_rows(r), AUTOSCALE)]
    verdict = autoscale_verdict(r)
    if verdict:
        lines += ["", verdict]
    return "\n".join(lines)


def full_dataset_text(forecast: dict) -> str:
    """``analyze``'s forecast at the full dataset: one line per measured worker count."""
    lines = [
        f"Forecast at the {forecast['label']}: {forecast['path']}, "
        f"{fmt_bytes(forecast['bytes'])} in memory (time model [90% interval])"
    ]
    for p in forecast["predictions"]:
        lines.append(
            f"  {p['n_workers']} worker(s): {fmt_seconds(p['seconds'])} "
            f"[{fmt_seconds(p['low'])}, {fmt_seconds(p['high'])}]"
        )
        lines += [f"    note: {w}" for w in p["warnings"]]
    for r in forecast.get("read") or []:
        how = "inside the timed job" if r["timed"] else "before the timer (read: untimed)"
        parts = [
            f"{name} {fmt_seconds(r[key])}"
            for name, key in (("compute", "compute_s"), ("transfer", "transfer_s"))
            if r.get(key) is not None
        ]
        lines.append(
            f"  reading at {fmt_count(r['size'])} on {r['n_workers']} worker(s), {how}: "
            f"{fmt_seconds(r['read_s'])} alone, against the job's {fmt_seconds(r['wall_s'])}"
            + (f" ({fmt_percent(r['share'])})" if r["timed"] and r["share"] is not None else "")
            + (f"; the job's tasks: {', '.join(parts)}" if parts else "")
        )
    return "\n".join(lines)


def nested_sentence(tm: dict) -> str:
    """What the selection's error is on points it was not chosen on (nested CV)."""
    return (
        f"on points it was not chosen on (the whole selection re-run without each): error "
        f"{fmt_percent(tm['nested_cv_smape'] / 100)}, against "
        f"{fmt_percent(tm['cv_smape'] / 100)} on the points that chose it"
    )


# The recommendation's tables and lines live in presentation_recommend; importable from
# here as before.
from scaling_lib.present.recommend import (  # noqa: E402
    option_rows,
    pick_line,  # noqa: F401
    recommendation_text,
    target_line,  # noqa: F401
)
