"""A workload's task graph at any size, built without computing it (for the simulator).

Usage::

    class MyArrayWorkload(Workload):
        def task_graph(self, size, params):
            x = stand_in(make_input(size, params))      # what prepare() would persist
            return GraphAtSize(result=(x + 1).sum(), inputs=(x,))

    parts = graph_parts(workload.task_graph(8000, params))
    parts["dependencies"], parts["priorities"], parts["prefixes"], parts["inputs"]

``stand_in`` replaces a lazy array by placeholders under the same keys, so the graph is
the one a run on persisted inputs computes: Dask's optimisation cannot fuse the input's
generation into its consumers, as it could not in the measured run. ``graph_parts``
optimises the result as ``compute`` would, and reads each key's dependencies, Dask's
priorities (``dask.order``), prefix and group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GraphAtSize", "graph_parts", "stand_in", "stand_in_frame"]


@dataclass(frozen=True)
class GraphAtSize:
    """The lazy collection ``run`` computes, and the inputs ``prepare`` persists."""

    result: Any
    inputs: tuple[Any, ...] = ()


def stand_in(array: Any) -> Any:
    """A dask array with ``array``'s keys, chunks and meta whose blocks are placeholders."""
    import dask.array as da
    from dask._task_spec import DataNode
    from dask.core import flatten

    keys = list(flatten(array.__dask_keys__()))
    return da.Array(
        {k: DataNode(k, None) for k in keys}, array.name, array.chunks, meta=array._meta
    )


def stand_in_frame(frame: Any) -> Any:
    """A dask dataframe with ``frame``'s keys, divisions and meta whose partitions are
    placeholders (the dataframe counterpart of ``stand_in``)."""
    import dask.dataframe as dd
    from dask._task_spec import DataNode
    from dask.utils import key_split

    keys = frame.__dask_keys__()
    return dd.from_graph(
        {k: DataNode(k, None) for k in keys},
        frame._meta,
        frame.divisions,
        keys,
        key_split(frame._name),
    )


def graph_parts(graph: GraphAtSize) -> dict[str, Any]:
    """Keys, dependencies, priorities, prefixes and groups of ``graph`` (plain data)."""
    import dask
    import dask.order
    from dask.core import flatten, get_deps
    from dask.utils import key_split

    result = graph.result
    if isinstance(result, Mapping):  # a graph captured as submitted (``capture``)
        dsk = dict(result)
    elif not hasattr(result, "expr"):
        # Arrays: optimised as ``compute`` would. Dataframe expressions come lowered
        # by their ``task_graph`` (see ``DataFrameWorkload.task_graph``).
        (result,) = dask.optimize(result)
    if not isinstance(result, Mapping):
        dsk = dict(result.__dask_graph__())
    deps, _ = get_deps(dsk)
    order = dask.order.order(dsk)
    inputs = {k for coll in graph.inputs for k in flatten(coll.__dask_keys__())}
    return {
        "dependencies": {str(k): [str(d) for d in deps[k]] for k in dsk},
        "priorities": {str(k): (0, 0, int(order[k])) for k in dsk},
        "prefixes": {str(k): key_split(k) for k in dsk},
        "groups": {str(k): _group(k) for k in dsk},
        "inputs": {str(k) for k in inputs if k in dsk},
    }


def _group(key: Any) -> str:
    return str(key[0] if isinstance(key, tuple) else key)
