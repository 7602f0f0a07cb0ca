"""Datasets as the size axis: a user's Parquet or CSV files, described and sampled.

Usage::

    ds = DatasetSpec(path="data/events/*.parquet", format="parquet")  # or csv; fsspec URLs
    info = describe_dataset(ds)        # files, rows, bytes, and production's partitions
    info.rows, info.bytes, info.schema, len(info.partitions)
    plan = plan_sample(info, rows_wanted(info, 0.25))
    plan.rows, plan.partitions, plan.rows_per_partition   # whole partitions, in order

In a study spec the section reads ``dataset: {path: ..., format: parquet}`` with the
optional ``storage_options`` (passed to fsspec), ``options`` (the keyword arguments
of production's reader, ``dask.dataframe.read_parquet`` or ``read_csv``, such as
``{split_row_groups: true}``), ``read`` ("timed", the default: reading the data is
part of the measured job, as it is in production; "untimed": the sample is read and
persisted before the timer) and ``sample`` ("fraction", the default: sizes are
fractions in (0, 1]; or "rows": sizes are row counts).

A sample is the production job in miniature: the same reader with the same options,
so the same dtypes and the same partitions, only fewer of them: the first whole
partitions of the production read, as many as come nearest the rows wanted (in
ratio). A size that whole partitions cannot meet within MAX_OVERSHOOT reads the
nearest whole-partition sample, and its records carry the real size; two sizes that
would read the same partitions are refused before any cluster starts. Never many
tiny partitions: a sample's rows per partition are production's.

Parquet is described from its footers only (rows and uncompressed bytes per row group,
the schema); CSV has no footer, so its rows and in-memory bytes are counted by reading
every file once (``DatasetInfo.counted`` says so). Listing files and reading footers is
``_dataset_files.py``'s part; production's read and its partitions ``_production_read.py``'s.

Every problem raises :class:`~scaling_lib.errors.SpecError` naming the field
(``dataset.path: no files match 'data/*.parquet'``). Reading the sample on a cluster
is ``workloads/dataset.py``'s job; nothing here starts one.
"""

from __future__ import annotations

import math
import numbers
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import fsspec

from scaling_lib.errors import SpecError
from scaling_lib.spec._dataset_files import (
    FORMATS,
    FileInfo,
    csv_file,
    list_files,
    one_schema,
    parquet_file,
)
from scaling_lib.spec._production_read import (
    Partition,
    check_reader_options,
    production_frame,
    production_partitions,
)

__all__ = [
    "DatasetInfo",
    "DatasetSpec",
    "FileInfo",
    "Partition",
    "SamplePlan",
    "check_same_dataset",
    "check_sample_sizes",
    "check_sizes_against",
    "describe_dataset",
    "plan_sample",
    "plan_samples",
    "production_frame",
    "rows_wanted",
]

SAMPLES = ("fraction", "rows")
READS = ("timed", "untimed")
# Whole partitions may miss the rows wanted by at most this much and still be "the
# size asked": sizes are usually a doubling grid, and 25% off stays well nearer its own
# size than the next (x1.41 is halfway in log). Beyond it the plan says the sample is
# the nearest whole-partition one, and the records carry its real size.
MAX_OVERSHOOT = 0.25
# ``seed`` is still accepted (specs written for the seeded row samples of old) but a
# sample of whole partitions in order needs none.
_FIELDS = ("path", "format", "storage_options", "options", "read", "sample", "seed")


@dataclass(frozen=True, kw_only=True)
class DatasetSpec:
    """Where the data is and how to sample it; validated when made (SpecError).

    ``format`` may be left out where the path ends in .parquet or .csv.
    """

    path: str
    format: str | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    read: str = "timed"
    sample: str = "fraction"
    seed: int = 0

    def __post_init__(self) -> None:
        path = os.fspath(self.path) if isinstance(self.path, os.PathLike) else self.path
        if not isinstance(path, str) or not path.strip():
            raise SpecError(
                "dataset.path",
                f"must be a non-empty string (a path, a glob or an fsspec URL), got {_show(path)}",
            )
        path = path.strip()
        fmt = self.format
        if fmt is None:
            fmt = next((f for f, ends in FORMATS.items() if path.lower().endswith(ends)), None)
            if fmt is None:
                raise SpecError(
                    "dataset.format", f"is required (one of {', '.join(FORMATS)}) for {path!r}"
                )
        if not isinstance(fmt, str) or fmt.strip().lower() not in FORMATS:
            raise SpecError(
                "dataset.format", f"must be one of {', '.join(FORMATS)}, got {_show(fmt)}"
            )
        options = self.storage_options
        if options is None:
            options = {}
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise SpecError(
                "dataset.storage_options",
                f"must be a mapping of fsspec options (or left out), got {_show(options)}",
            )
        if self.read not in READS:
            raise SpecError(
                "dataset.read", f"must be one of {', '.join(READS)}, got {_show(self.read)}"
            )
        if self.sample not in SAMPLES:
            raise SpecError(
                "dataset.sample", f"must be one of {', '.join(SAMPLES)}, got {_show(self.sample)}"
            )
        seed = self.seed
        whole = isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
        if not (whole and 0 <= seed < 2**63):
            raise SpecError(
                "dataset.seed", f"must be a whole number from 0 to 2**63-1, got {_show(seed)}"
            )
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "format", fmt.strip().lower())
        object.__setattr__(self, "storage_options", dict(options))
        object.__setattr__(self, "options", check_reader_options(self.options))
        object.__setattr__(self, "seed", int(seed))

    @property
    def size_unit(self) -> str:
        """What a study's sizes count: "fraction" (of the rows) or "rows"."""
        return self.sample

    @classmethod
    def from_dict(cls, raw: Any) -> DatasetSpec:
        """The spec's ``dataset:`` section (a mapping, or a DatasetSpec as it is)."""
        if isinstance(raw, DatasetSpec):
            return raw
        if not isinstance(raw, Mapping):
            raise SpecError(
                "dataset",
                "must be a mapping such as {path: data/*.parquet, format: parquet} (or left "
                f"out), got {type(raw).__name__} {_show(raw)}",
            )
        for key in raw:
            if key not in _FIELDS:
                raise SpecError(
                    f"dataset.{key}", f"unknown field; expected one of {', '.join(_FIELDS)}"
                )
        if "path" not in raw:
            raise SpecError("dataset.path", "is required")
        # Only a missing key or null means "the default" (as for the spec's sections).
        given = {k: raw[k] for k in _FIELDS[1:] if raw.get(k) is not None}
        return cls(path=raw["path"], **given)


