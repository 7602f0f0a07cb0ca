"""The dashboard's views: one Viewer per tab, each built on a StudyStore.

Usage::

    store = StudyStore(results="data/results", studies=["quick"])
    DataScalingView(store=store).target = 1e5     # views react to their parameters
    RecommendationsView(store=store).table()      # the ranked options as a DataFrame

Views compute with ``scaling_lib.analysis`` and draw with ``plots``; they never start a
cluster. Text taken from records (names, error messages) is HTML-escaped. Every
figure a view shows goes through ``scaling_lib.units`` (units, 3 significant
digits) and its tables through ``tables`` (no raw floats, no dict dumps).

The views live in modules of one job each, re-exported here:

- ``overview_view``: the Overview (the first tab every session draws: kept light)
- ``scaling_views``: strong, weak and data scaling, bottlenecks, roofline
- ``advice_view``: the Data scaling tab's "Next measurement" card (what to measure
  so its forecast can be trusted)
- ``recommendations_view``: ranked instance options
- ``records_views``: runs, compare, AI workloads
- ``what_if_view``: the measured task graph replayed on more workers
- ``view_base``: the base class and the panes every view builds with
"""

from __future__ import annotations

from scaling_lib.dashboard.overview_view import OverviewView
from scaling_lib.dashboard.recommendations_view import RecommendationsView
from scaling_lib.dashboard.records_views import AIWorkloadsView, CompareView, RunsView
from scaling_lib.dashboard.scaling_views import (
    BottlenecksView,
    DataScalingView,
    RooflineView,
    StrongScalingView,
    WeakScalingView,
)
from scaling_lib.dashboard.what_if_view import WhatIfView

__all__ = [
    "AIWorkloadsView",
    "BottlenecksView",
    "CompareView",
    "DataScalingView",
    "OverviewView",
    "RecommendationsView",
    "RooflineView",
    "RunsView",
    "StrongScalingView",
    "WeakScalingView",
    "WhatIfView",
]
