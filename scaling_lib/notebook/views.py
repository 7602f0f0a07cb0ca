"""What the notebooks display: styled tables, Markdown findings, plots that work offline.

Usage (in a notebook)::

    from scaling_lib.notebook import views as nv
    nv.enable_plots()                    # once, before the first plot
    nv.summary_table(results, study)     # medians per point, human units
    nv.findings(analysis["diagnosis"])   # bottlenecks with their evidence, as Markdown
    nv.recommendation(results, study, size=1e6, deadline_s=60)

Every function returns something Jupyter renders (a pandas ``Styler``, an
``IPython.display.Markdown``, or ``Views`` holding several), so cells stay one line and
the logic stays here, testable. Figures are formatted by ``formatting`` and
``presentation``, as in the CLI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from scaling_lib.analysis.findings import tie_note
from scaling_lib.present.analysis import (
    AUTOSCALE,
    PRECISION,
    SERVING,
    STRATEGIES,
    STRONG,
    WEAK,
    autoscale_headline,
    autoscale_rows,
    autoscale_verdict,
    data_scaling_lines,
    human_frame,
    law_lines,
    nested_sentence,
    option_rows,
    pick_line,
    roofline_lines,
    target_line,
)
from scaling_lib.present.recommend import split_too_wide
from scaling_lib.units import finding_cost, fmt_evidence, fmt_number, fmt_percent

__all__ = [
    "Views",
    "analysis_tables",
    "autoscale",
    "enable_plots",
    "findings",
    "overview",
    "recommendation",
    "records_table",
    "run_summary",
    "serving_table",
    "strategy_findings",
    "strategy_table",
    "styled",
    "summary_table",
    "time_model",
]

_TABLE_STYLE = [
    {"selector": "th", "props": [("text-align", "right"), ("padding", "2px 8px")]},
    {"selector": "td", "props": [("text-align", "right"), ("padding", "2px 8px")]},
    {"selector": "caption", "props": [("text-align", "left"), ("font-weight", "bold")]},
]


def enable_plots() -> None:
    """Load the Bokeh/HoloViews JavaScript into the notebook itself, once.

    By default hvplot loads it from a CDN, and again in every cell that plots (it
    re-imports ``hvplot.pandas`` before each cell): an executed notebook exported to
    HTML then shows empty plots offline. Loading the resources inline, once, makes the
    notebook (and its HTML export) self-contained at about 3 MB.
    """
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:  # plain Python: nothing to load into a page
        return
    import holoviews as hv
    import hvplot

    hv.extension.inline = True
    hvplot.hvplot_extension.inline = True
    # hvplot's hook re-imports `hvplot.pandas` before every cell, publishing the bundle
    # again in each plot cell (3 MB each when inline); the first publication serves all.
    hook = getattr(hvplot, "pre_run_cell", None)
    if hook is not None and hook in ip.events.callbacks["pre_run_cell"]:
        ip.events.unregister("pre_run_cell", hook)
    hvplot.extension("bokeh", logo=False)
    import hvplot.pandas  # registers .hvplot on DataFrames


@dataclasses.dataclass
class Views:
    """Several displayables shown one after the other as one cell's output."""

    items: list

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for item in self.items:
            display(item)


def markdown(text: str):
    """Markdown for a notebook cell's output (IPython's, imported when first shown)."""
    from IPython.display import Markdown

    return Markdown(text)


def styled(df: pd.DataFrame, columns: Mapping | None = None, caption: str = ""):
    """A table for people: formatted by ``columns`` (see ``presentation``), no index."""
    table = human_frame(df, columns) if columns is not None else df
    style = table.style.hide(axis="index").set_table_styles(_TABLE_STYLE)
    return style.set_caption(caption) if caption else style


def run_summary(*summaries: Any):
    """What ``run_study`` did (one line per call), as Markdown."""
    return markdown("**Measured:**\n\n" + _bullets(str(s) for s in summaries))


def summary_table(results: str, study: str):
    """Per point of a study: medians over repeats, with units (``scaling-lib show``)."""
    from scaling_lib.present.records import human_summary, summarize_study

    table = human_summary(summarize_study(results, study))
    return styled(table, caption=f"Study {study}: medians over repeats")


