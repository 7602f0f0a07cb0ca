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
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from dask.utils import byte_sizes

from .datasets import DatasetSpec, check_sample_sizes
from .errors import SpecError, WorkloadError

__all__ = ["BACKENDS", "ClusterSpec", "StudySpec", "load_spec"]

BACKENDS = ("local", "cuda", "address", "class")
_STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_CLASS_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*[.:][A-Za-z_]\w*$")
_BYTES = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([A-Za-z]*)\s*")

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
MIN_MEMORY = (2**20, "a worker process alone takes ~70 MiB; under 1 MiB is a unit mistake")
MAX_MEMORY = (2**50, "1 PiB per worker is more than any machine has")
MAX_ENTRIES = (1000, "a grid this long is a generated mistake, not a study")
_MAX_INT64 = 2**63 - 1  # NumPy and Dask take 64-bit integers: larger parameters overflow
_MAX_DEPTH = 20
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
        out["memory_limit"] = _format_bytes_exactly(self.memory_limit)
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
    _reject_unknown(raw, {f.name for f in dataclasses.fields(StudySpec)}, prefix="")
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
    params = _section(raw, "params", "params")
    cluster = _parse_cluster(_section(raw, "cluster", "cluster"))
    dataset = None if raw.get("dataset") is None else DatasetSpec.from_dict(raw["dataset"])
    params = _checked_params(workload_name, params, cluster.backend, dataset)
    sizes = _entries(raw, "sizes", lambda v, n: _number(v, n, MAX_SIZE))
    limit, why = MAX_WORKERS[cluster.backend]
    most_workers = (limit, f"backend {cluster.backend!r}: {why}")

    return StudySpec(
        study=study,
        workload=workload_name,
        params=params,
        sizes=sizes if dataset is None else check_sample_sizes(sizes, dataset),
        workers=_entries(raw, "workers", lambda v, n: _integer(v, n, 1, most_workers)),
        threads_per_worker=_integer(
            raw.get("threads_per_worker", 1), "threads_per_worker", 1, MAX_THREADS
        ),
        memory_limit=_bytes(raw.get("memory_limit", "2GiB"), "memory_limit"),
        repeats=_integer(raw.get("repeats", 3), "repeats", 1, MAX_REPEATS),
        warmup=_integer(raw.get("warmup", 1), "warmup", 0, MAX_WARMUP),
        timeout_s=_number(raw.get("timeout_s", 600.0), "timeout_s", MAX_TIMEOUT_S),
        baseline=_bool(raw.get("baseline", True), "baseline"),
        calibrate=_bool(raw.get("calibrate", True), "calibrate"),
        trace=_bool(raw.get("trace", True), "trace"),
        cluster=cluster,
        dataset=dataset,
    )


def _parse_cluster(raw: Mapping[str, Any]) -> ClusterSpec:
    _reject_unknown(raw, {f.name for f in dataclasses.fields(ClusterSpec)}, prefix="cluster.")
    backend = _string(raw.get("backend", "local"), "cluster.backend")
    if backend not in BACKENDS:
        raise SpecError("cluster.backend", f"{backend!r} is not one of {', '.join(BACKENDS)}")
    address = _optional_string(raw.get("address"), "cluster.address")
    scheduler_file = _optional_string(raw.get("scheduler_file"), "cluster.scheduler_file")
    class_path = _optional_string(raw.get("class_path"), "cluster.class_path")
    kwargs = _section(raw, "kwargs", "cluster.kwargs")
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
        connect_timeout_s=_number(
            raw.get("connect_timeout_s", 30.0), "cluster.connect_timeout_s", MAX_TIMEOUT_S
        ),
    )


def _checked_params(
    workload_name: str, params: Mapping[str, Any], backend: str, dataset: DatasetSpec | None
) -> dict[str, Any]:
    # Imported here: the registry may import a user's module named in the spec.
    from .workloads import get_workload
    from .workloads.dataset import check_dataset_workload

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


