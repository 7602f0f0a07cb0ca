"""Datasets as the size axis: a user's Parquet or CSV files, described and sampled.

Usage::

    ds = DatasetSpec(path="data/events/*.parquet", format="parquet")  # or csv; fsspec URLs
    info = describe_dataset(ds)        # files, rows per row group, total rows and bytes
    info.rows, info.bytes, info.schema, info.counted
    plan = plan_sample(info, rows_wanted(info, 0.25))
    plan.method, plan.rows, plan.pieces   # "row-groups": whole files, then row groups

In a study spec the section reads ``dataset: {path: ..., format: parquet}`` with the
optional ``storage_options`` (passed to fsspec), ``sample`` ("fraction", the default:
sizes are fractions in (0, 1]; or "rows": sizes are row counts) and ``seed``.

Parquet is described from its footers only (rows and uncompressed bytes per row group,
the schema); CSV has no footer, so its rows and in-memory bytes are counted by reading
every file once (``DatasetInfo.counted`` says so). A sample is deterministic: whole
pieces (row groups of Parquet files, whole CSV files) in sorted order until it holds
the rows wanted, so it matches the size within one piece and reads as a real pipeline
reads. Where whole pieces would overshoot the rows wanted by more than MAX_OVERSHOOT
(one file of one row group and a 1% sample), a seeded row sample spread over the
pieces instead (``plan.method`` says which). Listing files and reading footers is
``dataset_files.py``'s part.

Every problem raises :class:`~scaling_lib.errors.SpecError` naming the field
(``dataset.path: no files match 'data/*.parquet'``). Reading the sample on a cluster
is ``workloads/dataset.py``'s job; nothing here starts one.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
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

__all__ = [
    "DatasetInfo",
    "DatasetSpec",
    "FileInfo",
    "Piece",
    "SamplePlan",
    "check_same_dataset",
    "check_sample_sizes",
    "check_sizes_against",
    "describe_dataset",
    "plan_sample",
    "rows_wanted",
]

SAMPLES = ("fraction", "rows")
# Whole pieces may overshoot the rows wanted by at most this much: sizes are usually a
# doubling grid, and 25% over stays well nearer its own size than the next (x1.41 is
# halfway in log). Coarser pieces than that get a seeded row sample instead.
MAX_OVERSHOOT = 0.25
_FIELDS = ("path", "format", "storage_options", "sample", "seed")


@dataclass(frozen=True, kw_only=True)
class DatasetSpec:
    """Where the data is and how to sample it; validated when made (SpecError).

    ``format`` may be left out where the path ends in .parquet or .csv.
    """

    path: str
    format: str | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)
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
class Piece:
    """The unit a sample is made of: a Parquet row group, or a whole CSV file.

    ``take`` is None to read all its rows, or how many rows of it a seeded sample keeps.
    """

    number: int  # position among all pieces of the dataset: seeds its row sample
    path: str  # as the dataset's filesystem names it (no protocol)
    row_group: int | None
    rows: int
    bytes: int
    take: int | None = None


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

    @property
    def pieces(self) -> list[Piece]:
        out = []
        for f in self.files:
            for i, (rows, size) in enumerate(f.row_groups):
                if rows:  # an empty row group adds nothing to any sample
                    group = i if self.dataset.format == "parquet" else None
                    out.append(Piece(len(out), f.path, group, rows, size))
        return out

    def __repr__(self) -> str:
        return (
            f"<DatasetInfo {self.dataset.path!r}: {len(self.files)} file(s), {self.rows:,} rows, "
            f"{self.bytes:,} bytes in memory{' (counted)' if self.counted else ''}>"
        )


@dataclass(frozen=True)
class SamplePlan:
    """Which pieces (and rows of them) one point reads: ``method`` is "row-groups" (or
    "files" for CSV): whole pieces in order; or "seeded-rows"."""

    method: str
    rows_wanted: int
    rows: int
    bytes: int
    seed: int
    pieces: tuple[Piece, ...]


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
    """List the dataset's files and read their sizes (Parquet footers; CSV counted)."""
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
    return DatasetInfo(
        dataset=dataset,
        protocol=protocol,
        files=files,
        rows=rows,
        bytes=sum(f.bytes for f in files),
        schema=schema,
        counted=dataset.format == "csv",
    )


# -- sampling -----------------------------------------------------------------------------


def plan_sample(info: DatasetInfo, rows: int, seed: int | None = None) -> SamplePlan:
    """Which pieces hold a deterministic sample of ``rows`` rows (see the module docstring).

    ``seed`` (default: the dataset's) only matters for a seeded row sample.
    """
    seed = info.dataset.seed if seed is None else seed
    if not 0 < rows <= info.rows:
        raise ValueError(f"rows must be from 1 to the dataset's {info.rows:,}, got {rows:,}")
    pieces = info.pieces
    taken, total = [], 0
    for piece in pieces:
        if total >= rows:
            break
        taken.append(piece)
        total += piece.rows
    if total - rows <= MAX_OVERSHOOT * rows:
        method = "row-groups" if info.dataset.format == "parquet" else "files"
        size = sum(p.bytes for p in taken)
        return SamplePlan(method, rows, total, size, seed, tuple(taken))
    import numpy as np

    # How many rows each piece gives, as drawing ``rows`` rows from all without
    # replacement would; the rows within a piece are drawn when it is read.
    counts = np.random.default_rng(seed).multivariate_hypergeometric([p.rows for p in pieces], rows)
    chosen = tuple(
        dataclasses.replace(p, take=int(c), bytes=round(p.bytes * int(c) / p.rows))
        for p, c in zip(pieces, counts, strict=True)
        if c
    )
    return SamplePlan("seeded-rows", rows, rows, sum(p.bytes for p in chosen), seed, chosen)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
