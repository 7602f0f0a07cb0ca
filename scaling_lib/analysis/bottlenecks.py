"""Naming the bottleneck, with the evidence for it, a fix to try, and the time it costs.

Usage::

    for finding in diagnose(df):
        print(finding.seconds_lost, finding.name, finding.summary)
        finding.lost_how    # how the seconds were estimated, with the figures
        finding.evidence    # the figures behind the finding
        finding.fix         # what to try

Each rule (``bottleneck_rules``) looks at the records (Dask's span metrics per run,
transfers, spills, memory, statuses) and, if it sees its bottleneck, returns a Finding
with the wall seconds its fix would recover at the largest measured point. Ranked:
failures first (runs that did not finish), then problems by the time they cost (those
without an estimate after), then the state of the runs (compute-bound is not a
problem), then caveats about the measurement. Shares are of the thread-seconds a run
had (wall time x workers x threads).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from scaling_lib.analysis.bottleneck_rules import IDLE_SHARE, RULES, Finding, _memory, time_shares
from scaling_lib.analysis.scaling import dask_runs

__all__ = ["RULES", "Finding", "diagnose", "time_shares"]


def diagnose(df: pd.DataFrame) -> list[Finding]:
    """Every rule's finding, ranked (see the module docstring)."""
    if df.empty:
        return [Finding("not-enough-data", 1.0, "no records", {}, "run the study first")]
    df = df.reset_index(drop=True)  # rules index runs by label: labels must be unique
    runs = dask_runs(df)
    if runs.empty:
        failed = df[df["status"] != "ok"]
        findings = [
            Finding(
                "no-successful-runs",
                1.0,
                f"no Dask run succeeded ({len(failed)} failed)",
                {"statuses": failed["status"].value_counts().to_dict()},
                "read the error messages (scaling-lib show STUDY); fix and re-run with "
                "--retry-failed",
                kind="failure",
            )
        ]
        memory = _memory(df, runs, pd.DataFrame())
        return findings + ([memory] if memory else [])
    shares = time_shares(runs)
    findings = [f for rule in RULES if (f := rule(df, runs, shares)) is not None]
    findings = [_clean(f) for f in _idle_unexplained(findings)]
    return sorted(findings, key=_rank)


# Findings whose time shows up as idle threads: waiting on transfers, on the scheduler
# between tiny tasks, and every thread waiting while the serial part runs.
SHOWS_AS_IDLE = ("communication", "scheduler-overhead", "serial-section")


def _idle_unexplained(findings: list[Finding]) -> list[Finding]:
    """Idle time is a symptom: what the other findings explain is theirs, and the idle
    finding keeps only the rest (dropped when the rest is under its threshold)."""
    idle = next((f for f in findings if f.name == "idle-workers"), None)
    if idle is None or idle.seconds_lost is None:
        return findings
    explained = 0.0
    for f in findings:
        if f.name in SHOWS_AS_IDLE and f.seconds_lost is not None:
            # the serial part idles every thread for all of its time, not only the part
            # that parallelising it would recover
            explained += f.evidence.get("serial_seconds", f.seconds_lost)
    rest = idle.seconds_lost - explained
    wall = idle.evidence.get("wall_s") or 0.0
    others = [f for f in findings if f is not idle]
    if rest <= IDLE_SHARE * wall:
        return others
    how = f"{idle.lost_how}, less {explained:.3g} s explained by the other findings"
    return [*others, dataclasses.replace(idle, seconds_lost=rest, lost_how=how)]


KIND_ORDER = {"failure": 0, "problem": 1, "state": 2, "caveat": 3}


def _rank(finding: Finding) -> tuple:
    """Failures, then problems by seconds lost (estimated ones first), states, caveats."""
    lost = finding.seconds_lost
    return (
        KIND_ORDER.get(finding.kind, 1),
        lost is None,
        -(lost or 0.0),
        -finding.score,
    )


def _clean(finding: Finding) -> Finding:
    """Plain Python numbers in the evidence, so it serialises as JSON."""

    def plain(v):
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v

    lost = finding.seconds_lost
    return dataclasses.replace(
        finding,
        score=float(finding.score),
        evidence=plain(finding.evidence),
        seconds_lost=None if lost is None else float(lost),
    )
