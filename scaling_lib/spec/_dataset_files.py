"""Reading what a dataset holds without loading it: its files, their rows and bytes.

Usage::

    fs, root = fsspec.core.url_to_fs("data/events/*.parquet")
    paths = list_files(fs, root, "data/events/*.parquet", "parquet")
    info, dtypes = parquet_file(fs, paths[0])     # footer only: rows, bytes per row group
    info, dtypes = csv_file(fs, "data/x.csv")      # counted: every row read once
    schema = one_schema(paths, [dtypes, ...], "parquet")

The I/O half of ``datasets.py`` (which is the API). Problems raise SpecError naming
``dataset.path`` and the file.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from typing import Any

from scaling_lib.errors import SpecError

__all__ = ["FORMATS", "FileInfo", "csv_file", "list_files", "one_schema", "parquet_file"]

FORMATS = {"parquet": (".parquet", ".parq", ".pq"), "csv": (".csv", ".csv.gz", ".csv.bz2")}
_CSV_CHUNK_ROWS = 1_000_000  # the counted pass holds one chunk at a time


@dataclass(frozen=True)
class FileInfo:
    path: str
    rows: int
    bytes: int
    row_groups: tuple[tuple[int, int], ...]  # (rows, uncompressed bytes); CSV: one entry


def list_files(fs: Any, root: str, path: str, fmt: str) -> list[str]:
    """The files a path names (a glob, a folder of ``fmt`` files, or a file), sorted."""
    try:
        if glob.has_magic(root):
            found = fs.glob(root, detail=True)
            paths = [p for p, i in found.items() if i.get("type") == "file"]
            if not paths:
                raise SpecError("dataset.path", f"no files match {path!r}")
        elif fs.isdir(root):
            ends = FORMATS[fmt]
            found = fs.find(root, detail=True)
            paths = [
                p
                for p, i in found.items()
                if i.get("type") == "file"
                and p.lower().endswith(ends)
                and not p.rsplit("/", 1)[-1].startswith(("_", "."))  # _SUCCESS, .crc
            ]
            if not paths:
                raise SpecError("dataset.path", f"folder {path!r} has no {' or '.join(ends)} files")
        elif fs.isfile(root):
            paths = [root]
        else:
            raise SpecError("dataset.path", f"no such file or folder: {path!r}")
    except OSError as exc:
        raise SpecError("dataset.path", f"cannot list {path!r}: {exc}") from exc
    return sorted(paths)


def parquet_file(fs: Any, path: str) -> tuple[FileInfo, dict[str, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with fs.open(path, "rb") as fh:
            pf = pq.ParquetFile(fh)
            meta, arrow_schema = pf.metadata, pf.schema_arrow
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise SpecError(
            "dataset.path", f"{path} is not a readable Parquet file: {type(exc).__name__}: {exc}"
        ) from exc
    groups = tuple(
        (meta.row_group(i).num_rows, meta.row_group(i).total_byte_size)
        for i in range(meta.num_row_groups)
    )
    dtypes = arrow_schema.empty_table().to_pandas().dtypes
    info = FileInfo(path, sum(r for r, _ in groups), sum(b for _, b in groups), groups)
    return info, {str(c): str(t) for c, t in dtypes.items()}


def csv_file(fs: Any, path: str) -> tuple[FileInfo, dict[str, str]]:
    import pandas as pd

    rows = size = 0
    dtypes: dict[str, str] = {}
    try:
        with (
            fs.open(path, "rb", compression="infer") as fh,
            pd.read_csv(fh, chunksize=_CSV_CHUNK_ROWS) as chunks,
        ):
            for chunk in chunks:
                rows += len(chunk)
                size += int(chunk.memory_usage(deep=True, index=False).sum())
                for column, dtype in chunk.dtypes.items():
                    dtypes[str(column)] = _wider(dtypes.get(str(column)), str(dtype))
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        # EmptyDataError is a ValueError: a file without even a header line.
        raise SpecError(
            "dataset.path", f"{path} is not a readable CSV file: {type(exc).__name__}: {exc}"
        ) from exc
    return FileInfo(path, rows, size, ((rows, size),)), dtypes


def _wider(seen: str | None, new: str) -> str:
    """One dtype for a CSV column whose chunks were parsed apart (int in one, float in
    another: float; anything else mixed: text)."""
    if seen is None or seen == new:
        return new
    numeric = {"int64", "float64", "bool"}
    return "float64" if {seen, new} <= numeric else "object"


def one_schema(paths: list[str], schemas: list[dict[str, str]], fmt: str) -> dict[str, str]:
    first = schemas[0]
    merged = dict(first)
    for path, schema in zip(paths[1:], schemas[1:], strict=True):
        if list(schema) != list(first):
            raise SpecError(
                "dataset.path",
                f"files do not share one set of columns: {paths[0]} has {list(first)}, "
                f"{path} has {list(schema)}",
            )
        for column, dtype in schema.items():
            if fmt == "csv":
                merged[column] = _wider(merged[column], dtype)
            elif dtype != first[column]:
                raise SpecError(
                    "dataset.path",
                    f"column {column!r} is {first[column]} in {paths[0]} but {dtype} in {path}",
                )
    return merged
