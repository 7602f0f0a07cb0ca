"""Shared fixtures: real clusters, real stores on disk."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def results_dir(tmp_path: Path) -> str:
    return str(tmp_path / "results")


@pytest.fixture(scope="module")
def two_workers():
    """A real LocalCluster (2 worker processes, 1 thread each), shared by a module."""
    from scaling_lib.run.clusters import open_cluster
    from scaling_lib.spec.study import ClusterSpec

    session = open_cluster(ClusterSpec(), n_workers=2, threads_per_worker=1, memory_limit=2**30)
    yield session
    session.close()


@pytest.fixture
def cli_env() -> dict[str, str]:
    """Environment for `scaling-lib` subprocesses: the tests package importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture
def cli() -> list[str]:
    return [sys.executable, "-m", "scaling_lib.cli"]


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``gpu`` on machines without an NVIDIA GPU, saying why."""
    if not any("gpu" in item.keywords for item in items):
        return
    from scaling_lib.run.clusters import gpu_count

    if gpu_count() > 0:
        return
    skip = pytest.mark.skip(
        reason="no NVIDIA GPU here (NVML found none): run `make gpu-check` on a GPU machine"
    )
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
