"""What recommendations are made of: instance types, a catalog, ranked options.

Usage::

    Instance("m7i.xlarge", vcpus=4, memory_gib=16, on_demand_hour=0.2, committed_hour=0.13,
             provider="aws", region="us-east-1")
    Catalog(instances=(...,), source="AWS pricing", retrieved="2025")

``recommend.recommend`` ranks ``Option``s into a ``Recommendation``; ``catalog.py`` reads
a catalog from YAML. Plain data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scaling_lib.analysis.gpu_rates import GpuRate

__all__ = ["Catalog", "Instance", "Option", "Recommendation"]


@dataclass(frozen=True)
class Instance:
    name: str
    vcpus: int
    memory_gib: float
    on_demand_hour: float
    committed_hour: float
    family: str = ""
    gpus: int = 0
    gpu_type: str | None = None
    gpu_memory_gib: float = 0.0
    network_gbps: float | None = None  # baseline network bandwidth, Gbit/s
    spot_hour: float | None = None  # a recent spot (preemptible) price, where the catalog has one
    cores: int | None = None  # physical cores (x86 vCPUs are hyperthreads, two to a core)
    boot_s: float | None = None  # seconds from asking for the instance to it running
    provider: str = ""  # the cloud that sells it ("aws", "gcp", "azure"); "" when unsaid
    region: str = ""  # where its prices apply ("us-east-1")

    def price(self, pricing: str, utilisation: float = 1.0) -> float:
        """Per hour of this job. A committed price is paid whether or not the instance
        runs: at a fraction ``utilisation`` of the term used, each used hour costs
        committed / utilisation."""
        if pricing == "committed":
            return self.committed_hour / utilisation
        if pricing == "spot":
            if self.spot_hour is None:
                raise ValueError(f"{self.name} has no spot price in the catalog")
            return self.spot_hour
        return self.on_demand_hour


@dataclass(frozen=True)
class Catalog:
    instances: tuple[Instance, ...]
    source: str = ""
    retrieved: str = ""
    currency: str = "USD"
    gpu_rates: tuple[GpuRate, ...] = ()  # published per-GPU rates (catalog_data/gpus.yaml)
    gpu_rates_source: str = ""


@dataclass(frozen=True)
class Option:
    instance: str
    count: int
    workers: int
    seconds: float
    seconds_low: float
    seconds_high: float
    cost: float  # run + start-up + preparation (+ boot), the scheduler node included
    cost_low: float
    cost_high: float
    memory_per_worker_gib: float
    predicted_peak_gib: float | None
    headroom_gib: float | None  # spill threshold minus the peak's upper bound
    feasible: bool
    meets_deadline: bool | None
    within_budget: bool | None
    efficiency: float | None
    warnings: tuple[str, ...] = ()
    source: str = "fitted"  # "fitted" T(n, p), or "simulated" (the traced graph replayed)
    predicted_peak_high_gib: float | None = None  # upper bound of the per-worker peak
    overhead_s: float = 0.0  # before the run: cluster start-up, input preparation, boot
    provider: str = ""  # the instance's cloud (``Instance.provider``)
    too_wide: str = ""  # its forecast too wide to act on: one of ``warnings`` (narrowing)


@dataclass(frozen=True)
class Recommendation:
    target_size: float
    size_unit: str
    deadline_s: float | None
    budget: float | None
    pricing: str
    currency: str
    options: tuple[Option, ...]
    cheapest_meeting_deadline: Option | None
    fastest_within_budget: Option | None
    knee_workers: int | None
    baseline_crossover_size: float | None
    baseline_note: str
    model: str
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    target: str = ""  # how the target size was chosen, where it was not given
