"""Confining one client's tasks to a subset of an existing cluster's workers.

Usage (what ``ClusterSession.confined`` does)::

    client.register_plugin(ConfineToWorkers(client.id, ["tcp://a:1"]))
    ...                                   # every task this client submits runs on tcp://a:1
    client.unregister_scheduler_plugin(ConfineToWorkers.name)

Annotations cannot do this: dask.dataframe ignores them under query planning. A
scheduler plugin sees every new task before it is scheduled, whatever made it. It
touches only tasks of the one client, and removes itself when that client leaves,
so a sweep killed mid-way cannot leave a shared cluster restricted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

__all__ = ["ConfineToWorkers"]


class ConfineToWorkers(SchedulerPlugin):
    name = "scaling-lib-confine"

    def __init__(self, client_id: str, workers: Iterable[str]):
        self.client_id = client_id
        self.workers = sorted(workers)

    def update_graph(self, scheduler: Any, *, client: str, tasks: list, **kwargs: Any) -> None:
        if client != self.client_id:
            return
        allowed = set(self.workers)
        for key in tasks:
            ts = scheduler.tasks.get(key)
            if ts is not None and ts.state == "released" and not ts.worker_restrictions:
                ts.worker_restrictions = set(allowed)
                ts.loose_restrictions = False

    def remove_client(self, scheduler: Any, client: str) -> None:
        if client == self.client_id:
            scheduler.remove_plugin(name=self.name)
