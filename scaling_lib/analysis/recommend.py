"""Recommending infrastructure for a target size: ranked options with time, cost and memory.

Usage::

    rec = recommend(df, catalog, size=2e7, deadline_s=600, budget=5.0)
    rec.cheapest_meeting_deadline, rec.fastest_within_budget, rec.knee_workers
    rec.options[0].seconds, rec.options[0].cost, rec.assumptions

Each option is an instance type x a count. Time comes from the study's fitted
T(n, p) (with its interval), scaled by how an instance's core compares with this
host's (``core_speed``, 1.0 unless told); memory per worker from the fitted peak
against the input each worker holds (``memory.fit_worker_memory``), whose upper
bound must stay under Dask's spill threshold (70% of a worker's memory); cost from
the hourly price, billed per second with a one-minute minimum (``option_cost`` does
this for each option). GPU instances are ranked only from GPU measurements, their
device memory against the measured device peaks.

A study of a user's dataset (records with ``dataset_rows``) needs no size: the target
is the full dataset (``full_dataset_target``), and the memory check knows its input
bytes (the dataset's in-memory bytes at the target size), which must fit across the
workers whatever the fitted memory model says.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scaling_lib.analysis.dataset_target import full_dataset_target
from scaling_lib.analysis.fit import fit_pmnf
from scaling_lib.analysis.gpu_rates import rate_for, relative_speed
from scaling_lib.analysis.memory import fit_worker_memory
from scaling_lib.analysis.offers import Catalog, Instance, Option, Recommendation
from scaling_lib.analysis.option_cost import (
    GIB,  # noqa: F401  (re-exported: importable from here, as before option_cost)
    SPILL_THRESHOLD,
    Ask,
    option_for,
    scheduler_note,
    simulated,
)
from scaling_lib.analysis.overheads import fit_overheads
from scaling_lib.analysis.predict import TimeModel, fit_time_model
from scaling_lib.analysis.scaling import dask_runs
from scaling_lib.errors import AnalysisError
from scaling_lib.units import fmt_bytes, fmt_number

__all__ = ["Catalog", "Instance", "Option", "Recommendation", "recommend"]

COUNTS = (1, 2, 4, 8, 16, 32)


def recommend(
    df: pd.DataFrame,
    catalog: Catalog,
    *,
    size: float | None = None,
    deadline_s: float | None = None,
    budget: float | None = None,
    pricing: str = "on_demand",
    utilisation: float = 1.0,
    core_speed: float = 1.0,
    counts: tuple[int, ...] = COUNTS,
    draws: int = 100,
    model: TimeModel | None = None,
    simulator: Any = None,
    fitted: Mapping[str, TimeModel] | None = None,
) -> Recommendation:
    """Rank instance options for one run at ``size`` (see the module docstring); for a
    dataset study ``size`` defaults to the full dataset (``Recommendation.target`` says so).

    ``model`` reuses a time model already fitted to these records; ``fitted`` one per
    backend (``"cpu"``, ``"gpu"``), each fitted to the records of that backend with
    ``draws`` (``simulate.study_recommendation`` keeps them between calls).
    ``simulator`` (a ``what_if.WhatIfModel`` at ``size``, or anything with
    ``.at(workers, bandwidth_Bps) -> WhatIf`` and ``.method``) times the CPU options
    beyond the most workers measured: the measured task graph replayed on that many
    workers, each instance's network shared by its workers, its interval widened by the
    fitted model's error there (``option_cost.simulated``). Inside the measured range
    the fitted law stays.
    """
    if pricing not in ("on_demand", "committed", "spot"):
        raise ValueError(f"pricing must be on_demand, committed or spot, got {pricing!r}")
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation!r}")
    priced = [i for i in catalog.instances if pricing != "spot" or i.spot_hour is not None]
    unpriced = [i.name for i in catalog.instances if i not in priced]
    if not priced:
        raise AnalysisError("pricing spot: no instance in the catalog has a spot_hour price")
    catalog = dataclasses.replace(catalog, instances=tuple(priced))
    dataset = full_dataset_target(df)
    target = ""
    if size is None:
        if dataset is None:
            raise AnalysisError("size: required (this study sampled no dataset to default to)")
        size = dataset.size
        target = f"the {dataset.label}, {dataset.path}: size {size:g} {dataset.size_unit}"
    runs = dask_runs(df)
    if runs.empty:
        raise AnalysisError("no successful Dask runs: nothing to base a recommendation on")
    # CPU instances are predicted from CPU runs and GPU instances from GPU runs: a study
    # set with both compares them on measured data.
    kinds = sorted(set(runs["backend"]))
    # A cluster of several instances runs its scheduler on one more node: the cheapest
    # CPU instance of the catalog at the same pricing, from the option's own provider
    # where the catalog names providers (a cluster does not span clouds).
    scheduler_by_provider: dict[str, float] = {}
    for inst in catalog.instances:
        if not inst.gpus:
            hour = inst.price(pricing, utilisation)
            scheduler_by_provider[inst.provider] = min(
                hour, scheduler_by_provider.get(inst.provider, hour)
            )
    scheduler_hour = min(scheduler_by_provider.values(), default=0.0)
    models = {}
    for kind in kinds:
        if fitted is not None and kind in fitted:
            models[kind] = fitted[kind]
        elif model is not None and len(kinds) == 1:
            models[kind] = model
        else:
            try:
                models[kind] = fit_time_model(df[df["backend"] == kind], draws=draws)
            except AnalysisError as exc:
                raise AnalysisError(f"{kind.upper()} runs: {exc}") from exc
    model = models["cpu"] if "cpu" in models else models["gpu"]
    threads = int(runs["threads_per_worker"].max())
    measured_gpu = "gpu" in models
    asks = {
        kind: Ask(
            size=size,
            deadline_s=deadline_s,
            budget=budget,
            pricing=pricing,
            core_speed=core_speed if kind == "cpu" else 1.0,
            one_worker_seconds=max(m.predict(size, 1).seconds, 1e-9),
            memory_model=fit_worker_memory(
                runs[runs["backend"] == kind],
                "gpu_memory_peak_bytes" if kind == "gpu" else "peak_memory_bytes",
            ),
            input_bytes=None if dataset is None else dataset.input_bytes(size),
            overheads=fit_overheads(runs[runs["backend"] == kind]),
            utilisation=utilisation,
            scheduler_hour=scheduler_hour,
            # With CPU and GPU runs both, say which runs a warning comes from.
            source=f"{kind.upper()} runs: " if len(models) > 1 else "",
        )
        for kind, m in models.items()
    }

    def workers_of(inst: Instance) -> int:
        return inst.gpus if inst.gpus else max((inst.cores or inst.vcpus) // threads, 1)

    # Every worker count any option needs, predicted in one pass per instance kind.
    predictions = {}
    for kind, m in models.items():
        wanted = sorted(
            {
                workers_of(inst) * count
                for inst in catalog.instances
                if ("gpu" if inst.gpus else "cpu") == kind
                for count in counts
            }
        )
        if wanted:
            predictions[kind] = dict(zip(wanted, m.predict_many(size, wanted), strict=True))
    most_measured = int(runs.loc[runs["backend"] == "cpu", "n_workers"].max() or 0)
    gpu_runs = runs[runs["backend"] == "gpu"]
    measured_gpu_name = (
        str(gpu_runs["gpu_model"].dropna().mode().iloc[0])
        if "gpu_model" in gpu_runs and gpu_runs["gpu_model"].notna().any()
        else None
    )
    precisions = gpu_runs["precision"].dropna() if "precision" in gpu_runs else pd.Series()
    gpu_precision = str(precisions.mode().iloc[0]) if len(precisions) else "float32"
    unscaled: set[str] = set()

    def gpu_speed(inst: Instance) -> float:
        speed = relative_speed(measured_gpu_name, inst.gpu_type, gpu_precision, catalog.gpu_rates)
        if speed is None:
            unscaled.add(inst.gpu_type or inst.name)
            return 1.0
        return speed

    options = []
    for inst in catalog.instances:
        kind = "gpu" if inst.gpus else "cpu"
        if kind not in models:
            continue
        for count in counts:
            workers = workers_of(inst) * count
            pred, source = predictions[kind][workers], "fitted"
            if simulator is not None and kind == "cpu" and workers > most_measured:
                pred, source = simulated(simulator, pred, inst, count, workers), "simulated"
            ask = dataclasses.replace(
                asks[kind],
                scheduler_hour=scheduler_by_provider.get(inst.provider, scheduler_hour),
            )
            if kind == "gpu":
                ask = dataclasses.replace(ask, core_speed=gpu_speed(inst))
            option = option_for(inst, count, workers, pred, ask)
            options.append(dataclasses.replace(option, source=source))
    options.sort(
        key=lambda o: (
            not o.feasible,
            o.meets_deadline is False,
            o.within_budget is False,
            o.cost,
            o.seconds,
        )
    )
    feasible = [o for o in options if o.feasible]
    meeting = [o for o in feasible if o.meets_deadline] if deadline_s else []
    affordable = [o for o in feasible if o.within_budget] if budget is not None else []
    crossover, note = _baseline_crossover(df, model, size)
    per_vcpu = [i.name for i in catalog.instances if not i.gpus and not i.cores]
    assumptions = (
        f"one Dask worker per {threads} physical core(s) (`cores` in the catalog), as "
        f"measured here ({threads} thread(s) per worker); a GPU instance runs one worker per "
        "GPU"
        + (
            f"; without `cores`, one per vCPU as if each were a full core ({', '.join(per_vcpu)}"
            "): on x86 a vCPU is a hyperthread, two to a core, so those workers run slower "
            "than a core here"
            if per_vcpu
            else ""
        ),
        f"an instance vCPU is {core_speed:g}x as fast as a core of the measured host "
        f"({runs['host'].iloc[0]}, {int(runs['host_cores'].iloc[0])} cores); pass core_speed "
        "to change this",
        f"time model fitted on sizes "
        f"{', '.join(fmt_number(v) for v in sorted(runs['size'].unique()))} and workers "
        f"{', '.join(fmt_number(v) for v in sorted(runs['n_workers'].unique()))}: {model.model}",
        "intervals: 90% prediction intervals for one run (run noise, the fit's parameters, "
        f"{model.spread.size_rate:.1%} per doubling of work beyond the largest measured size "
        f"and {model.spread.worker_rate:.0%} per doubling of workers beyond the measured "
        "counts), spanning the other model forms the data could not rule out"
        + (
            f" ({', '.join(a.kind for a in model.model.alternatives)})"
            if model.model.alternatives
            else ""
        ),
        f"model chosen: {model.model.selection}"
        + (f"; {model.excluded}" if model.excluded else ""),
        f"memory per worker = instance memory / workers (a GPU's own memory on GPU "
        f"instances); feasible while the upper bound of the predicted peak stays under "
        f"{SPILL_THRESHOLD:.0%} of it, where Dask starts spilling to disk"
        + "".join(f"; {a.source}{a.memory_model}" for a in asks.values() if a.memory_model),
        f"cost = instances x {pricing.replace('_', '-')} price x (cluster start-up + input "
        "preparation + instance boot where the catalog gives it + run), billed per second "
        f"with a 60 s minimum, plus a scheduler node ({scheduler_note(scheduler_by_provider)}"
        ") for clusters of several instances; prices from "
        f"{catalog.source or 'the catalog'} ({catalog.retrieved or 'undated'})",
        "start-up and preparation as measured here: "
        + "; ".join(f"{a.source}{a.overheads.measured}" for a in asks.values()),
        (
            f"beyond {most_measured} workers (the most measured) CPU times come from the "
            f"simulation ({simulator.method}), each instance's baseline network shared by "
            "its workers (the measured network between workers of one instance); within "
            "that range, from the fitted law. A simulated interval is the replays' range "
            "and the fitted model's interval there, each side's log half-widths added in "
            "quadrature: the simulation's spread and the model's error (noise, size and "
            "worker extrapolation), never narrower than either; beyond the largest "
            "measured size, where the simulated graph is extrapolated too, it also spans "
            "the fitted interval"
            if simulator is not None
            else "network between instances is assumed no slower than between this host's "
            "workers; multi-node runs may pay more for communication than measured here "
            "(record task traces and the simulation times them)"
        ),
    )
    if pricing == "committed":
        assumptions += (
            f"committed prices assume the reservation is used {utilisation:.0%} of its term "
            "(each hour this job uses costs committed / utilisation); pass utilisation to "
            "change this",
        )
    if pricing == "spot":
        assumptions += (
            "spot prices are a recent market price, not a quote, and a spot instance can be "
            "reclaimed mid-run (a restart costs the run again)"
            + (f"; left out, no spot price: {', '.join(unpriced)}" if unpriced else ""),
        )
    if not any(i.boot_s for i in catalog.instances):
        assumptions += (
            "instance boot not included: the catalog gives no boot_s (a cloud VM takes tens "
            "of seconds to minutes before Dask starts)",
        )
    if not measured_gpu and any(i.gpus for i in catalog.instances):
        assumptions += (
            "GPU instances left out: this study has no GPU measurements "
            "(run it with cluster backend cuda on a GPU host)",
        )
    if measured_gpu:
        rate = rate_for(measured_gpu_name, catalog.gpu_rates)
        scaled = (
            f"each instance's GPU time scaled by its published {gpu_precision} rate over "
            f"the measured GPU's ({rate.of(gpu_precision):g} TFLOP/s"
            + (", fp64 derived from the architecture's ratio" if rate.derived else "")
            + f"; {catalog.gpu_rates_source or 'catalog_data/gpus.yaml'}): a compute-bound first "
            "order, memory-bound work scales with bandwidth instead"
            if rate is not None
            else "no published rate for the measured GPU: every GPU instance is assumed as "
            "fast as it"
        )
        assumptions += (
            f"GPU instances predicted from the GPU runs ({models['gpu'].model}), measured on "
            f"{measured_gpu_name or 'an NVIDIA GPU'} in {gpu_precision}: {scaled}"
            + (
                f"; no published rate for {', '.join(sorted(unscaled))}: assumed as fast"
                if unscaled and rate is not None
                else ""
            ),
        )
    if "cpu" not in models:
        assumptions += ("CPU instances left out: no CPU runs measured",)
    if dataset is not None:
        assumptions += (
            f"the input at this size is {fmt_bytes(dataset.input_bytes(size))} in memory "
            f"({dataset.path}: {dataset.rows:,} rows, {fmt_bytes(dataset.bytes)} in full): "
            "a worker's peak is at least its share of it",
        )
    return Recommendation(
        target_size=float(size),
        size_unit=str(runs["size_unit"].iloc[0]),
        deadline_s=deadline_s,
        budget=budget,
        pricing=pricing,
        currency=catalog.currency,
        options=tuple(options),
        cheapest_meeting_deadline=min(meeting, key=lambda o: o.cost) if meeting else None,
        fastest_within_budget=min(affordable, key=lambda o: o.seconds) if affordable else None,
        knee_workers=_knee(model, size),
        baseline_crossover_size=crossover,
        baseline_note=note,
        model=str(model.model),
        assumptions=assumptions,
        target=target,
    )


def _knee(model: TimeModel, size: float) -> int | None:
    """Largest power-of-two worker count whose parallel efficiency is still >= 50%."""
    t1 = model.model.predict(np.array([size]), np.array([1.0]))[0]
    if t1 <= 0:
        return None
    knee = 1
    for p in (2**k for k in range(1, 11)):
        tp = model.model.predict(np.array([size]), np.array([float(p)]))[0]
        if tp <= 0 or t1 / (p * tp) < 0.5:
            break
        knee = p
    return knee


def _baseline_crossover(df: pd.DataFrame, model: TimeModel, target: float):
    """Size below which the single-process baseline beats the cluster (largest measured p)."""
    base = df[(df["runner"] == "baseline") & (df["status"] == "ok")]
    if base["size"].nunique() < 2:
        return None, "no single-process baseline measured at 2+ sizes"
    base_model = fit_pmnf(base["size"], base["wall_s"])
    p = float(model.p.max())
    grid = np.geomspace(float(model.n.min()) / 4, max(target, float(model.n.max())) * 4, 400)
    cluster = model.model.predict(grid, np.full_like(grid, p))
    single = base_model.predict(grid)
    cluster_wins = cluster < single
    if cluster_wins.all():
        return None, f"the cluster ({p:g} workers) beats one process at every size modelled"
    if not cluster_wins.any():
        return math.inf, (
            f"one process beats the cluster ({p:g} workers) at every size up to "
            f"{fmt_number(grid[-1])}"
        )
    first = int(np.argmax(cluster_wins))
    size = float(grid[first])
    return size, f"below about {fmt_number(size)} one process is faster than {p:g} workers"