@dataclass(frozen=True)
class DatasetInfo:
    """What ``describe_dataset`` found: the production size a study forecasts for."""

    dataset: DatasetSpec
    protocol: str
    files: tuple[FileInfo, ...]
    rows: int
    bytes: int  # in memory: uncompressed Parquet bytes, or pandas' count for CSV
    schema: Mapping[str, str]  # column -> pandas dtype, as a partition will have it
    counted: bool  # True: rows and bytes come from reading every file (CSV)
    partitions: tuple[Partition, ...] = ()  # production's read, in order

    @property
    def partitions_estimated(self) -> bool:
        """True where partition rows are estimated (CSV split into byte blocks)."""
        return self.dataset.format == "csv" and len(self.partitions) != len(self.files)

    def __repr__(self) -> str:
        return (
            f"<DatasetInfo {self.dataset.path!r}: {len(self.files)} file(s), {self.rows:,} rows "
            f"in {len(self.partitions)} partitions, {self.bytes:,} bytes in memory"
            f"{' (counted)' if self.counted else ''}>"
        )


@dataclass(frozen=True)
class SamplePlan:
    """Which partitions of production's read one point reads: the first ``len(partitions)``.

    ``nearest`` is True where whole partitions could not meet the rows wanted within
    MAX_OVERSHOOT: the point is measured at its real size (``rows``), not the one asked.
    """

    rows_wanted: int
    rows: int
    bytes: int
    partitions: tuple[int, ...]
    rows_per_partition: int  # the median of the sample's partitions
    nearest: bool
    method: str = "partitions"

    def size(self, info: DatasetInfo) -> float:
        """The sample's real size in the study's unit (a fraction, or rows)."""
        return float(self.rows) if info.dataset.sample == "rows" else self.rows / info.rows

    def describe(self, info: DatasetInfo, asked: float) -> str:
        """One line for the plan printed before any cluster starts."""
        unit = info.dataset.sample
        shown = f"{asked:,.0f} rows" if unit == "rows" else f"{asked:.4g} ({asked * 100:.4g}%)"
        parts = len(self.partitions)
        text = (
            f"{shown}: {parts} whole partition{'s' if parts != 1 else ''} of about "
            f"{self.rows_per_partition:,} rows = {self.rows:,} rows "
            f"({self.rows / info.rows:.2%} of the dataset)"
        )
        if self.nearest:
            text += "; the nearest whole-partition sample, measured at its real size"
        return text


# -- spec-time checks (no I/O) -------------------------------------------------------------


def check_sample_sizes(sizes: Sequence[float], dataset: DatasetSpec) -> tuple[float, ...]:
    """Sizes as a dataset study takes them: fractions in (0, 1], or whole row counts."""
    out = []
    for i, size in enumerate(sizes):
        if dataset.sample == "fraction" and not 0 < size <= 1:
            raise SpecError(
                f"sizes[{i}]",
                f"a fraction of the dataset must be in (0, 1], got {size:g} "
                "(for row counts set dataset.sample: rows)",
            )
        if dataset.sample == "rows":
            if size != int(size):
                raise SpecError(
                    f"sizes[{i}]",
                    f"with dataset.sample: rows, sizes are whole numbers of rows, got {size:g}",
                )
            size = int(size)
        out.append(size)
    return tuple(out)


def rows_wanted(info: DatasetInfo, size: float) -> int:
    """The rows a point of ``size`` asks for (a fraction rounds half up)."""
    if info.dataset.sample == "rows":
        return int(size)
    return math.floor(size * info.rows + 0.5)


