"""Naming the bottleneck, with the evidence for it, a fix to try, and the time it costs.

Usage::

    for finding in diagnose(df):
        print(finding.seconds_lost, finding.name, finding.summary)
        finding.lost_how    # how the seconds were estimated, with the figures
        finding.evidence    # the figures behind the finding
        finding.fix         # what to try
        finding.rank, finding.tied_with, finding.noise_s   # its place, and any tie

Each rule (``bottleneck_rules``) looks at the records (Dask's span metrics per run,
transfers, spills, memory, statuses) and, if it sees its bottleneck, returns a Finding
with the wall seconds its fix would recover at the largest measured point. Ranked:
failures first (runs that did not finish), then problems by the time they cost (those
without an estimate after), then the state of the runs (compute-bound is not a
problem), then caveats about the measurement. Shares are of the thread-seconds a run
had (wall time x workers x threads).

Ties: two problems whose seconds lost differ by no more than the run noise
(``run_noise``: how much the reference point's wall time moves between repeats) are
tied. A tie is data, not a coin toss: the tied findings share a ``rank``, each names the
others in ``tied_with``, they carry the noise in ``noise_s``, and they are listed by
name, so the same study ranks the same way from one run to the next. A group starts at
the largest seconds lost not yet ranked and takes every problem within the noise of it
(so any two in a group are within the noise of each other); the next group starts
below. Ranks count places as in a race: two tied first, the next is third.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from scaling_lib.analysis.bottleneck_rules import IDLE_SHARE, RULES, Finding, _memory, time_shares
from scaling_lib.analysis.findings import reference
from scaling_lib.analysis.scaling import dask_runs

__all__ = [
    "RULES",
    "SINGLE_RUN_NOISE",
    "Finding",
    "diagnose",
    "rank_findings",
    "run_noise",
    "time_shares",
]

# With one run per point there is no spread to measure: its noise is taken as 10% of the
# wall time, the spread at which the study calls a point's repeats noisy
# (scaling.NOISY_CV), unless other points of the study have repeats to measure it from.
SINGLE_RUN_NOISE = 0.10


def diagnose(df: pd.DataFrame) -> list[Finding]:
    """Every rule's finding, ranked (see the module docstring)."""
    if df.empty:
        return [Finding("not-enough-data", 1.0, "no records", {}, "run the study first", rank=1)]
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
        return rank_findings(findings + ([memory] if memory else []), 0.0)
    shares = time_shares(runs)
    findings = [f for rule in RULES if (f := rule(df, runs, shares)) is not None]
    findings = [_clean(f) for f in _idle_unexplained(findings)]
    return rank_findings(findings, run_noise(runs))


def run_noise(runs: pd.DataFrame) -> float:
    """How far, in wall seconds, one run of the reference point (the largest size at the
    most workers, where every rule estimates its seconds lost) may move from the next.

    With repeats there: the median absolute deviation of their wall times from their
    median (with two repeats, half the gap between them). With a single run there: the
    median over the other points with repeats of that deviation relative to the point's
    median wall time, times the reference wall time; with no point repeated,
    ``SINGLE_RUN_NOISE`` (10%) of the reference wall time.
    """
    ref = reference(runs)
    wall = ref.runs["wall_s"].astype(float)
    if len(wall) > 1:
        mad = float((wall - wall.median()).abs().median())
        return mad if math.isfinite(mad) else 0.0
    by_point = runs.groupby(["size", "n_workers", "threads_per_worker"])["wall_s"]
    relative = [
        float((w - w.median()).abs().median() / w.median())
        for _, w in by_point
        if len(w) > 1 and w.median() > 0
    ]
    share = float(np.median(relative)) if relative else SINGLE_RUN_NOISE
    noise = share * ref.wall_s
    return noise if math.isfinite(noise) else 0.0


def rank_findings(findings: list[Finding], noise: float) -> list[Finding]:
    """Sorted by ``_rank``, with problems whose seconds lost are within ``noise`` of each
    other's tied (see the module docstring)."""
    order = sorted(findings, key=_rank)
    out: list[Finding] = []
    while order:
        lead = order[0]
        group = [lead]
        if _estimated(lead):
            group += [
                f
                for f in order[1:]
                if _estimated(f) and lead.seconds_lost - f.seconds_lost <= noise
            ]
        taken = {id(f) for f in group}
        order = [f for f in order if id(f) not in taken]
        rank = len(out) + 1
        names = sorted(f.name for f in group)
        for f in sorted(group, key=lambda f: f.name):
            tied = tuple(n for n in names if n != f.name)
            noise_s = noise if _estimated(f) else None
            out.append(dataclasses.replace(f, rank=rank, tied_with=tied, noise_s=noise_s))
    return out


def _estimated(finding: Finding) -> bool:
    return finding.kind == "problem" and finding.seconds_lost is not None


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
