"""The workload protocol: how the sweep asks a workload to prepare, run and count its work.

A workload is measured in four steps, of which only ``run`` is timed::

    inputs = wl.prepare(client, size, params)   # generate + persist inputs, wait (not timed)
    built = wl.build(client, inputs, size, params)  # build lazy graphs (not timed)
    work = wl.run(client, built, size, params)  # the timed work; returns WorkDone
    wl.release(inputs)                          # drop references so workers free memory

and, for the single-process comparison (plain NumPy/pandas, no Dask)::

    local = wl.baseline_inputs(size, params)    # not timed
    work = wl.baseline(local, size, params)     # timed

``WorkDone.items`` in ``WorkDone.unit`` is what throughput is counted in (rows/s,
samples/s, flop/s). ``WorkDone.check`` is a scalar result, so a Dask run and its
baseline can be compared for correctness. ``WorkDone.extra`` holds workload-specific
figures (a strategy's expected bytes per step, latency percentiles); they are stored
under the record's ``metrics`` and appear as ``metric.<name>`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from scaling_lib.errors import WorkloadError

__all__ = ["WorkDone", "Workload", "point_workers"]


@dataclass(frozen=True)
class WorkDone:
    """What one run accomplished, so throughput means something."""

    items: float
    unit: str
    flops: float | None = None
    bytes: float | None = None
    check: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def point_workers(client: Any) -> list[str]:
    """The workers the current point may use, sorted: all of a cluster we started, or the
    ones a shared cluster's confinement plugin allows (for workloads that pin tasks)."""
    from scaling_lib.run.confine import ConfineToWorkers

    def allowed(dask_scheduler: Any) -> list[str]:
        plugin = dask_scheduler.plugins.get(ConfineToWorkers.name)
        if plugin is not None and plugin.workers:
            return list(plugin.workers)
        return list(dask_scheduler.workers)

    workers = client.run_on_scheduler(allowed)
    if not workers:
        # Seen once under load: a train point found no worker registered at that moment
        # (and divided by the count). Give the workers a moment, then say so plainly.
        from scaling_lib.errors import WorkloadError

        try:
            client.wait_for_workers(1, timeout=WORKERS_GRACE_S)
        except TimeoutError:
            raise WorkloadError(
                f"the cluster has no workers for this point (none within {WORKERS_GRACE_S} s)"
            ) from None
        workers = client.run_on_scheduler(allowed)
    return sorted(workers)


WORKERS_GRACE_S = 30


class Workload:
    """Base class of built-in and class-based custom workloads.

    Subclasses set ``name``, ``size_unit`` and ``defaults`` (every parameter the
    workload accepts, with its default; the default's type is the parameter's type)
    and implement ``prepare`` and ``run``; ``baseline_inputs``/``baseline`` are
    optional.
    """

    name: ClassVar[str]
    size_unit: ClassVar[str] = "items"
    description: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, Any]] = {}

    # -- parameters -------------------------------------------------------------------
    def check_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults merged with ``params``; unknown names and wrong types raise."""
        out = dict(self.defaults)
        for key, value in params.items():
            if key not in self.defaults:
                known = ", ".join(sorted(self.defaults)) or "none"
                raise WorkloadError(
                    f"unknown parameter {key!r} for workload {self.name!r} (known: {known})"
                )
            out[key] = _coerce(self.name, key, value, self.defaults[key])
        return out

    def require_positive(self, params: Mapping[str, Any], *keys: str) -> None:
        """Raise WorkloadError naming the first of ``keys`` that is not positive."""
        for key in keys:
            if params[key] <= 0:
                raise WorkloadError(
                    f"parameter {key!r} of workload {self.name!r} must be positive, "
                    f"got {params[key]!r}"
                )

    def input_bytes(self, size: float, params: Mapping[str, Any]) -> int | None:
        """Bytes of input data at this size, if known (used to refuse sizes that cannot fit)."""
        return None

    # -- the Dask run -----------------------------------------------------------------
    def prepare(self, client: Any, size: float, params: Mapping[str, Any]) -> Any:
        """Generate and persist the inputs on the cluster, and wait for them."""
        return None

    def build(self, client: Any, inputs: Any, size: float, params: Mapping[str, Any]) -> Any:
        """Build lazy collections from the inputs before the timer starts."""
        return inputs

    def run(self, client: Any, built: Any, size: float, params: Mapping[str, Any]) -> WorkDone:
        raise NotImplementedError

    def release(self, inputs: Any) -> None:
        """Drop what ``prepare`` made; the default relies on reference counting."""

    def task_graph(self, size: float, params: Mapping[str, Any]) -> Any:
        """Optional: the graph ``run`` computes at ``size``, built without a cluster and
        without computing it (a ``graph_at.GraphAtSize``), so the simulator can time it
        at sizes never measured. None (the default) means the workload cannot: the
        simulation then stretches the measured graph, and says so."""
        return None

    # -- the single-process baseline ------------------------------------------------
    @property
    def has_baseline(self) -> bool:
        return type(self).baseline is not Workload.baseline

    def baseline_inputs(self, size: float, params: Mapping[str, Any]) -> Any:
        return None

    def baseline(self, inputs: Any, size: float, params: Mapping[str, Any]) -> WorkDone:
        raise NotImplementedError(f"workload {self.name!r} has no single-process baseline")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} size in {self.size_unit}>"


def _coerce(workload: str, key: str, value: Any, default: Any) -> Any:
    """Check a parameter against its default's type (ints are accepted for floats)."""
    if default is None:
        return value
    expected = type(default)
    ok = isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise WorkloadError(
            f"parameter {key!r} of workload {workload!r} must be {expected.__name__}, got {value!r}"
        )
    return value
