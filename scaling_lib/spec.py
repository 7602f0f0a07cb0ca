"""Study specs: what to measure, validated once, frozen afterwards.

Usage::

    spec = load_spec("examples/quick.yaml")          # a YAML file
    spec = load_spec({"study": "s", "workload": "array",
                      "sizes": [500, 1000], "workers": [1, 2]})
    spec.with_changes(repeats=5)                      # a new, re-validated spec

Every problem raises :class:`~scaling_lib.errors.SpecError` naming the field
(``sizes[1]: must be a positive number, got -3``); the CLI turns it into exit code 2.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from dask.utils import format_bytes, parse_bytes

from .errors import SpecError, WorkloadError

__all__ = ["BACKENDS", "ClusterSpec", "StudySpec", "load_spec"]

BACKENDS = ("local", "cuda", "address", "class")
_STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


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
    memory_limit: int = parse_bytes("2GiB")
    repeats: int = 3
    warmup: int = 1
    timeout_s: float = 600.0
    baseline: bool = True
    calibrate: bool = True
    cluster: ClusterSpec = field(default_factory=ClusterSpec)

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
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError("spec", f"{path} is not valid YAML: {exc}") from exc
        return _parse_study(raw)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that ``from_dict`` accepts again."""
        out = dataclasses.asdict(self)
        out["memory_limit"] = format_bytes(self.memory_limit).replace(" ", "")
        out["sizes"] = list(self.sizes)
        out["workers"] = list(self.workers)
        out["params"] = dict(self.params)
        out["cluster"]["kwargs"] = dict(self.cluster.kwargs)
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
    known = {f.name for f in dataclasses.fields(StudySpec)}
    _reject_unknown(raw, known, prefix="")
    for name in ("study", "workload", "sizes", "workers"):
        if name not in raw:
            raise SpecError(name, "is required")

    study = _string(raw["study"], "study")
    if not _STUDY_NAME.match(study):
        raise SpecError(
            "study",
            f"{study!r} must be 1-100 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit (it names a folder in the results store)",
        )
    workload_name = _string(raw["workload"], "workload")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise SpecError("params", f"must be a mapping, got {type(params).__name__}")
    cluster = _parse_cluster(raw.get("cluster") or {})
    params = _checked_params(workload_name, params, cluster.backend)

    return StudySpec(
        study=study,
        workload=workload_name,
        params=params,
        sizes=tuple(_positive_number(v, f"sizes[{i}]") for i, v in enumerate(_list(raw, "sizes"))),
        workers=tuple(
            _positive_int(v, f"workers[{i}]") for i, v in enumerate(_list(raw, "workers"))
        ),
        threads_per_worker=_positive_int(raw.get("threads_per_worker", 1), "threads_per_worker"),
        memory_limit=_bytes(raw.get("memory_limit", "2GiB"), "memory_limit"),
        repeats=_positive_int(raw.get("repeats", 3), "repeats"),
        warmup=_non_negative_int(raw.get("warmup", 1), "warmup"),
        timeout_s=_positive_number(raw.get("timeout_s", 600.0), "timeout_s"),
        baseline=_bool(raw.get("baseline", True), "baseline"),
        calibrate=_bool(raw.get("calibrate", True), "calibrate"),
        cluster=cluster,
    )


def _parse_cluster(raw: Any) -> ClusterSpec:
    if not isinstance(raw, Mapping):
        raise SpecError("cluster", f"must be a mapping, got {type(raw).__name__}")
    known = {f.name for f in dataclasses.fields(ClusterSpec)}
    _reject_unknown(raw, known, prefix="cluster.")
    backend = _string(raw.get("backend", "local"), "cluster.backend")
    if backend not in BACKENDS:
        raise SpecError("cluster.backend", f"{backend!r} is not one of {', '.join(BACKENDS)}")
    address = _optional_string(raw.get("address"), "cluster.address")
    scheduler_file = _optional_string(raw.get("scheduler_file"), "cluster.scheduler_file")
    class_path = _optional_string(raw.get("class_path"), "cluster.class_path")
    kwargs = raw.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise SpecError("cluster.kwargs", f"must be a mapping, got {type(kwargs).__name__}")
    if backend == "address" and not (address or scheduler_file):
        raise SpecError("cluster.address", "backend 'address' needs address or scheduler_file")
    if backend == "class" and not class_path:
        raise SpecError("cluster.class_path", "backend 'class' needs class_path (module.Class)")
    if class_path and "." not in class_path.replace(":", "."):
        raise SpecError("cluster.class_path", f"{class_path!r} is not an import path")
    return ClusterSpec(
        backend=backend,
        address=address,
        scheduler_file=scheduler_file,
        class_path=class_path,
        kwargs=dict(kwargs),
        connect_timeout_s=_positive_number(
            raw.get("connect_timeout_s", 30.0), "cluster.connect_timeout_s"
        ),
    )


def _checked_params(workload_name: str, params: Mapping[str, Any], backend: str) -> dict[str, Any]:
    # Imported here: the registry may import a user's module named in the spec.
    from .workloads import get_workload

    try:
        workload = get_workload(workload_name)
    except WorkloadError as exc:
        raise SpecError("workload", str(exc)) from exc
    params = dict(params)
    if "device" in workload.defaults:
        # Workloads with a device parameter follow the backend: CuPy on 'cuda' workers.
        if backend == "cuda":
            params.setdefault("device", "gpu")
        elif params.get("device") == "gpu":
            raise SpecError("params.device", "'gpu' needs cluster backend 'cuda'")
    try:
        return workload.check_params(params)
    except WorkloadError as exc:
        raise SpecError("params", str(exc)) from exc


def _reject_unknown(raw: Mapping[str, Any], known: set[str], prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise SpecError(
                f"{prefix}{key}", f"unknown field; expected one of {', '.join(sorted(known))}"
            )


def _list(raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw[name]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SpecError(name, f"must be a list, got {type(value).__name__}")
    if not value:
        raise SpecError(name, "must not be empty")
    if len(set(value)) != len(value):
        raise SpecError(name, f"has duplicates: {list(value)}")
    return list(value)


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(name, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _optional_string(value: Any, name: str) -> str | None:
    return None if value is None else _string(value, name)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(name, f"must be true or false, got {value!r}")
    return value


def _positive_number(value: Any, name: str) -> float | int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise SpecError(name, f"must be a positive number, got {value!r}")
    return value


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpecError(name, f"must be a positive integer, got {value!r}")
    return value


def _non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(name, f"must be a non-negative integer, got {value!r}")
    return value


def _bytes(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise SpecError(name, f"must be a size such as '2GiB', got {value!r}")
    try:
        parsed = parse_bytes(value) if isinstance(value, str) else int(value)
    except (ValueError, TypeError) as exc:
        raise SpecError(name, f"must be a size such as '2GiB', got {value!r}") from exc
    if parsed <= 0:
        raise SpecError(name, f"must be positive, got {value!r}")
    return parsed