def check_sizes_against(info: DatasetInfo, sizes: Sequence[float]) -> None:
    """Refuse sizes the dataset cannot give: more rows than it has, or no rows at all."""
    for i, size in enumerate(sizes):
        wanted = rows_wanted(info, size)
        if wanted > info.rows:
            raise SpecError(
                f"sizes[{i}]", f"{wanted:,} rows is more than the dataset's {info.rows:,}"
            )
        if wanted < 1:
            raise SpecError(
                f"sizes[{i}]",
                f"{size:g} of the dataset's {info.rows:,} rows is no rows: use a larger fraction",
            )


def check_same_dataset(records: Iterable[Mapping[str, Any]], info: DatasetInfo) -> None:
    """Refuse to add points to a study measured on other data (its records say which):
    a resumed sweep skips stored points, so they must be of this dataset."""
    for rec in records:
        seen = (rec.get("dataset_path"), rec.get("dataset_rows"))
        if seen != (info.dataset.path, info.rows):
            what = "without a dataset" if seen[0] is None else f"on {seen[0]!r} ({seen[1]:,} rows)"
            raise SpecError(
                "dataset",
                f"study {rec.get('study')!r} already holds points measured {what}; this "
                f"spec reads {info.dataset.path!r} ({info.rows:,} rows): name a new study",
            )


# -- describing ---------------------------------------------------------------------------


def describe_dataset(dataset: DatasetSpec | Mapping[str, Any]) -> DatasetInfo:
    """List the dataset's files and read their sizes (Parquet footers; CSV counted), and
    plan production's read (``dataset.options``) to know its partitions."""
    dataset = DatasetSpec.from_dict(dataset)
    try:
        fs, root = fsspec.core.url_to_fs(dataset.path, **dataset.storage_options)
    except TypeError as exc:
        raise SpecError("dataset.storage_options", f"not accepted by fsspec: {exc}") from exc
    except (ValueError, ImportError) as exc:
        raise SpecError("dataset.path", f"cannot open {dataset.path!r}: {exc}") from exc
    paths = list_files(fs, root, dataset.path, dataset.format)
    read = parquet_file if dataset.format == "parquet" else csv_file
    with ThreadPoolExecutor(min(8, len(paths))) as pool:  # object stores: requests overlap
        described = list(pool.map(lambda p: read(fs, p), paths))
    files = tuple(f for f, _ in described)
    schema = one_schema(paths, [s for _, s in described], dataset.format)
    rows = sum(f.rows for f in files)
    if rows == 0:
        raise SpecError("dataset.path", f"{dataset.path!r} has no rows ({len(files)} file(s))")
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    frame = production_frame(dataset)
    return DatasetInfo(
        dataset=dataset,
        protocol=protocol,
        files=files,
        rows=rows,
        bytes=sum(f.bytes for f in files),
        schema=schema,
        counted=dataset.format == "csv",
        partitions=production_partitions(dataset, files, frame),
    )


# -- sampling -----------------------------------------------------------------------------


def plan_sample(info: DatasetInfo, rows: int) -> SamplePlan:
    """The first whole partitions of production's read that come nearest ``rows``."""
    if not 0 < rows <= info.rows:
        raise ValueError(f"rows must be from 1 to the dataset's {info.rows:,}, got {rows:,}")
    best, total, best_total = 1, 0, 0
    best_miss = math.inf
    for count, part in enumerate(info.partitions, start=1):
        total += part.rows
        if total == 0:
            continue
        miss = abs(math.log(total / rows))  # in ratio: 2x over is as far as 2x under
        if miss < best_miss:
            best, best_total, best_miss = count, total, miss
        if total >= rows:
            break
    chosen = info.partitions[:best]
    return SamplePlan(
        rows_wanted=rows,
        rows=best_total,
        bytes=sum(p.bytes for p in chosen),
        partitions=tuple(range(best)),
        rows_per_partition=int(statistics.median(p.rows for p in chosen)),
        nearest=abs(best_total - rows) > MAX_OVERSHOOT * rows,
    )


def plan_samples(info: DatasetInfo, sizes: Sequence[float]) -> list[SamplePlan]:
    """Each size's plan; two sizes that read the same partitions are refused (SpecError):
    the points would be one measurement under two names."""
    plans = [plan_sample(info, rows_wanted(info, size)) for size in sizes]
    seen: dict[int, int] = {}
    for i, plan in enumerate(plans):
        j = seen.setdefault(len(plan.partitions), i)
        if j != i:
            smallest = info.partitions[0].rows / info.rows
            raise SpecError(
                f"sizes[{i}]",
                f"{sizes[i]:g} reads the same {len(plan.partitions)} whole partition(s) "
                f"({plan.rows:,} rows) as sizes[{j}] {sizes[j]:g}: production's read of this "
                f"dataset makes partitions of about {plan.rows_per_partition:,} rows "
                f"({smallest:.2%} of it each); choose sizes further apart, or set "
                "dataset.options to read smaller partitions as production would "
                "(e.g. {split_row_groups: true})",
            )
    return plans


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
