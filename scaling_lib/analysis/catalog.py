"""The instance catalog: types, sizes and prices that recommendations are made from.

Usage::

    catalog = load_catalog()                  # catalog_data/instances.yaml, package data
    catalog = load_catalog("my-prices.yaml")  # your own, same fields
    catalog = only_providers(catalog, "aws,gcp")  # `recommend --provider aws,gcp`

A catalog may say, per provider under ``providers:``, the factor its committed
(1-year) price is of the on-demand one (``committed_factor``); an instance without its
own ``committed_hour`` is priced at on-demand x that factor (0.63 where unsaid).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from scaling_lib.analysis.gpu_rates import GpuRate
from scaling_lib.analysis.recommend import Catalog, Instance
from scaling_lib.errors import SpecError

__all__ = ["DEFAULT_CATALOG", "load_catalog", "load_gpu_rates", "only_providers"]

DEFAULT_CATALOG = Path(__file__).resolve().parent / "catalog_data" / "instances.yaml"
DEFAULT_GPU_RATES = DEFAULT_CATALOG.with_name("gpus.yaml")
COMMITTED_FACTOR = 0.63


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and check a catalog file; errors name the entry and field."""
    path = Path(path) if path else DEFAULT_CATALOG
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError("catalog", f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("instances"), list):
        raise SpecError("catalog", f"{path} needs a list under 'instances'")
    factors = _committed_factors(raw.get("providers"))
    instances = tuple(_instance(i, entry, factors) for i, entry in enumerate(raw["instances"]))
    rates, rates_source = load_gpu_rates()
    return Catalog(
        instances=instances,
        source=str(raw.get("source", "")),
        retrieved=str(raw.get("retrieved", "")),
        currency=str(raw.get("currency", "USD")),
        gpu_rates=rates,
        gpu_rates_source=rates_source,
    )


def load_gpu_rates(path: str | Path | None = None) -> tuple[tuple[GpuRate, ...], str]:
    """The published per-GPU rates (catalog_data/gpus.yaml), and their source in words."""
    path = Path(path) if path else DEFAULT_GPU_RATES
    try:
        raw = yaml.safe_load(path.read_text())
        rates = tuple(
            GpuRate(
                str(g["match"]), float(g["fp32"]), float(g["fp64"]), bool(g.get("fp64_derived"))
            )
            for g in raw["gpus"]
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise SpecError("gpus", f"cannot read GPU rates from {path}: {exc}") from exc
    return rates, f"{raw.get('source', path.name)} ({raw.get('retrieved', 'undated')})"


def only_providers(catalog: Catalog, names: str | Iterable[str] | None) -> Catalog:
    """The catalog with only the instances of these providers (``"aws,gcp"`` or a list,
    any case); ``None`` keeps all. An unknown name is an error naming ``--provider``."""
    if names is None:
        return catalog
    parts = names.split(",") if isinstance(names, str) else list(names)
    wanted = {str(n).strip().lower() for n in parts if str(n).strip()}
    known = sorted({i.provider.lower() for i in catalog.instances if i.provider})
    unknown = sorted(wanted - set(known)) if wanted else ["(none given)"]
    if unknown:
        raise SpecError(
            "--provider",
            f"unknown provider {', '.join(unknown)}: the catalog has "
            f"{', '.join(known) or 'no provider names'}",
        )
    kept = tuple(i for i in catalog.instances if i.provider.lower() in wanted)
    return dataclasses.replace(catalog, instances=kept)


def _committed_factors(providers: Any) -> dict[str, float]:
    """``providers: {aws: {committed_factor: 0.63}, ...}`` as {provider: factor}."""
    if providers is None:
        return {}
    if not isinstance(providers, dict):
        raise SpecError("catalog.providers", "must be a mapping of provider name to settings")
    factors = {}
    for name, settings in providers.items():
        where = f"catalog.providers.{name}"
        if not isinstance(settings, dict):
            raise SpecError(where, "must be a mapping")
        factor = settings.get("committed_factor")
        if factor is None:
            continue
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor <= 1:
            raise SpecError(f"{where}.committed_factor", f"must be in (0, 1], got {factor!r}")
        factors[str(name).lower()] = float(factor)
    return factors


def _instance(i: int, entry: Any, factors: dict[str, float] | None = None) -> Instance:
    where = f"catalog.instances[{i}]"
    if not isinstance(entry, dict):
        raise SpecError(where, "must be a mapping")
    for key in ("provider", "region"):
        if key in entry and not isinstance(entry[key], str):
            raise SpecError(f"{where}.{key}", f"must be a string, got {entry[key]!r}")
    gpus = entry.get("gpus", 0)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        raise SpecError(f"{where}.gpus", f"must be a whole number >= 0, got {gpus!r}")
    for key in ("name", "vcpus", "memory_gib", "on_demand_hour"):
        if key not in entry:
            raise SpecError(f"{where}.{key}", "is required")
    for key in ("vcpus", "memory_gib", "on_demand_hour"):
        if not isinstance(entry[key], (int, float)) or entry[key] <= 0:
            raise SpecError(f"{where}.{key}", f"must be a positive number, got {entry[key]!r}")
    network = entry.get("network_gbps")
    if network is not None and (
        isinstance(network, bool) or not isinstance(network, (int, float)) or not network > 0
    ):
        raise SpecError(f"{where}.network_gbps", f"must be a positive number, got {network!r}")
    for key in ("spot_hour", "boot_s", "cores"):
        value = entry.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
        ):
            raise SpecError(f"{where}.{key}", f"must be a positive number, got {value!r}")
    on_demand = float(entry["on_demand_hour"])
    provider = str(entry.get("provider", "")).strip()
    factor = (factors or {}).get(provider.lower(), COMMITTED_FACTOR)
    return Instance(
        name=str(entry["name"]),
        family=str(entry.get("family", "")),
        vcpus=int(entry["vcpus"]),
        memory_gib=float(entry["memory_gib"]),
        gpus=gpus,
        gpu_type=entry.get("gpu_type"),
        gpu_memory_gib=float(entry.get("gpu_memory_gib", 0)),
        on_demand_hour=on_demand,
        committed_hour=float(entry.get("committed_hour", round(on_demand * factor, 4))),
        network_gbps=None if network is None else float(network),
        spot_hour=None if entry.get("spot_hour") is None else float(entry["spot_hour"]),
        boot_s=None if entry.get("boot_s") is None else float(entry["boot_s"]),
        cores=None if entry.get("cores") is None else int(entry["cores"]),
        provider=provider,
        region=str(entry.get("region", "")).strip(),
    )
