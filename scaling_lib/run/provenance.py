"""Where a record was measured: host, cores, memory, package versions, git commit.

Usage::

    provenance()   # {"host": ..., "host_cores": 2, "versions": {...}, "git_commit": ...}
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

__all__ = ["provenance"]

_PACKAGES = ("scaling-lib", "dask", "distributed", "numpy", "pandas", "pyarrow", "dask-cuda")


@functools.cache
def provenance() -> dict[str, Any]:
    """Facts about this host and software, computed once per process."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    return {
        "host": platform.node(),
        "host_cores": os.cpu_count(),
        "host_memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": _git_commit(Path(__file__).resolve().parents[2]),
    }


def _git_commit(folder: Path) -> str | None:
    """HEAD of the project's checkout, with '-dirty' when files differ; None outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head
