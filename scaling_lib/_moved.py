"""Old import paths and names, still working, with a DeprecationWarning (since 2026-12-07).

The package was laid out by stage of the flow (spec, run, store, workloads, analysis,
simulate, present, notebook, dashboard). Notebooks and scripts written before that keep
working for now: importing an old path gives the module at its new place and warns once,
naming the new path::

    from scaling_lib import notebook_views as nv    # warns: now scaling_lib.notebook.views
    from scaling_lib.notebook import views as nv     # the path to use

This is the only place that knows the old names; nothing in the package imports them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["MOVED_MODULES", "RENAMED", "install", "old_name"]

# An old module split by job maps to the modules its names went to, searched in order.
MOVED_MODULES: dict[str, str | tuple[str, ...]] = {
    "scaling_lib.autoscale": "scaling_lib.run.autoscale",
    "scaling_lib.batch": "scaling_lib.run.batch",
    "scaling_lib.catalog": "scaling_lib.analysis.catalog",
    "scaling_lib.clusters": "scaling_lib.run.clusters",
    "scaling_lib.confine": "scaling_lib.run.confine",
    "scaling_lib.dashboard.ai_plots": "scaling_lib.present.ai_plots",
    "scaling_lib.dashboard.plots": "scaling_lib.present.plots",
    "scaling_lib.dataset_files": "scaling_lib.spec._dataset_files",
    "scaling_lib.datasets": "scaling_lib.spec.datasets",
    "scaling_lib.formatting": "scaling_lib.units",
    "scaling_lib.gpu": "scaling_lib.run.gpu",
    "scaling_lib.magic": "scaling_lib.notebook.magic",
    "scaling_lib.magic_views": "scaling_lib.notebook.magic_views",
    "scaling_lib.measure": "scaling_lib.run.measure",
    "scaling_lib.ml_views": "scaling_lib.notebook.ml_views",
    "scaling_lib.notebook_views": "scaling_lib.notebook.views",
    "scaling_lib.plan": "scaling_lib.run.plan",
    "scaling_lib.presentation": "scaling_lib.present.analysis",
    "scaling_lib.presentation_recommend": "scaling_lib.present.recommend",
    "scaling_lib.provenance": "scaling_lib.run.provenance",
    "scaling_lib.simulate.calibrate": "scaling_lib.simulate.constants",
    "scaling_lib.simulate.predict": "scaling_lib.simulate.replay",
    "scaling_lib.spec_fields": "scaling_lib.spec._fields",
    "scaling_lib.summary": "scaling_lib.present.records",
    "scaling_lib.sweep": "scaling_lib.run.sweep",
    "scaling_lib.sweep_guards": (
        "scaling_lib.run.failures",
        "scaling_lib.run.plan",
        "scaling_lib.run.sweep",
        "scaling_lib.run.measure",
    ),
    "scaling_lib.trace_capture": "scaling_lib.run.trace_capture",
    "scaling_lib.traces": "scaling_lib.store.traces",
    "scaling_lib.what_if": (
        "scaling_lib.simulate.what_if",
        "scaling_lib.present.what_if",
    ),
    "scaling_lib.what_if_findings": "scaling_lib.present.what_if",
    "scaling_lib.what_if_trace_views": "scaling_lib.notebook.what_if_trace_views",
    "scaling_lib.what_if_views": "scaling_lib.notebook.what_if_views",
}

# Names that changed with the move: one word for the what-if, "constants" for what the
# simulator measures from traces (no longer "calibration").
RENAMED = {
    "simulate_study": "what_if_study",
    "StudySimulation": "StudyWhatIf",
    "StudyReplayer": "WhatIfModel",
    "simulation_frame": "what_if_frame",
    "simulation_text": "what_if_text",
    "Calibration": "SimConstants",
    "calibrate": "measure_constants",
    "calibrate_once": "host_limits_once",
    "calibrate_host": "measure_host_limits",
}


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"{old} has moved to {new}; the old name will be removed in a later release",
        DeprecationWarning,
        stacklevel=3,
    )


class _MovedModule(importlib.abc.Loader):
    """Loads an old path as a thin module that forwards every attribute to the new one."""

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        new = MOVED_MODULES[module.__name__]
        names = (new,) if isinstance(new, str) else new
        _warn(module.__name__, " and ".join(names))
        targets = [importlib.import_module(n) for n in names]

        def forward(name: str) -> Any:
            for target in targets:
                if hasattr(target, RENAMED.get(name, name)):
                    return getattr(target, RENAMED.get(name, name))
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = forward  # type: ignore[method-assign]
        module.__dir__ = lambda: sorted({n for t in targets for n in dir(t)})  # type: ignore[method-assign]
        module.__all__ = [n for t in targets for n in getattr(t, "__all__", ())]
        module.__doc__ = f"Moved to {' and '.join(names)} (deprecated path)."


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds old module paths; consulted after the real modules (appended to meta_path)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in MOVED_MODULES:
            return importlib.util.spec_from_loader(fullname, _MovedModule())
        return None


_FINDER = _MovedFinder()


def install() -> None:
    """Make the old module paths importable (called once by ``scaling_lib``)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)


def old_name(module: ModuleType, name: str) -> Any:
    """A package attribute under its old name, with the warning; AttributeError otherwise."""
    if name in RENAMED and hasattr(module, RENAMED[name]):
        _warn(f"{module.__name__}.{name}", f"{module.__name__}.{RENAMED[name]}")
        return getattr(module, RENAMED[name])
    raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
