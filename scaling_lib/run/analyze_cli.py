"""``scaling-lib analyze``: one study's analysis, its what-if and its next measurement.

Usage::

    result, text = analyze_command(store, "events", store.load_study("events"))
    print(text)                      # what `scaling-lib analyze events` prints
    json.dumps(result)               # what `--json` prints

The analysis itself is ``analysis.report.analyze_study``; this puts beside it what needs
the store: the traced graph simulated on more workers (``simulation``) and, for a
dataset study, the measurement that narrows its full-dataset forecast most (``advice``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scaling_lib.run.advise_cli import advice_section
from scaling_lib.store.records import HOST_LIMITS_DOCUMENT, ResultsStore

__all__ = ["analyze_command", "simulation_section"]


def analyze_command(store: ResultsStore, study: str, df: pd.DataFrame) -> tuple[dict, str]:
    """The analysis as JSON-ready data, and as text."""
    from scaling_lib.analysis.report import analyze_study
    from scaling_lib.present.advice import advice_line
    from scaling_lib.present.analysis import analysis_text, full_dataset_text
    from scaling_lib.present.what_if import new_shape_note, what_if_text

    result = analyze_study(df, store.load_json(study, HOST_LIMITS_DOCUMENT))
    result["simulation"] = simulation_section(store, study, df)
    result["advice"] = advice_section(store, study, df)
    text = analysis_text(result)
    if result.get("full_dataset"):
        text += "\n\n" + full_dataset_text(result["full_dataset"])
        text += new_shape_note(result["simulation"].get("new_shape") or {})
    if result["advice"]:
        text += "\n" + advice_line(result["advice"])
    if "targets" in result["simulation"]:
        text += "\n\nWhat-if (the task graph simulated on more workers)\n"
        text += what_if_text(result["simulation"])
    else:
        text += f"\n\nWhat-if: {result['simulation']['unavailable']}"
    return result, text


def simulation_section(store: ResultsStore, study: str, df: pd.DataFrame) -> dict[str, Any]:
    """``analyze``'s simulation: the traced graph at 2-64 workers, or why there is none;
    a dataset study's at the full dataset (the graph its function builds there)."""
    from scaling_lib.analysis.dataset_target import full_dataset_target
    from scaling_lib.errors import AnalysisError, StoreError
    from scaling_lib.simulate.what_if import what_if_study

    # Dask runs only: a baseline record's worker count is 0.
    measured = {int(p) for p in df.get("n_workers", ()) if p == p and p >= 1}
    targets = sorted(measured | {2, 4, 8, 16, 32, 64})
    target = full_dataset_target(df)
    try:
        size = None if target is None else target.size
        return what_if_study(study, store, workers=targets, size=size).to_dict()
    except (StoreError, AnalysisError) as exc:
        return {"unavailable": str(exc)}