def records_table(df: pd.DataFrame):
    """One row per run: configuration, outcome and the main measurements."""
    from scaling_lib.present.analysis import fmt_throughput
    from scaling_lib.units import fmt_bytes, fmt_seconds

    unit = str(df["work_unit"].dropna().iloc[0]) if df["work_unit"].notna().any() else ""
    columns = {
        "runner": ("runner", str),
        "size": ("size", fmt_number),
        "n_workers": ("workers", fmt_number),
        "repeat": ("repeat", fmt_number),
        "status": ("status", str),
        "wall_s": ("time", fmt_seconds),
        "throughput": ("throughput", lambda x: fmt_throughput(x, unit)),
        "task_count": ("tasks", fmt_number),
        "bytes_transferred": ("moved between workers", fmt_bytes),
        "peak_memory_bytes": ("peak memory", fmt_bytes),
    }
    return styled(df, columns, caption="Runs")


def overview(analysis: Mapping) -> Any:
    """The study in one sentence: runs and their outcomes."""
    statuses = ", ".join(f"{n} {s}" for s, n in analysis["statuses"].items()) or "none"
    return markdown(f"**Study `{analysis['study']}`:** {analysis['runs']} runs ({statuses}).")


def analysis_tables(analysis: Mapping) -> Views:
    """Strong and weak scaling, and the AI workloads' tables where the study has them."""
    items = []
    for key, columns, caption in (
        ("strong_scaling", STRONG, "Strong scaling: speedup and efficiency vs fewest workers"),
        ("weak_scaling", WEAK, "Weak scaling: same work per worker"),
        ("strategies", STRATEGIES, "Training strategies: bytes between workers per step"),
        ("precision", PRECISION, "Precision: error of the result against float64"),
        ("serving", SERVING, "Serving: latency percentiles and requests/s"),
    ):
        if analysis.get(key):
            items.append(styled(pd.DataFrame(analysis[key]), columns, caption))
    return Views(items or [markdown("_No successful Dask runs to tabulate yet._")])


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def time_model(analysis: Mapping) -> Any:
    """The fitted laws and the time model T(n, p), with the points off their neighbours'
    trend (kept or left out of it), as Markdown."""
    parts = []
    tm = analysis.get("time_model") or {}
    if "model" in tm:
        parts += [
            "**Time model** (seconds, n = size, p = workers):",
            f"`T(n, p) = {tm['model']}`",
            f"chosen form: **{tm['kind']}**, cross-validation error "
            f"{fmt_percent(tm['cv_smape'] / 100)}. {tm['selection']}.",
        ]
        if tm.get("nested_cv_smape") is not None:
            parts.append(f"Checked {nested_sentence(tm)}.")
        if tm.get("doubt"):
            parts.append(f"*Doubt:* {tm['doubt']}")
        if tm.get("excluded"):
            parts.append(f"*Left out of the fit:* {tm['excluded']}.")
        if tm.get("alternatives"):
            kinds = ", ".join(alt["kind"] for alt in tm["alternatives"])
            parts.append(f"Not ruled out (the prediction intervals span them): {kinds}.")
    elif "error" in tm:
        parts.append(f"**No time model yet:** {tm['error']}")
    if analysis.get("off_trend"):
        parts += [
            "**Points off the trend** (cost per unit of work against their neighbours, "
            "beyond the run noise)",
            _bullets(p["text"] for p in analysis["off_trend"]),
        ]
    if analysis.get("laws"):
        parts += ["**Scaling laws per size**", _bullets(law_lines(analysis))]
    if analysis.get("data_scaling"):
        parts += [
            "**Data scaling per worker count** (Extra-P style search)",
            _bullets(f"`{line}`" for line in data_scaling_lines(analysis)),
        ]
    roof = roofline_lines(analysis)
    if roof:
        parts += ["**Roofline** (median achieved / the host's measured ceiling)", _bullets(roof)]
    return markdown("\n\n".join(parts) or "_Too few points for a model yet._")


def _finding_dicts(items: Iterable) -> list[dict]:
    return [f if isinstance(f, Mapping) else dataclasses.asdict(f) for f in items]


def findings(diagnosis: Iterable, title: str = "Bottlenecks, by the time each costs") -> Any:
    """Findings (dicts from ``analyze_study`` or ``Finding``s) as numbered sentences."""
    rows = _finding_dicts(diagnosis)
    if not rows:
        return markdown(f"**{title}:** nothing stands out in these runs.")
    lines = [f"**{title}**", ""]
    for i, f in enumerate(rows, 1):
        lines.append(f"{i}. **{f['name']}** ({finding_cost(f)}): {f['summary']}.")
        if note := tie_note(f):
            rank = f"{f.get('rank')}, {note}"
            lines.append(f"   *Rank:* {rank}: neither ranks above the other.")
        if f.get("lost_how"):
            lines.append(f"   *Time lost:* {f['lost_how']}.")
        if f.get("evidence"):
            lines.append(f"   *Evidence:* {fmt_evidence(f['evidence'])}.")
        if f.get("fix"):
            lines.append(f"   *Try:* {f['fix']}.")
    return markdown("\n".join(lines))


