"""Finding workloads by name: built-ins, registered ones, and ``module:function`` paths.

Usage::

    from scaling_lib import workload

    @workload("wordcount", size_unit="lines")
    def wordcount(client, size, vocabulary=1000):
        ...                       # run Dask work through `client`
        return {"items": size}    # or a WorkDone, or a number of items

    get_workload("wordcount")             # the registered one
    get_workload("mypkg.jobs:wordcount")  # imported on demand
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = [
    "FunctionWorkload",
    "available_workloads",
    "get_workload",
    "register",
    "registered",
    "unregister",
    "workload",
]

_REGISTRY: dict[str, Workload] = {}
_BUILTINS = {
    "array": "scaling_lib.workloads.array:ArrayWorkload",
    "dataframe": "scaling_lib.workloads.dataframe:DataFrameWorkload",
    "train": "scaling_lib.workloads.train:TrainWorkload",
    "serve": "scaling_lib.workloads.serve:ServeWorkload",
    # The 'ml' extra: the modules import their library only when a run needs it.
    "xgboost": "scaling_lib.workloads.xgb:XGBoostWorkload",
    "lightgbm": "scaling_lib.workloads.lgbm:LightGBMWorkload",
}


class FunctionWorkload(Workload):
    """A workload made from a plain function ``fn(client, size, **params)``.

    The function's keyword defaults are its parameters. With ``prepare=``, the
    untimed ``prepare(client, size, **params)`` result is passed as ``inputs=``.
    The return value may be a WorkDone, a dict of its fields, a number of items,
    or None (then the size is the number of items).
    """

    def __init__(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        size_unit: str = "items",
        prepare: Callable[..., Any] | None = None,
        baseline: Callable[..., Any] | None = None,
    ):
        self.name = name
        self.size_unit = size_unit
        self.fn = fn
        self._prepare = prepare
        self._baseline = baseline
        self.description = (inspect.getdoc(fn) or "").split("\n")[0]
        self.defaults = {
            p.name: p.default
            for p in list(inspect.signature(fn).parameters.values())[2:]
            if p.default is not inspect.Parameter.empty and p.name != "inputs"
        }

    def prepare(self, client, size, params):
        return self._prepare(client, size, **params) if self._prepare else None

    def run(self, client, built, size, params):
        kwargs = dict(params)
        if self._prepare is not None:
            kwargs["inputs"] = built
        return as_work_done(self.fn(client, size, **kwargs), size, self.size_unit)

    @property
    def has_baseline(self) -> bool:
        return self._baseline is not None

    def baseline(self, inputs, size, params):
        if self._baseline is None:
            return super().baseline(inputs, size, params)
        return as_work_done(self._baseline(size, **params), size, self.size_unit)


def as_work_done(result: Any, size: float, unit: str) -> WorkDone:
    """Normalise what a workload function returned."""
    if isinstance(result, WorkDone):
        return result
    if result is None:
        return WorkDone(items=float(size), unit=unit)
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return WorkDone(items=float(result), unit=unit)
    if isinstance(result, Mapping):
        fields = {"unit": unit, "items": float(size), **result}
        try:
            return WorkDone(**fields)
        except TypeError as exc:
            raise WorkloadError(
                f"workload returned {sorted(result)}; allowed keys: items, unit, flops, "
                "bytes, check"
            ) from exc
    raise WorkloadError(
        f"workload returned {type(result).__name__}; return a WorkDone, a dict, a number or None"
    )


def register(wl: Workload, *, replace: bool = False) -> Workload:
    """Add a workload instance to the registry under ``wl.name``."""
    if wl.name in _BUILTINS:
        raise WorkloadError(f"{wl.name!r} is a built-in workload; choose another name")
    if wl.name in _REGISTRY and not replace and _REGISTRY[wl.name] is not wl:
        existing = _REGISTRY[wl.name]
        # Re-running a notebook cell re-registers the same function: allow that.
        same = getattr(existing, "fn", None) is not None and getattr(
            existing.fn, "__qualname__", None
        ) == getattr(getattr(wl, "fn", None), "__qualname__", None)
        if not same:
            raise WorkloadError(f"a workload named {wl.name!r} is already registered")
    _REGISTRY[wl.name] = wl
    return wl


def registered(name: str) -> Workload | None:
    """The workload registered under ``name`` (built-ins only once loaded), or None."""
    return _REGISTRY.get(name)


def unregister(name: str, previous: Workload | None = None) -> None:
    """Remove ``name`` from the registry, or put ``previous`` back under it."""
    if previous is None:
        _REGISTRY.pop(name, None)
    else:
        _REGISTRY[name] = previous


def workload(
    name: str | None = None,
    *,
    size_unit: str = "items",
    prepare: Callable[..., Any] | None = None,
    baseline: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn(client, size, **params)`` as a workload."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        wl = FunctionWorkload(
            name or fn.__name__, fn, size_unit=size_unit, prepare=prepare, baseline=baseline
        )
        register(wl, replace=True)
        fn.__scaling_workload__ = wl
        return fn

    return decorate


def get_workload(name: str) -> Workload:
    """A workload by registered name, built-in name, or ``module:attribute`` path."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _BUILTINS:
        _REGISTRY[name] = _load_path(_BUILTINS[name], name)
        return _REGISTRY[name]
    if ":" in name:
        wl = _load_path(name, name)
        _REGISTRY[name] = wl
        return wl
    known = ", ".join(available_workloads())
    raise WorkloadError(
        f"unknown workload {name!r}; known: {known} (or give 'module:function' of your own)"
    )


def available_workloads() -> list[str]:
    return sorted(set(_BUILTINS) | set(_REGISTRY))


def _load_path(path: str, name: str) -> Workload:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise WorkloadError(
            f"workload {name!r}: cannot import module {module_name!r}: {exc}"
        ) from exc
    try:
        target = getattr(module, attr)
    except AttributeError:
        raise WorkloadError(f"workload {name!r}: {module_name!r} has no {attr!r}") from None
    if isinstance(target, Workload):
        return target
    if isinstance(target, type) and issubclass(target, Workload):
        return target()
    if hasattr(target, "__scaling_workload__"):
        return target.__scaling_workload__
    if callable(target):
        return FunctionWorkload(name, target)
    raise WorkloadError(f"workload {name!r}: {path} is not a function or Workload")
