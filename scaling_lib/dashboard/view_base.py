"""What every dashboard view shares: the base class and the panes it builds with.

Usage::

    class MyView(View):
        def __panel__(self):
            return lazy(self._render, self.store.param.records)

        @guarded
        def _render(self, _records):
            return plot_pane(plots.speedup(self._records()))

``lazy`` panes render only once shown (a tab nobody opened costs nothing), ``guarded``
renders say why they cannot be computed instead of breaking the page.
"""

from __future__ import annotations

import functools
import html

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.dashboard.state import StudyStore
from scaling_lib.present import plots

__all__ = [
    "CANVAS",
    "View",
    "default_target",
    "empty",
    "guarded",
    "lazy",
    "plot_pane",
    "text_table",
]

CANVAS = plots.CANVAS


def empty(message: str = "No successful runs match the filters.") -> pn.pane.Markdown:
    return pn.pane.Markdown(f"*{html.escape(message)}*")


def guarded(render):
    """A view that cannot be computed says why, instead of breaking the whole page."""

    @functools.wraps(render)
    def wrapper(self, *args):
        try:
            return render(self, *args)
        except ValueError as exc:  # too few points for a fit, and the like
            return empty(f"Not enough data for this view yet: {exc}")

    return wrapper


def default_target(records: pd.DataFrame) -> float:
    """Where a user would first want a prediction: a dataset study's full dataset (as
    ``scaling-lib analyze`` and ``recommend`` default to), else 8x the largest measured
    size."""
    from scaling_lib.analysis.dataset_target import full_dataset_target

    target = full_dataset_target(records) if len(records) else None
    if target is not None:
        return float(target.size)
    runs = dask_runs(records)
    return float(runs["size"].max()) * 8 if len(runs) else 0.0


def lazy(render, *deps) -> pn.param.ParamFunction:
    """``render(*deps)`` as a pane that re-renders when a dependency changes, evaluated
    only once it is shown: a tab nobody opened costs nothing at page load."""
    return pn.param.ParamFunction(pn.bind(render, *deps), lazy=True, sizing_mode="stretch_width")


def plot_pane(obj) -> pn.viewable.Viewable:
    """A plot pane. A layout of plots becomes a FlexBox of its plots, which wraps onto
    the next line where the main area is too narrow (a HoloViews layout has fixed widths
    and would run past the right edge instead)."""
    import holoviews as hv

    # linked_axes=False: Panel otherwise links axes of the same dimension name across
    # every pane in the document, so one plot's range (a 12 s timeline) stretched
    # another's (latencies near 0.05 s).
    if isinstance(obj, hv.Layout):
        return pn.FlexBox(
            *[pn.pane.HoloViews(item, linked_axes=False) for item in obj],
            sizing_mode="stretch_width",
        )
    return pn.pane.HoloViews(obj, sizing_mode="stretch_width", height=360, linked_axes=False)


def text_table(df: pd.DataFrame) -> pn.pane.DataFrame:
    """A static table of text (``tables`` formats it), left-aligned as text reads."""
    return pn.pane.DataFrame(
        df,
        index=False,
        escape=True,
        text_align="start",
        # Panel's table CSS right-aligns header cells: align them with their columns.
        stylesheets=[".panel-df th { text-align: start; }"],
        sizing_mode="stretch_width",
    )


class View(Viewer):
    store = param.ClassSelector(class_=StudyStore)

    def _records(self) -> pd.DataFrame:
        df = self.store.records
        return df if df is not None else pd.DataFrame()