def recommendation(
    results: Any,
    study: str | list[str],
    *,
    size: float | None = None,
    deadline_s: float | None = None,
    budget: float | None = None,
    pricing: str = "on_demand",
    records: pd.DataFrame | None = None,
    top: int = 10,
) -> Views:
    """The recommendation for ``size`` over the instance catalog: picks, options, caveats.

    The one ``scaling-lib recommend`` and the dashboard show
    (``simulate.study_recommendation``): the study's traced graph simulated beyond the
    measured workers. ``results`` is the store (or its path); ``records`` the study's
    records to use instead of all of them. Too few points for a time model is said in
    words, not raised, so a batch notebook on a young study still completes.
    """
    from scaling_lib.analysis.report import recommendation_dict
    from scaling_lib.simulate.study_recommendation import study_recommendation

    try:
        rec = study_recommendation(
            results,
            study,
            records=records,
            size=size,
            deadline_s=deadline_s,
            budget=budget,
            pricing=pricing,
        )
    except ValueError as exc:
        return Views(
            [
                markdown(
                    f"**No recommendation yet:** {exc}. Add sizes or worker counts to the study."
                )
            ]
        )
    r = recommendation_dict(rec)
    cur = r["currency"]
    lines = [f"**{target_line(r)}**", ""]
    if r["deadline_s"] is not None:
        lines.append(
            "- "
            + pick_line(r["cheapest_meeting_deadline"], "**Cheapest meeting the deadline**", cur)
        )
    if r["budget"] is not None:
        lines.append("- " + pick_line(r["fastest_within_budget"], "**Fastest within budget**", cur))
    if r["knee_workers"]:
        lines.append(
            f"- Parallel efficiency stays at or above 50% up to {r['knee_workers']} workers."
        )
    lines.append(f"- Single process vs cluster: {r['baseline_note']}")
    wide, warnings = split_too_wide(r, top)
    if wide:
        lines.append(f"- **Forecast too wide to act on** (the first option): {wide}")
    notes = ["", "**Assumptions**", _bullets(r["assumptions"])]
    if warnings:
        notes = ["", "**Warnings**", _bullets(warnings), *notes]
    options = styled(option_rows(r, top), caption="Options: prediction [interval]")
    return Views([markdown("\n".join(lines)), options, markdown("\n".join(notes))])


def strategy_table(table: pd.DataFrame):
    """``ai_workloads.strategy_table``: measured vs analytic bytes per step, fastest."""
    return styled(table, STRATEGIES, caption="Bytes between workers per step")


def strategy_findings(frames: Mapping[str, pd.DataFrame], min_score: float = 0.3) -> Any:
    """The strongest finding of each study (e.g. one per training strategy), as Markdown."""
    from scaling_lib.analysis.bottlenecks import diagnose

    lines = ["**Strongest finding per study**", ""]
    for study, df in frames.items():
        found = [f for f in diagnose(df) if f.score >= min_score]
        if found:
            top = found[0]
            tie = f", {note}" if (note := tie_note(top)) else ""
            lines.append(
                f"- `{study}`: **{top.name}**{tie}: {top.summary} "
                f"(*evidence:* {fmt_evidence(top.evidence)})"
            )
        else:
            lines.append(f"- `{study}`: no strong finding")
    return markdown("\n".join(lines))


def serving_table(table: pd.DataFrame):
    """``ai_workloads.latency_table``: latency percentiles and requests/s per point."""
    return styled(table, SERVING, caption="Latency and throughput per point")


def autoscale(doc: Mapping | None) -> Any:
    """The fixed-vs-adaptive comparison of ``run_autoscale_experiment``."""
    if doc is None:
        return markdown("_Autoscaling experiment not run (autoscale = False)._")
    verdict = autoscale_verdict(doc)
    return Views(
        [
            markdown(f"**{autoscale_headline(doc)}**"),
            styled(autoscale_rows(doc), AUTOSCALE, caption="Fixed vs adaptive cluster"),
            markdown(f"**Verdict:** {verdict}." if verdict else "_No worker-seconds to compare._"),
        ]
    )
