"""What the notebooks show of the advisor: the next measurement beside a forecast, and
what an adaptive sweep did.

Usage (in a notebook)::

    from scaling_lib.notebook import advice_views as av
    advice = av.next_advice(df, size=1e6, workers=2, budget="10m")   # dict, or why not
    av.next_measurement(advice)             # the line, the ranked table, the command
    av.adaptive_summary(run_adaptive(...))  # the points measured and why it stopped

What the measuring machine can run is read from the records alone
(``reach_from_records``), as the dashboard reads it; ``scaling-lib advise`` adds what
the study's spec lists. Too few points for advice is said in words, not raised, so a
notebook on a young study still completes.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from scaling_lib.notebook.views import Views, markdown, styled
from scaling_lib.present.advice import advice_line, advice_table
from scaling_lib.present.advice_command import SPEC_NOTE, advice_command
from scaling_lib.units import fmt_number, fmt_seconds

__all__ = ["adaptive_summary", "next_advice", "next_measurement", "study_spec"]


def next_advice(
    df: pd.DataFrame, *, size: float, workers: int = 0, budget: str | float | None = None
) -> dict | str:
    """``AdviceReport.as_dict()`` for the forecast at ``size`` on ``workers`` (0: the
    most measured), only measurements expected to fit ``budget`` ("10m", seconds; empty
    for any); or why there is no advice (too few points), as text."""
    from scaling_lib.analysis.advise import advise
    from scaling_lib.analysis.advise_candidates import reach_from_records
    from scaling_lib.analysis.scaling import dask_runs
    from scaling_lib.notebook.parameters import budget_seconds

    runs = dask_runs(df)
    if not len(runs):
        return "no successful Dask runs yet"
    workers = int(workers or runs["n_workers"].max())
    try:
        return advise(
            df,
            target_size=float(size),
            target_workers=workers,
            reach=reach_from_records(df, target_workers=workers),
            budget_s=budget_seconds(budget),
        ).as_dict()
    except ValueError as exc:  # AnalysisError: too few points for a time model
        return str(exc)


def next_measurement(advice: dict | str, *, spec: str = "") -> Any:
    """The next measurement (Markdown), the ranked candidates (a table) and the command
    that measures it; ``spec`` is the spec's path where the notebook knows it."""
    if isinstance(advice, str):
        return markdown(f"**Next measurement:** none to advise yet: {advice}.")
    items: list = [markdown(f"**{advice_line(advice)}**")]
    table = advice_table(advice)
    if len(table):
        items.append(styled(table, caption="Measurements this machine can take, best first"))
    now, target = advice["now"], advice["target"]
    notes = [
        f"Forecast now at {fmt_number(target['size'])} on {target['n_workers']} workers: "
        f"{fmt_seconds(now['seconds'])} [{fmt_seconds(now['low'])}, "
        f"{fmt_seconds(now['high'])}], {advice['width']:.2f}x wide (90% interval).",
        "*narrowing / min*: how much of the interval's width (the log of high / low) each "
        "is expected to remove, per minute of measuring.",
    ]
    command = advice_command(advice, spec=spec or "SPEC")
    if command:
        notes.append(f"To measure it from a shell: `{command}`")
        if not spec:
            notes.append(f"{SPEC_NOTE}.")
    items.append(markdown("\n\n".join(notes)))
    return Views(items)


def study_spec(store: Any, study: str, spec_path: str = ""):
    """The spec at ``spec_path``, else the copy the results store keeps beside the study's
    records (``spec.yaml``, saved by ``run``)."""
    import yaml

    from scaling_lib.spec.study import load_spec

    if spec_path:
        return load_spec(spec_path)
    return load_spec(yaml.safe_load(store.read_file(study, "spec.yaml")))


def adaptive_summary(summary: Any) -> Any:
    """What ``run_adaptive`` did: the points it measured, where the forecast ended and
    why it stopped, as Markdown and a table."""
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "no runs"
    lines = [
        f"**Adaptive sweep of `{html.escape(summary.study)}`:** {len(summary.steps)} advised "
        f"point(s) measured ({counts}) in {fmt_seconds(summary.elapsed_s)}.",
        f"- target: {fmt_number(summary.target_size)} on {summary.target_workers} workers, "
        f"forecast {summary.interval or 'none yet'}",
        f"- **stopped:** {summary.stopped}",
    ]
    items: list = [markdown("\n".join(lines))]
    if summary.steps:
        steps = pd.DataFrame(
            [
                {
                    "measured": f"{fmt_number(s['size'])} on {s['n_workers']} worker(s)",
                    "kind": s["kind"],
                    "expected cost": fmt_seconds(s["expected_cost_s"]),
                    "took": fmt_seconds(s["measured_s"]),
                    "width before": _width(s["width_before"]),
                    "expected width after": _width(s["expected_width"]),
                }
                for s in summary.steps
            ]
        )
        items.append(styled(steps, caption="Points measured, in order"))
    return Views(items)


def _width(value: float) -> str:
    return f"{value:.2f}x" if math.isfinite(value) else "unbounded"