def _reject_unknown(raw: Mapping[str, Any], known: set[str], prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise SpecError(
                f"{prefix}{key}", f"unknown field; expected one of {', '.join(sorted(known))}"
            )


def _section(raw: Mapping[str, Any], key: str, name: str) -> dict[str, Any]:
    """A mapping-valued field: only a missing key or null means empty (0, "", [] do not)."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(
            name, f"must be a mapping (or left out), got {type(value).__name__} {_show(value)}"
        )
    _check_plain(value, name, 0)
    return dict(value)


def _check_plain(value: Any, name: str, depth: int) -> None:
    """Keys are strings and numbers finite, all the way down (values go to NumPy and Dask)."""
    if depth > _MAX_DEPTH:
        raise SpecError(name, f"is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpecError(name, f"keys must be strings, got {_show(key)}")
            _check_plain(item, f"{name}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{name}[{i}]", depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, numbers.Integral):
        if abs(int(value)) > _MAX_INT64:
            raise SpecError(name, f"{_show(value)} does not fit in 64 bits (NumPy and Dask's)")
    elif isinstance(value, numbers.Real) and not math.isfinite(_as_float(value)):
        raise SpecError(name, f"must be finite, got {_show(value)}")
    # Anything else (an object passed from Python) is for the workload or cluster to check.


def _entries(raw: Mapping[str, Any], name: str, check: Any) -> tuple[Any, ...]:
    value = raw[name]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SpecError(name, f"must be a list, got {type(value).__name__} {_show(value)}")
    if not value:
        raise SpecError(name, "must not be empty")
    if len(value) > MAX_ENTRIES[0]:
        raise SpecError(
            name, f"has {len(value)} entries, at most {MAX_ENTRIES[0]:,} ({MAX_ENTRIES[1]})"
        )
    checked = tuple(check(v, f"{name}[{i}]") for i, v in enumerate(value))
    if len(set(checked)) != len(checked):
        raise SpecError(name, f"has duplicates: {list(checked)}")
    return checked


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(name, f"must be a non-empty string, got {_show(value)}")
    if any(ord(c) < 32 for c in value.strip()):
        raise SpecError(name, f"must not contain control characters, got {_show(value)}")
    return value.strip()


def _optional_string(value: Any, name: str) -> str | None:
    return None if value is None else _string(value, name)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(name, f"must be true or false, got {_show(value)}")
    return value


def _number(value: Any, name: str, ceiling: tuple[int, str]) -> float | int:
    """A positive finite number up to ``ceiling`` (value, reason); ints stay ints."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(name, f"must be a positive number, got {_show(value)}")
    number = int(value) if isinstance(value, numbers.Integral) else _as_float(value)
    if number <= 0 or (isinstance(number, float) and not math.isfinite(number)):  # nan too
        raise SpecError(name, f"must be a positive number, got {_show(value)}")
    if number > ceiling[0]:
        raise SpecError(name, f"must be at most {ceiling[0]:,} ({ceiling[1]}), got {_show(value)}")
    return number


def _integer(value: Any, name: str, low: int, ceiling: tuple[int, str]) -> int:
    """An integer from ``low`` up to ``ceiling`` (value, reason); 2.0 and true are not."""
    kind = "positive integer" if low == 1 else "non-negative integer"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise SpecError(name, f"must be a {kind}, got {_show(value)}")
    if value > ceiling[0]:
        raise SpecError(name, f"must be at most {ceiling[0]:,} ({ceiling[1]}), got {_show(value)}")
    return int(value)


def _bytes(value: Any, name: str) -> int:
    """A whole, positive number of bytes: 2147483648, "2GiB", "500 MB", "1.5 KiB"."""
    usage = "a size such as '2GiB', '500 MB' or a whole number of bytes"
    if isinstance(value, str):
        match = _BYTES.fullmatch(value)
        if not match or match.group(3).lower() not in byte_sizes:
            raise SpecError(name, f"must be {usage}, got {_show(value)}")
        exponent = int(match.group(2) or 0)
        if abs(exponent) > 30:  # keeps the exact arithmetic below small
            raise SpecError(name, f"{_show(value)} is out of range ({MAX_MEMORY[1]})")
        amount = Fraction(match.group(1)) * Fraction(10) ** exponent
        amount *= byte_sizes[match.group(3).lower()]
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        amount = Fraction(int(value))
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(_as_float(value)):
            raise SpecError(name, f"must be a finite size, got {_show(value)}")
        amount = Fraction(_as_float(value))
    else:
        raise SpecError(name, f"must be {usage}, got {_show(value)}")
    if amount <= 0:
        raise SpecError(name, f"must be positive, got {_show(value)}")
    if amount.denominator != 1:
        raise SpecError(name, f"must be a whole number of bytes, got {_show(value)}")
    if amount < MIN_MEMORY[0]:
        raise SpecError(name, f"must be at least 1 MiB ({MIN_MEMORY[1]}), got {_show(value)}")
    if amount > MAX_MEMORY[0]:
        raise SpecError(name, f"must be at most 1 PiB ({MAX_MEMORY[1]}), got {_show(value)}")
    return int(amount)


def _format_bytes_exactly(n: int) -> str | int:
    """``n`` in the largest unit that divides it exactly ("2GiB"), so it parses back."""
    for unit in ("PiB", "TiB", "GiB", "MiB", "KiB", "PB", "TB", "GB", "MB", "kB"):
        if n % byte_sizes[unit.lower()] == 0:
            return f"{n // byte_sizes[unit.lower()]}{unit}"
    return n


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # a huge Fraction or Decimal-like number
        return math.inf


def _show(value: Any) -> str:
    """A short repr for messages (a 400-digit integer is not worth printing whole)."""
    try:
        text = repr(value)
    except ValueError:  # ints past Python's 4,300-digit conversion limit
        return f"a {type(value).__name__} too large to print"
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
