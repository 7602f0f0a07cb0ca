"""Study specs: what to measure, validated once, frozen afterwards.

Usage::

    spec = load_spec("examples/quick.yaml")          # a YAML file
    spec = load_spec({"study": "s", "workload": "array",
                      "sizes": [500, 1000], "workers": [1, 2]})
    spec.with_changes(repeats=5)                      # a new, re-validated spec

Every problem raises :class:`~scaling_lib.errors.SpecError` naming the field
(``sizes[1]: must be a positive number, got -3``); the CLI turns it into exit code 2.
Every value is checked: numbers are finite and within the ceilings below (each says
why it exists), byte sizes are whole numbers of bytes, booleans are not numbers, and
sections (``cluster``, ``params``, ``cluster.kwargs``, ``dataset``) are mappings; only a
missing key or an explicit null means a section is absent. With a ``dataset`` section
(see ``datasets.py``), sizes are fractions in (0, 1] or, with ``sample: rows``, row counts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaling_lib.errors import SpecError, WorkloadError
from scaling_lib.spec._fields import (
    boolean,
    byte_size,
    entries,
    format_bytes_exactly,
    integer,
    number,
    optional_string,
    reject_unknown,
    section,
    string,
)
from scaling_lib.spec.datasets import DatasetSpec, check_sample_sizes

__all__ = ["BACKENDS", "ClusterSpec", "StudySpec", "load_spec"]

BACKENDS = ("local", "cuda", "address", "class")
_STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_CLASS_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*[.:][A-Za-z_]\w*$")

# Ceilings: beyond them a value is a typo (or a unit mistake), not a study to start.
# Worker counts, by what each backend can start. A local worker is two processes (worker
# and nanny), about 150 MiB before any data (68 + 85 MiB measured, distributed 2026.7.1):
# 512 of them are ~75 GiB and 1,024 processes before the first task. More workers than
# cores stays legal (a warning when the cluster starts): GIL-releasing workloads use them.
MAX_WORKERS = {
    "local": (512, "a local worker is 2 processes of ~150 MiB before any data"),
    "cuda": (64, "LocalCUDACluster starts one worker per GPU of this host"),
    "address": (10_000, "one Dask scheduler serves thousands of workers, not tens of thousands"),
    "class": (10_000, "one Dask scheduler serves thousands of workers, not tens of thousands"),
}
MAX_THREADS = (1024, "more threads in one worker process than any host has hardware threads")
MAX_SIZE = (2**53, "beyond 2**53 a float cannot tell neighbouring sizes apart")
MAX_REPEATS = (1000, "each repeat is a full measured run; medians settle within tens")
MAX_WARMUP = (100, "warm-up runs are not recorded; a few suffice")
# Python's thread waits overflow past threading.TIMEOUT_MAX; a week is already no benchmark.
MAX_TIMEOUT_S = (7 * 24 * 3600, "a week; a run or a connection waiting longer is a typo")
# What clusters.py passes to LocalCluster / LocalCUDACluster itself, from the spec.
_SET_BY_STUDY = {
    "local": ("n_workers", "threads_per_worker", "memory_limit", "processes", "host",
              "dashboard_address", "silence_logs"),
    "cuda": ("n_workers", "CUDA_VISIBLE_DEVICES", "threads_per_worker", "memory_limit",
             "dashboard_address", "silence_logs"),
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ClusterSpec:
    """Where the workers come from.

    - ``local``: a ``distributed.LocalCluster`` of worker processes (the default);
    - ``cuda``: ``dask_cuda.LocalCUDACluster``, one worker per GPU (needs a GPU);
    - ``address``: an existing scheduler, by ``address`` (``tcp://host:8786``) or
      ``scheduler_file``;
    - ``class``: a cluster class by import path (``dask_jobqueue.SLURMCluster``),
      built with ``kwargs`` and sized with ``scale(n)``.
    """

    backend: str = "local"
    address: str | None = None
    scheduler_file: str | None = None
    class_path: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    connect_timeout_s: float = 30.0

    @property
    def kind(self) -> str:
        """A short description of the cluster, stored on every record."""
        if self.backend == "class":
            return f"class:{self.class_path}"
        return self.backend


@dataclass(frozen=True, kw_only=True)
class StudySpec:
    """One study: a workload measured over sizes x worker counts x repeats."""

    study: str
    workload: str
    sizes: tuple[float, ...]
    workers: tuple[int, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    threads_per_worker: int = 1
    memory_limit: int = 2 * 2**30
    repeats: int = 3
    warmup: int = 1
    timeout_s: float = 600.0
    baseline: bool = True
    calibrate: bool = True
    trace: bool = True
    cluster: ClusterSpec = field(default_factory=ClusterSpec)
    dataset: DatasetSpec | None = None  # a user's data as the size axis (datasets.py)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StudySpec:
        """Validate a plain mapping (as read from YAML or notebook parameters)."""
        return _parse_study(raw)

    @classmethod
    def from_yaml(cls, path: str | Path) -> StudySpec:
        """Read and validate a YAML file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise SpecError("spec", f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise SpecError("spec", f"{path} is not UTF-8 text: {exc.reason}") from exc
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError("spec", f"{path} is not valid YAML: {exc}") from exc
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, 2,000 nested [
            raise SpecError("spec", f"{path} cannot be read as YAML: {exc}") from exc
        return _parse_study(raw)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that ``from_dict`` accepts again."""
        out = dataclasses.asdict(self)
        out["memory_limit"] = format_bytes_exactly(self.memory_limit)
        out["sizes"] = list(self.sizes)
        out["workers"] = list(self.workers)
        out["params"] = dict(self.params)
        out["cluster"]["kwargs"] = dict(self.cluster.kwargs)
        if self.dataset is None:
            del out["dataset"]  # a spec without one reads as it always has
        return out

    def with_changes(self, **changes: Any) -> StudySpec:
        """A copy with some fields changed, validated again."""
        raw = self.to_dict()
        raw.update(changes)
        return _parse_study(raw)


def load_spec(source: str | Path | Mapping[str, Any] | StudySpec) -> StudySpec:
    """A StudySpec from a YAML path, a mapping, or a StudySpec (returned as is)."""
    if isinstance(source, StudySpec):
        return source
    if isinstance(source, (str, Path)):
        return StudySpec.from_yaml(source)
    return StudySpec.from_dict(source)


# -- validation ---------------------------------------------------------------------------


def _parse_study(raw: Any) -> StudySpec:
    if not isinstance(raw, Mapping):
        raise SpecError("spec", f"must be a mapping of fields, got {type(raw).__name__}")
    reject_unknown(raw, {f.name for f in dataclasses.fields(StudySpec)}, prefix="")
    for name in ("study", "workload", "sizes", "workers"):
        if name not in raw:
            raise SpecError(name, "is required")

    study = string(raw["study"], "study")
    if not _STUDY_NAME.match(study):
        raise SpecError(
            "study",
            f"{study!r} must be 1-100 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit (it names a folder in the results store)",
        )
    workload_name = string(raw["workload"], "workload")
    params = section(raw, "params", "params")
    cluster = _parse_cluster(section(raw, "cluster", "cluster"))
    dataset = None if raw.get("dataset") is None else DatasetSpec.from_dict(raw["dataset"])
    params = _checked_params(workload_name, params, cluster.backend, dataset)
    sizes = entries(raw, "sizes", lambda v, n: number(v, n, MAX_SIZE))
    limit, why = MAX_WORKERS[cluster.backend]
    most_workers = (limit, f"backend {cluster.backend!r}: {why}")

    return StudySpec(
        study=study,
        workload=workload_name,
        params=params,
        sizes=sizes if dataset is None else check_sample_sizes(sizes, dataset),
        workers=entries(raw, "workers", lambda v, n: integer(v, n, 1, most_workers)),
        threads_per_worker=integer(
            raw.get("threads_per_worker", 1), "threads_per_worker", 1, MAX_THREADS
        ),
        memory_limit=byte_size(raw.get("memory_limit", "2GiB"), "memory_limit"),
        repeats=integer(raw.get("repeats", 3), "repeats", 1, MAX_REPEATS),
        warmup=integer(raw.get("warmup", 1), "warmup", 0, MAX_WARMUP),
        timeout_s=number(raw.get("timeout_s", 600.0), "timeout_s", MAX_TIMEOUT_S),
        baseline=boolean(raw.get("baseline", True), "baseline"),
        calibrate=boolean(raw.get("calibrate", True), "calibrate"),
        trace=boolean(raw.get("trace", True), "trace"),
        cluster=cluster,
        dataset=dataset,
    )


def _parse_cluster(raw: Mapping[str, Any]) -> ClusterSpec:
    reject_unknown(raw, {f.name for f in dataclasses.fields(ClusterSpec)}, prefix="cluster.")
    backend = string(raw.get("backend", "local"), "cluster.backend")
    if backend not in BACKENDS:
        raise SpecError("cluster.backend", f"{backend!r} is not one of {', '.join(BACKENDS)}")
    address = optional_string(raw.get("address"), "cluster.address")
    scheduler_file = optional_string(raw.get("scheduler_file"), "cluster.scheduler_file")
    class_path = optional_string(raw.get("class_path"), "cluster.class_path")
    kwargs = section(raw, "kwargs", "cluster.kwargs")
    # A field another backend uses is a spec that does not say what it means.
    for name, value, used_by in (
        ("address", address, "address"),
        ("scheduler_file", scheduler_file, "address"),
        ("class_path", class_path, "class"),
    ):
        if value is not None and backend != used_by:
            raise SpecError(
                f"cluster.{name}", f"is only used by backend {used_by!r}, not {backend!r}"
            )
    if backend == "address" and not (address or scheduler_file):
        raise SpecError("cluster.address", "backend 'address' needs address or scheduler_file")
    if address and scheduler_file:
        raise SpecError("cluster.scheduler_file", "give address or scheduler_file, not both")
    if backend == "class" and not class_path:
        raise SpecError("cluster.class_path", "backend 'class' needs class_path (module.Class)")
    if class_path and not _CLASS_PATH.match(class_path):
        raise SpecError("cluster.class_path", f"{class_path!r} is not an import path")
    if kwargs and backend == "address":
        raise SpecError("cluster.kwargs", "backend 'address' starts nothing: kwargs are unused")
    for key in _SET_BY_STUDY.get(backend, ()):
        if key in kwargs:
            raise SpecError(
                f"cluster.kwargs.{key}",
                f"is set by the workbook for backend {backend!r} (from workers, "
                "threads_per_worker and memory_limit, or fixed): remove it",
            )
    return ClusterSpec(
        backend=backend,
        address=address,
        scheduler_file=scheduler_file,
        class_path=class_path,
        kwargs=kwargs,
        connect_timeout_s=number(
            raw.get("connect_timeout_s", 30.0), "cluster.connect_timeout_s", MAX_TIMEOUT_S
        ),
    )


def _checked_params(
    workload_name: str, params: Mapping[str, Any], backend: str, dataset: DatasetSpec | None
) -> dict[str, Any]:
    # Imported here: the registry may import a user's module named in the spec.
    from scaling_lib.workloads import get_workload
    from scaling_lib.workloads.dataset import check_dataset_workload

    try:
        workload = get_workload(workload_name)
    except WorkloadError as exc:
        raise SpecError("workload", str(exc)) from exc
    except Exception as exc:  # a user's module may raise anything while it is imported
        raise SpecError(
            "workload", f"{workload_name!r} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    check_dataset_workload(workload, dataset)
    params = dict(params)
    if "device" in workload.defaults:
        # Workloads with a device parameter follow the backend: CuPy on 'cuda' workers.
        if backend == "cuda":
            params.setdefault("device", "gpu")
        elif params.get("device") in ("gpu", "cuda"):
            raise SpecError("params.device", f"{params['device']!r} needs cluster backend 'cuda'")
    try:
        return workload.check_params(params)
    except (WorkloadError, TypeError, ValueError) as exc:
        raise SpecError("params", str(exc)) from exc
