"""The graph a user's function submits, captured without computing it.

Usage::

    ddf = production_frame(dataset)                  # the whole dataset, lazily read
    dsk = capture_graph(features, ddf, {"top": 20})  # {key: task} of its first compute

A capture pass calls ``fn(client, ddf, **params)`` with Dask's scheduler replaced by
one that records the graph it is handed and stops the function there, so nothing is
read or computed: the what-if can time the graph the function builds at the full
dataset (its partitions, its tree reductions, its shuffles) instead of the sample's.
``client`` is a ``CaptureClient``: its ``compute``/``persist`` record the same way,
and anything that needs a computed value (``submit``, ``gather``, a second compute on
the first one's results) ends the capture with ``GraphNotCaptured`` naming why.
Only the function's first compute is captured; ``DatasetWorkload.task_graph`` checks
the capture against a traced run at a measured size before trusting it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CaptureClient", "GraphNotCaptured", "capture_graph"]


class GraphNotCaptured(Exception):
    """The function's graph could not be captured (the message says why)."""


class _Captured(BaseException):
    """Ends the user's function at its first compute (BaseException: a function's own
    ``except Exception`` must not swallow it)."""

    def __init__(self, graph: Mapping[Any, Any], keys: Any):
        super().__init__("captured")
        self.graph, self.keys = graph, keys


def _capture_get(dsk: Any, keys: Any, **kwargs: Any) -> Any:
    raise _Captured(_as_dict(dsk), keys)


def _as_dict(dsk: Any) -> dict[Any, Any]:
    """A scheduler is handed an optimised expression (Dask's own ``compute``) or a graph."""
    if hasattr(dsk, "__dask_graph__"):
        dsk = dsk.__dask_graph__()
    return dict(dsk)


class CaptureClient:
    """What ``fn`` gets as its client during a capture pass (see the module docstring)."""

    def compute(self, collections: Any, *args: Any, **kwargs: Any) -> Any:
        import dask

        many = isinstance(collections, (list, tuple))
        dask.compute(*(collections if many else [collections]))
        raise GraphNotCaptured("compute returned without running the capture scheduler")

    persist = compute

    def get(self, dsk: Any, keys: Any, **kwargs: Any) -> Any:
        raise _Captured(_as_dict(dsk), keys)

    def __getattr__(self, name: str) -> Any:
        raise GraphNotCaptured(
            f"the function calls client.{name}, which needs a running cluster: its graph "
            "at the target size cannot be built without computing"
        )


def capture_graph(fn: Callable[..., Any], ddf: Any, params: Mapping[str, Any]) -> dict[Any, Any]:
    """The graph of ``fn(client, ddf, **params)``'s first compute (raises GraphNotCaptured)."""
    import dask

    config: dict[str, Any] = {"scheduler": _capture_get}
    if dask.config.get("dataframe.shuffle.method", None) is None:
        # What Dask picks on a distributed cluster, which this pass is not on.
        config["dataframe.shuffle.method"] = "p2p"
    try:
        with dask.config.set(config), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(CaptureClient(), ddf, **params)
    except _Captured as done:
        return done.graph
    except GraphNotCaptured:
        raise
    except Exception as exc:
        raise GraphNotCaptured(
            f"the function failed in a capture pass (it may need computed values): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    raise GraphNotCaptured("the function computed nothing through Dask")
