"""A study's measured task graphs replayed on more workers, beside the fitted law.

Usage::

    sim = what_if_study("quick", results="data/results", workers=[4, 8, 16, 64])
    sim.rows          # per target: simulated wall [low, high], speedup, efficiency,
                      #   transfer share, peak memory per worker, fitted wall [low, high]
    sim.to_dict()     # what `scaling-lib what-if --json` prints

The traces of one measured point (every repeat) are replayed: by default the largest
measured size, at the most workers measured there (its graph, its task durations, the
transfers it needed). The constants come from all of the study's traces
(``simulate.constants``), computed once and kept beside the records as
``what-if-constants.json`` until the set of traces changes; a target may override
the network (``bandwidth_Bps``, e.g. an instance's). The fitted T(n, p) is evaluated at
the same targets, and a row says where the two disagree by more than their intervals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import pandas as pd

from scaling_lib.errors import AnalysisError, StoreError
from scaling_lib.simulate.constants import SimConstants, cpu_fraction_of, measure_constants
from scaling_lib.simulate.from_trace import graph_from_trace
from scaling_lib.simulate.graph_source import first_size_with, unseen_tasks, workload_graph
from scaling_lib.simulate.replay import WhatIf, what_if_graphs
from scaling_lib.store.records import ResultsStore
from scaling_lib.store.traces import load_traces

__all__ = ["NoTracesError", "StudyWhatIf", "WhatIfModel", "what_if_study"]

CONSTANTS_DOCUMENT = "what-if-constants"
METHOD_REPLAY = "replay of the measured graph"


class NoTracesError(StoreError):
    """The study has no readable task traces (the message says how to get them)."""


@dataclass(frozen=True)
class StudyWhatIf:
    study: str
    size: float
    source_workers: int
    threads_per_worker: int
    method: str
    constants: SimConstants
    rows: list[dict[str, Any]]
    examples: dict[int, WhatIf] = field(repr=False)
    measured: dict[int, float]  # worker count -> median measured wall at this size
    new_shape: dict[str, Any] = field(default_factory=dict)  # see WhatIfModel.new_shape

    def task_stream(self, n_workers: int) -> pd.DataFrame:
        """The simulated task stream at ``n_workers`` (one of the targets, or 1): one row
        per task with its prefix, worker, thread, start and stop, as Dask's dashboard
        draws it."""
        if n_workers not in self.examples:
            known = ", ".join(map(str, sorted(self.examples)))
            raise ValueError(f"{n_workers} workers was not simulated (simulated: {known})")
        return pd.DataFrame(
            self.examples[n_workers].task_stream(),
            columns=["prefix", "worker", "thread", "start", "stop"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "size": self.size,
            "source_workers": self.source_workers,
            "threads_per_worker": self.threads_per_worker,
            "method": self.method,
            "constants": self.constants.to_dict(),
            "measured": {str(k): v for k, v in sorted(self.measured.items())},
            "targets": self.rows,
            "new_shape": self.new_shape,
        }


class WhatIfModel:
    """A study's traced graph, ready to simulate at any worker count and network.

    Usage::

        replayer = WhatIfModel("quick", "data/results", size=20000)
        replayer.at(16).wall_s, replayer.at(64, bandwidth_Bps=1.25e9).low
        replayer.method    # replay, graph built at the size, or measured graph stretched
    """

    def __init__(
        self, study: str, results: Any = None, *, size: float | None = None, seed: int = 0
    ):
        store = (
            results
            if isinstance(results, ResultsStore)
            else ResultsStore(results or "data/results")
        )
        df = store.load_study(study)
        ok = df[(df.get("status") == "ok") & (df.get("runner") == "dask")] if len(df) else df
        traced = (
            ok[ok["trace_file"].map(lambda v: isinstance(v, str))]
            if "trace_file" in ok
            else ok.iloc[0:0]
        )
        if traced.empty:
            raise NoTracesError(
                f"study {study!r} has no task traces to simulate: measure it again with "
                "tracing on (the default; remove `trace: false` from its spec), e.g. "
                f"`scaling-lib run <spec> --results {store.root}` into a new study name"
            )
        traces = load_traces(traced, results=store)
        if not traces:
            raise NoTracesError(f"none of the task traces of study {study!r} could be read")
        # Only runs whose trace could be read: a point that lost its traces is skipped.
        readable = [(r.point_id, int(r.repeat)) in traces for r in traced.itertuples()]
        traced = traced[readable]
        walls = {(r.point_id, int(r.repeat)): float(r.wall_s) for r in traced.itertuples()}
        self.study, self.records, self.seed = study, ok, seed
        self.constants = _stored_constants(store, study, traces, walls)

        sizes = sorted({float(s) for s in traced["size"]})
        self.size = float(size) if size is not None else sizes[-1]
        # The graph of the largest traced size at or below the target, at the most
        # workers measured there: its repeats are the runs replayed (or stretched).
        from_size = max([s for s in sizes if s <= self.size] or sizes[:1])
        at_size = traced[traced["size"] == from_size]
        self.source_workers = int(at_size["n_workers"].max())
        source = at_size[at_size["n_workers"] == self.source_workers]
        self.threads = int(source["threads_per_worker"].iloc[0])
        self.runs = [
            (traces[(r.point_id, int(r.repeat))], walls[(r.point_id, int(r.repeat))])
            for r in source.itertuples()
            if (r.point_id, int(r.repeat)) in traces
        ]
        # Per-task costs as measured where the replayed graph ran (they grow with the
        # workers sharing this host's cores); the network from every traced run.
        self.constants = measure_constants(
            [t for t, _ in self.runs], [w for _, w in self.runs], cpu_fraction_of(source)
        ).with_network_of(self.constants)
        # Tasks of the graph at the target that no traced run had, and the smallest size
        # where they first appear (graph_source.unseen_tasks, first_size_with).
        self.new_shape: dict[str, Any] = {}
        if self.size == from_size:
            self.method, self._graphs_for = METHOD_REPLAY, None
        else:
            self.method, self._graphs_for, self.new_shape = _graphs_at_size(
                traced, traces, self.runs, from_size, self.size
            )
        self._cache: dict[tuple[int, float | None], WhatIf] = {}
        self._graphs: dict[int, list] = {}

    def at(self, n_workers: int, bandwidth_Bps: float | None = None) -> WhatIf:
        """The simulated run on ``n_workers`` (cached), at the measured network or
        ``bandwidth_Bps`` per worker."""
        key = (int(n_workers), bandwidth_Bps)
        if key not in self._cache:
            cal = self.constants.with_overrides(bandwidth_Bps=bandwidth_Bps)
            options = {"n_workers": key[0], "threads_per_worker": self.threads, "seed": self.seed}
            # One set of graphs per worker count, whatever the network: instances of one
            # shape and different networks (a recommendation's) replay the same graphs.
            if key[0] not in self._graphs:
                self._graphs[key[0]] = (
                    [graph_from_trace(t, n_workers=key[0]) for t, _ in self.runs]
                    if self._graphs_for is None
                    else self._graphs_for(key[0])
                )
            self._cache[key] = what_if_graphs(self._graphs[key[0]], cal, **options)
        return self._cache[key]


def what_if_study(
    study: str,
    results: Any = None,
    *,
    workers: Sequence[int],
    size: float | None = None,
    bandwidth_Bps: float | None = None,
    seed: int = 0,
) -> StudyWhatIf:
    """Simulate ``study`` on each of ``workers`` (see the module docstring)."""
    bad = [w for w in workers if isinstance(w, bool) or not isinstance(w, Integral) or w < 1]
    if bad:
        raise AnalysisError(f"worker counts must be whole numbers of at least 1, got {bad}")
    replayer = WhatIfModel(study, results, size=size, seed=seed)
    ok, target_size, threads = replayer.records, replayer.size, replayer.threads
    constants = replayer.constants.with_overrides(bandwidth_Bps=bandwidth_Bps)
    targets = sorted({int(w) for w in workers} | {1})
    results_by_p = {p: replayer.at(p, bandwidth_Bps) for p in targets}
    source_workers, method = replayer.source_workers, replayer.method
    fitted = _fitted(ok, target_size, targets)
    one = results_by_p[1].wall_s
    rows = []
    for p in sorted({int(w) for w in workers}):
        sim = results_by_p[p]
        row = {
            "n_workers": p,
            "threads_per_worker": threads,
            "simulated_s": sim.wall_s,
            "simulated_low": sim.low,
            "simulated_high": sim.high,
            "speedup": one / sim.wall_s if sim.wall_s > 0 else None,
            "efficiency": one / sim.wall_s / p if sim.wall_s > 0 else None,
            "transfer_share": sim.transfer_share,
            "bytes_moved": sim.bytes_moved,
            "peak_memory_per_worker_bytes": sim.peak_memory_bytes,
            "stolen": sim.example.stolen,
            "replays": sim.replays,
        }
        row.update(fitted.get(p, {}))
        row["disagree"] = _disagree(row)
        rows.append(row)
    measured = {
        int(p): float(g["wall_s"].median())
        for p, g in ok[ok["size"] == target_size].groupby("n_workers")
    }
    return StudyWhatIf(
        study=study,
        size=target_size,
        source_workers=source_workers,
        threads_per_worker=threads,
        method=method,
        constants=constants,
        rows=rows,
        examples=results_by_p,
        measured=measured,
        new_shape=replayer.new_shape,
    )


def _graphs_at_size(
    traced: pd.DataFrame,
    traces: dict,
    runs: list[tuple[Any, float]],
    from_size: float,
    size: float,
) -> tuple[str, Any, dict[str, Any]]:
    """How to make graphs at an untraced ``size``: the method's description, a function
    of the worker count returning one graph per repeat, and the graph's new shape (tasks
    no traced run had, and the smallest size that has them; empty if none)."""
    from scaling_lib.simulate.from_trace import graph_from_trace
    from scaling_lib.simulate.scale import fit_prefix_laws, graph_at_size, scale_graph

    sizes = sorted({float(s) for s in traced["size"]})
    if len(sizes) < 2:
        raise AnalysisError(
            f"size {size:g} was not traced, and timing a graph at another size needs "
            f"traces at two sizes or more (traced: {sizes[0]:g}): add a size to the spec"
        )
    # One set of laws per repeat index: the spread between repeats carries into the
    # interval, as it does for a replay.
    repeats = sorted({k[1] for k in traces})
    laws = []
    for r in repeats:
        by_size: dict[float, list] = {}
        for row in traced.itertuples():
            key = (row.point_id, int(row.repeat))
            if key in traces and int(row.repeat) == r:
                by_size.setdefault(float(row.size), []).append(traces[key])
        if len(by_size) >= 2:
            laws.append(fit_prefix_laws(by_size))
    parts, why_not = workload_graph(traced, size, traces)
    fitted_on = ", ".join(f"{s:g}" for s in sizes)
    shape: dict[str, Any] = {}
    if parts is not None:
        method = (
            f"graph built at size {size:g} by the workload; task times and bytes from "
            f"per-prefix laws fitted on the traced sizes {fitted_on}"
        )
        # A dataset study's graph is captured from the user's function: its shape changes
        # with the partition count, so each prefix's work is what is extrapolated.
        captured = "dataset_path" in traced and isinstance(traced["dataset_path"].iloc[-1], str)
        unseen = unseen_tasks(parts, traces)
        if unseen:
            first = first_size_with(traced, set(unseen), size)
            shape = {"unseen_tasks": unseen, "first_size": first}
            shown = ", ".join(f"{p} x{n}" for p, n in list(unseen.items())[:4])
            method += (
                f"; at this size the graph has tasks no measured size ran ({shown}"
                f"{', ...' if len(unseen) > 4 else ''}): their time is a share of the traced "
                "work, a guess"
                + (
                    f"; they first appear at size {first:.4g}: measure it to time them"
                    if first is not None
                    else ""
                )
            )

        def graphs_for(p: int) -> list:
            return [
                graph_at_size(
                    parts["dependencies"],
                    parts["priorities"],
                    parts["prefixes"],
                    parts["inputs"],
                    law,
                    size=size,
                    n_workers=p,
                    groups=parts["groups"],
                    conserve_prefix_work=captured,
                )
                for law in laws
            ]
    else:
        method = (
            f"the graph measured at size {from_size:g} stretched to {size:g} (its task "
            f"count kept: {why_not}); task times "
            f"and bytes from per-prefix laws fitted on the traced sizes {fitted_on}"
        )

        def graphs_for(p: int) -> list:
            return [
                scale_graph(
                    graph_from_trace(t), law, from_size=from_size, to_size=size, n_workers=p
                )
                for (t, _), law in zip(runs, laws * len(runs), strict=False)
            ]

    return method, graphs_for, shape


def _stored_constants(
    store: ResultsStore, study: str, traces: dict, walls: dict[tuple[str, int], float]
) -> SimConstants:
    """Computed once per set of traces; kept beside the records."""
    keys = sorted(f"{p}:{r}" for p, r in traces)
    saved = store.load_json(study, CONSTANTS_DOCUMENT)
    if isinstance(saved, dict) and saved.get("traces") == keys:
        try:
            return SimConstants.from_dict(saved["constants"])
        except (KeyError, TypeError, ValueError):
            pass  # an older or damaged document: measure them again
    cal = measure_constants(list(traces.values()), [walls[k] for k in traces])
    # A read-only store (a shared dashboard's) keeps nothing: measured again next time.
    with contextlib.suppress(StoreError):
        store.save_json(study, CONSTANTS_DOCUMENT, {"traces": keys, "constants": cal.to_dict()})
    return cal


def _fitted(df: pd.DataFrame, size: float, targets: list[int]) -> dict[int, dict[str, Any]]:
    from scaling_lib.analysis.predict import fit_time_model

    try:
        model = fit_time_model(df)
    except (AnalysisError, ValueError):
        return {}
    out = {}
    for pred in model.predict_many(size, targets):
        out[pred.n_workers] = {
            "fitted_s": pred.seconds,
            "fitted_low": pred.low,
            "fitted_high": pred.high,
            "fitted_model": pred.model,
        }
    return out


def _disagree(row: dict[str, Any]) -> bool | None:
    if "fitted_s" not in row:
        return None
    return bool(
        row["simulated_low"] > row["fitted_high"] or row["simulated_high"] < row["fitted_low"]
    )
