"""What a ``%%scale`` cell shows: its points, time against sample size, the full-dataset forecast.

Usage (``magic.run_scale_cell`` returns this; Jupyter renders it)::

    from scaling_lib.notebook.magic_views import scale_cell_views
    scale_cell_views("data/results", "cell", summary)    # a notebook_views.Views

The forecast is the study's fitted T(n, p) at the full dataset (the records carry its
rows), for each worker count measured; with too few points to fit, the cell says so
and shows the measurements alone.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scaling_lib.notebook.views import Views, enable_plots, markdown, summary_table

__all__ = ["scale_cell_views", "scaling_frame"]


def scaling_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Median time and rows per point (size x workers) of a study's successful runs."""
    ok = df[(df["status"] == "ok") & (df["n_workers"] > 0)]
    if ok.empty:
        return pd.DataFrame(columns=["size", "n_workers", "wall_s", "rows"])
    rows = ok["sample_rows"] if "sample_rows" in ok else ok["work_items"]
    frame = ok.assign(rows=rows).groupby(["size", "n_workers"], as_index=False)
    return frame.agg(wall_s=("wall_s", "median"), rows=("rows", "median"))


def _forecast(df: pd.DataFrame) -> tuple[str, pd.DataFrame | None]:
    """Markdown about the full-dataset forecast, and its table (None when not fitted)."""
    from scaling_lib.analysis.dataset_target import full_dataset_forecast, full_dataset_target
    from scaling_lib.analysis.predict import fit_time_model
    from scaling_lib.errors import AnalysisError

    target = full_dataset_target(df)
    if target is None:
        return "No dataset recorded on these points: no full-dataset forecast.", None
    try:
        model = fit_time_model(df)
    except AnalysisError as exc:
        return f"**Forecast at the {target.label}:** not fitted ({exc}).", None
    forecast = full_dataset_forecast(df, model)
    table = pd.DataFrame(forecast["predictions"]).rename(
        columns={
            "n_workers": "workers",
            "seconds": "time (s)",
            "low": "low (s)",
            "high": "high (s)",
        }
    )
    return f"**Forecast at the {target.label}** (T(n, p) = `{model.model}`):", table


def scale_cell_views(results: str, study: str, summary: Any) -> Views:
    """The cell's output: what was measured, the points, a plot, the forecast."""
    from scaling_lib.store.records import load_results

    df = load_results(results, study=study)
    items: list[Any] = [markdown(f"**%%scale:** {summary}")]
    items.append(summary_table(results, study))
    frame = scaling_frame(df)
    if len(frame):
        enable_plots()
        frame = frame.assign(workers=frame["n_workers"].astype(str) + " worker(s)")
        items.append(
            frame.hvplot.line(
                x="size",
                y="wall_s",
                by="workers",
                logx=True,
                logy=True,
                xlabel=f"sample ({df['size_unit'].iloc[-1]})",
                ylabel="time (s)",
                title=f"{study}: time against the sample",
                width=520,
                height=320,
            )
            * frame.hvplot.scatter(x="size", y="wall_s", by="workers")
        )
    text, table = _forecast(df)
    items.append(markdown(text))
    if table is not None:
        items.append(table)
    return Views(items)
