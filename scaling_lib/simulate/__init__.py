"""Discrete-event simulation of Dask's distributed scheduler.

Usage::

    from scaling_lib.simulate import SimCluster, SimGraph, SimTask, simulate

    result = simulate(graph, SimCluster(n_workers=8, threads_per_worker=2))
    result.wall_s

``graph`` holds the tasks (durations, output sizes, dependencies, Dask priorities);
``engine`` the cluster, the result and the policies (its docstring says what follows
Dask and what is simplified). Internals: ``core`` (the event loop and worker side),
``scheduler`` (worker choice, root-task queue), ``data`` (memory, transfers),
``network`` (max-min fair link sharing), ``stealing`` (Dask's work-stealing pass),
``policies`` (is_rootish, steal levels). Pure computation: importing does no work.
"""

from scaling_lib.simulate.engine import SimCluster, SimResult, simulate
from scaling_lib.simulate.graph import SimGraph, SimTask

__all__ = ["SimCluster", "SimGraph", "SimResult", "SimTask", "simulate"]
