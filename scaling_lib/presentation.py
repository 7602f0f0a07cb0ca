"""Plain-text rendering of analyses and recommendations for the terminal.

Usage::

    print(analysis_text(analyze_study(df, calibration)))
    print(recommendation_text(recommendation_dict(rec), top=10))
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["analysis_text", "autoscale_text", "recommendation_text"]


def _fmt(v: Any, spec: str = ".3g") -> str:
    return "-" if v is None else format(v, spec)


def analysis_text(a: dict) -> str:
    lines = [f"study {a['study']}: {a['runs']} runs {a['statuses']}", ""]
    if a["strong_scaling"]:
        lines.append("Strong scaling (median seconds; speedup and efficiency vs fewest workers)")
        t = pd.DataFrame(a["strong_scaling"])
        lines += [t.to_string(index=False, float_format=lambda x: f"{x:.3g}"), ""]
    if a["weak_scaling"]:
        lines.append("Weak scaling (same data per worker)")
        t = pd.DataFrame(a["weak_scaling"])
        lines += [t.to_string(index=False, float_format=lambda x: f"{x:.3g}"), ""]
    if a["laws"]:
        lines.append("Laws per size")
        for law in a["laws"]:
            am, usl = law["amdahl"], law["usl"]
            text = f"  size {law['size']:g}: "
            if am:
                text += (
                    f"Amdahl serial fraction {am['serial_fraction']:.3f} "
                    f"(SE {_fmt(am['se'])}; speedup <= {_fmt(am['max_speedup'])}x)"
                )
            if usl:
                text += (
                    f"; USL sigma {usl['sigma']:.3g} kappa {usl['kappa']:.3g} "
                    f"peak at {_fmt(usl['peak_workers'])} workers"
                )
            if law["note"]:
                text += f"  [{law['note']}]"
            lines.append(text)
        if a["gustafson_serial_fraction"] is not None:
            lines.append(f"  Gustafson serial fraction: {a['gustafson_serial_fraction']:.3f}")
        lines.append("")
    if a["data_scaling"]:
        lines.append("Data scaling per worker count (Extra-P style search, n = size)")
        for d in a["data_scaling"]:
            oom = "none in sight" if d["oom_size"] is None else f"{d['oom_size']:.3g}"
            lines.append(
                f"  {d['n_workers']} worker(s): time(n) = {d['time_model']} s; "
                f"peak memory(n) = {d['memory_model']} B; out of memory at size {oom}"
            )
        lines.append("")
    tm = a.get("time_model") or {}
    if "model" in tm:
        lines += [
            f"Time model T(n, p) = {tm['model']} s  ({tm['kind']}, cross-validation "
            f"SMAPE {tm['cv_smape']:.1f}%)",
            f"  chosen: {tm['selection']}",
        ]
        if tm.get("doubt"):
            lines.append(f"  doubt: {tm['doubt']}")
        if tm.get("alternatives"):
            kinds = ", ".join(a["kind"] for a in tm["alternatives"])
            lines.append(f"  not ruled out (predictions span them): {kinds}")
        lines.append("")
    for key, title in (
        (
            "strategies",
            "Training strategies (bytes between workers per step: measured vs analytic)",
        ),
        ("precision", "Precision (error of the result against float64)"),
        ("serving", "Serving (latency percentiles in seconds, requests/s)"),
    ):
        if a.get(key):
            t = pd.DataFrame(a[key])
            lines += [title, t.to_string(index=False, float_format=lambda x: f"{x:.3g}"), ""]
    lines.append("Diagnosis (strongest first)")
    for f in a["diagnosis"]:
        lines.append(f"  [{f['score']:.2f}] {f['name']}: {f['summary']}")
        lines.append(f"         fix: {f['fix']}")
    if a["roofline"]:
        r = pd.DataFrame(a["roofline"])
        top = r.groupby(["runner", "n_workers"])["fraction"].median()
        lines += ["", "Roofline (median achieved / ceiling)"]
        lines += [f"  {runner} {w} worker(s): {frac:.0%}" for (runner, w), frac in top.items()]
    elif a["calibration"] is None:
        lines += ["", "Roofline: no host calibration stored for this study"]
    return "\n".join(lines)


def recommendation_text(r: dict, top: int = 10) -> str:
    cur = r["currency"]
    head = f"Target: {r['target_size']:g} {r['size_unit']}"
    if r["deadline_s"] is not None:
        head += f", deadline {r['deadline_s']:g} s"
    if r["budget"] is not None:
        head += f", budget {r['budget']:g} {cur} per run"
    lines = [head + f", {r['pricing'].replace('_', '-')} prices", ""]
    rows = []
    for o in r["options"][:top]:
        rows.append(
            {
                "instance": o["instance"],
                "count": o["count"],
                "workers": o["workers"],
                "time_s": f"{o['seconds']:.3g} [{o['seconds_low']:.3g}, {o['seconds_high']:.3g}]",
                f"cost_{cur}": f"{o['cost']:.4f} [{o['cost_low']:.4f}, {o['cost_high']:.4f}]",
                "mem/worker_GiB": f"{o['memory_per_worker_gib']:.1f}",
                "peak_GiB": _fmt(o["predicted_peak_gib"], ".2f"),
                "efficiency": _fmt(o["efficiency"], ".0%"),
                "ok": "yes" if o["feasible"] else "NO (memory)",
                "deadline": {True: "meets", False: "misses", None: "-"}[o["meets_deadline"]],
                "budget": {True: "within", False: "over", None: "-"}[o["within_budget"]],
            }
        )
    lines.append("Options (time and cost: prediction [interval])")
    lines += [pd.DataFrame(rows).to_string(index=False), ""]

    def pick(o: dict | None, what: str) -> str:
        if o is None:
            return f"{what}: none"
        return (
            f"{what}: {o['count']} x {o['instance']} ({o['workers']} workers), "
            f"{o['seconds']:.3g} s [{o['seconds_low']:.3g}, {o['seconds_high']:.3g}], "
            f"{o['cost']:.4f} {cur}"
        )

    if r["deadline_s"] is not None:
        lines.append(pick(r["cheapest_meeting_deadline"], "Cheapest meeting the deadline"))
    if r["budget"] is not None:
        lines.append(pick(r["fastest_within_budget"], "Fastest within budget"))
    if r["knee_workers"]:
        lines.append(f"Knee: parallel efficiency stays >= 50% up to {r['knee_workers']} workers")
    lines.append(f"Single process vs cluster: {r['baseline_note']}")
    warnings = sorted({w for o in r["options"][:top] for w in o["warnings"]})
    if warnings:
        lines += ["", "Warnings"] + [f"  - {w}" for w in warnings]
    lines += ["", "Assumptions"] + [f"  - {a}" for a in r["assumptions"]]
    return "\n".join(lines)


def autoscale_text(r: dict) -> str:
    """The fixed-vs-adaptive comparison of ``run_autoscale_experiment``."""
    lo, hi = r["adapt"]["minimum"], r["adapt"]["maximum"]
    profile = ", ".join(f"{p['seconds']:g} s at {p['rate']:g}/s" for p in r["profile"])
    lines = [f"Autoscaling ({r['study']}): load {profile}; adapt({lo}, {hi}) vs {hi} fixed", ""]
    rows = []
    for mode in ("fixed", "adaptive"):
        m = r[mode]
        burst = m["burst"]
        rows.append(
            {
                "cluster": mode,
                "workers": f"{m['min_workers']}-{m['max_workers']}",
                "to first extra worker s": m["time_to_first_extra_worker_s"],
                "to max s": m["time_to_maximum_s"],
                "back to min after burst s": m["time_to_scale_down_s"],
                "burst p50 s": burst.get("latency_p50_s"),
                "burst p95 s": burst.get("latency_p95_s"),
                "burst p99 s": burst.get("latency_p99_s"),
                "worker-seconds": m["worker_seconds"],
            }
        )
    table = pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3g}", na_rep="-")
    lines.append(table)
    fixed, adaptive = r["fixed"]["worker_seconds"], r["adaptive"]["worker_seconds"]
    if fixed:
        lines += ["", f"adaptive used {adaptive / fixed:.0%} of the fixed cluster's worker-seconds"]
    return "\n".join(lines)
