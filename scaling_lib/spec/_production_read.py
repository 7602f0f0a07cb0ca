"""The user's production read of a dataset, and the partitions it makes.

Usage::

    frame = production_frame(dataset)          # dd.read_parquet(path, **dataset.options)
    parts = production_partitions(dataset, files, frame)
    parts[0].rows, parts[0].bytes, parts[0].where   # from the footers, nothing read

A sample is the production job in miniature: the same reader (``dask.dataframe``'s
``read_parquet`` or ``read_csv``), the same options, so the same dtypes (pyarrow
strings, unknown categories) and the same partitions, only fewer of them. Which rows
and bytes each partition holds is read from Dask's own plan of the read (for Parquet:
the file and row groups of each partition) against the footers, so nothing is read.
For CSV, Dask splits each file into byte blocks: a block's rows are estimated as its
share of the file's counted rows (``estimated`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scaling_lib.errors import SpecError

__all__ = ["Partition", "check_reader_options", "production_frame", "production_partitions"]

# Options the dataset section itself supplies: the reader must not be given them twice.
_OWN_OPTIONS = ("path", "urlpath", "storage_options")


@dataclass(frozen=True)
class Partition:
    """One partition of the production read: its rows and in-memory bytes."""

    rows: int
    bytes: int
    where: str  # "part-0.parquet", "part-0.parquet row groups 2-3", "a.csv block 1/4"


def check_reader_options(options: Any) -> dict[str, Any]:
    """The ``dataset.options`` mapping (keyword arguments of the reader), checked."""
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        raise SpecError(
            "dataset.options",
            "must be a mapping of the reader's keyword arguments (dask.dataframe.read_parquet "
            f"or read_csv), such as {{split_row_groups: true}}, got {options!r}",
        )
    for key in options:
        if key in _OWN_OPTIONS:
            raise SpecError(
                f"dataset.options.{key}",
                "is set by the dataset section itself (path, storage_options)",
            )
    return dict(options)


def production_frame(dataset: Any, columns: Sequence[str] | None = None) -> Any:
    """The whole dataset as production reads it: a lazy ``dask.dataframe`` (footers only).

    Bad reader options raise SpecError naming ``dataset.options``.
    """
    import dask.dataframe as dd

    options = dict(dataset.options)
    _check_names(dataset.format, options)
    if columns is not None:
        options["columns"] = list(columns)
    reader = dd.read_parquet if dataset.format == "parquet" else dd.read_csv
    try:
        return reader(dataset.path, storage_options=dict(dataset.storage_options), **options)
    except TypeError as exc:
        raise SpecError(
            "dataset.options", f"not accepted by dask.dataframe.{reader.__name__}: {exc}"
        ) from exc
    except (ValueError, OSError, KeyError) as exc:
        raise SpecError(
            "dataset.options",
            f"dask.dataframe.{reader.__name__}({dataset.path!r}, **{options!r}) failed: "
            f"{type(exc).__name__}: {exc}",
        ) from exc


def _check_names(fmt: str, options: Mapping[str, Any]) -> None:
    """Refuse an option the reader does not take: ``read_parquet`` would pass it on
    silently, and a misspelt ``split_row_groups`` would change nothing but the forecast."""
    import inspect

    import dask.dataframe as dd

    reader = dd.read_parquet if fmt == "parquet" else dd.read_csv
    known = set(inspect.signature(reader).parameters)
    if fmt == "csv":
        import pandas as pd

        known |= set(inspect.signature(pd.read_csv).parameters)  # passed on to pandas
    for key in options:
        if key not in known:
            raise SpecError(
                f"dataset.options.{key}",
                f"is not an option of dask.dataframe.{reader.__name__}",
            )


def production_partitions(dataset: Any, files: Sequence[Any], frame: Any) -> tuple[Partition, ...]:
    """Rows and bytes of each partition of ``frame`` (the production read), in order."""
    if dataset.format == "parquet":
        return _parquet_partitions(files, frame)
    return _csv_partitions(dataset, files, frame.npartitions)


def _parquet_partitions(files: Sequence[Any], frame: Any) -> tuple[Partition, ...]:
    by_path = {_strip(f.path): f for f in files}
    try:
        parts = frame.expr._plan["parts"]  # Dask's own plan: [{"piece": (path, groups, _)}]
        pieces = [part["piece"] for part in parts]
    except (AttributeError, KeyError, TypeError) as exc:
        raise SpecError(
            "dataset.options",
            "cannot tell which row groups each partition of dask.dataframe.read_parquet "
            f"holds with these options ({type(exc).__name__}: {exc}); leave out the options "
            "that merge or filter partitions",
        ) from exc
    out = []
    for path, groups, *_ in pieces:
        info = by_path.get(_strip(path))
        if info is None:
            raise SpecError("dataset.path", f"read_parquet reads {path}, which was not described")
        chosen = range(len(info.row_groups)) if groups is None else list(groups)
        rows = sum(info.row_groups[g][0] for g in chosen)
        size = sum(info.row_groups[g][1] for g in chosen)
        name = _strip(path).rsplit("/", 1)[-1]
        if groups is not None and len(info.row_groups) > 1:
            first, last = min(chosen), max(chosen)
            name += f" row group {first}" if first == last else f" row groups {first}-{last}"
        out.append(Partition(rows, size, name))
    return tuple(out)


def _csv_partitions(dataset: Any, files: Sequence[Any], npartitions: int) -> tuple[Partition, ...]:
    """CSV: Dask reads each file in blocks of ``blocksize`` bytes on disk; a block's rows
    and bytes are its share of the file's counted ones."""
    import fsspec
    from dask.dataframe.io.csv import AUTO_BLOCKSIZE

    blocksize = dataset.options.get("blocksize", "default")
    if blocksize == "default":
        blocksize = AUTO_BLOCKSIZE
    fs, _ = fsspec.core.url_to_fs(dataset.path, **dataset.storage_options)
    compressed = dataset.options.get("compression", "infer") not in (None, "infer") or any(
        f.path.endswith((".gz", ".bz2")) for f in files
    )
    if blocksize is None or compressed:
        blocks = [1] * len(files)  # one partition per file
    else:
        from dask.utils import parse_bytes

        size = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
        blocks = [max(1, math.ceil(fs.size(f.path) / size)) for f in files]
    if sum(blocks) != npartitions:  # not Dask's split after all: spread evenly
        total_rows, total_bytes = sum(f.rows for f in files), sum(f.bytes for f in files)
        return tuple(
            Partition(
                total_rows // npartitions,
                total_bytes // npartitions,
                f"block {i + 1}/{npartitions}",
            )
            for i in range(npartitions)
        )
    out = []
    for info, n in zip(files, blocks, strict=True):
        name = _strip(info.path).rsplit("/", 1)[-1]
        for i in range(n):
            rows = info.rows * (i + 1) // n - info.rows * i // n
            size = info.bytes * (i + 1) // n - info.bytes * i // n
            out.append(Partition(rows, size, name if n == 1 else f"{name} block {i + 1}/{n}"))
    return tuple(out)


def _strip(path: str) -> str:
    """A path without its protocol, as fsspec's listing names it."""
    return str(path).split("://", 1)[-1]
