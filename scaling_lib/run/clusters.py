"""Opening the Dask cluster a study runs on, one worker count at a time.

Usage::

    with open_cluster(spec.cluster, n_workers=2, threads_per_worker=1,
                      memory_limit=2 * 2**30) as session:
        session.client.submit(...)
        session.restart()          # after a failure: fresh workers (in place where we can)

Backends: ``local`` (LocalCluster of processes), ``cuda`` (dask_cuda.LocalCUDACluster,
imported only here and only after NVML confirms a GPU), ``address`` (an existing
scheduler; tasks are confined to ``n_workers`` of its workers) and ``class`` (any
cluster class by import path, sized with ``scale(n)``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dask

from scaling_lib.errors import ClusterError
from scaling_lib.spec.study import ClusterSpec

__all__ = ["ClusterSession", "gpu_count", "open_cluster"]

# Config our clusters start with. allowed-failures=1: a task that kills its worker
# (out of memory) fails fast with KilledWorker instead of killing three more.
# A 100 ms system monitor gives the per-worker memory peak enough samples.
CLUSTER_CONFIG = {
    "distributed.scheduler.allowed-failures": 1,
    "distributed.admin.system-monitor.interval": "100ms",
}


@dataclass
class ClusterSession:
    """A client on a cluster with a known worker count, restartable after failures."""

    spec: ClusterSpec
    n_workers: int
    threads_per_worker: int
    memory_limit: int
    client: Any = None
    cluster: Any = None
    workers: list[str] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return "gpu" if self.spec.backend == "cuda" else "cpu"

    @property
    def dashboard_link(self) -> str | None:
        try:
            return self.client.dashboard_link
        except Exception:
            return None

    def start(self) -> ClusterSession:
        # Import first: distributed adds its defaults to dask's config on import, and a
        # config.set entered before that would remove them all again on exit.
        import distributed  # noqa: F401

        with dask.config.set(CLUSTER_CONFIG):
            starter = {
                "local": self._start_local,
                "cuda": self._start_cuda,
                "address": self._start_address,
                "class": self._start_class,
            }[self.spec.backend]
            starter()
        return self

    def restart(self) -> str:
        """Fresh workers after a failure (a dead, paused or polluted worker); says how.

        Clusters started here (``local``, ``cuda``) are recreated: it takes about as long
        as a restart, and nothing else runs on them. A cluster class (SLURM, Kubernetes)
        keeps its scheduler and its jobs: the nannies restart the workers in place, and
        the cluster is recreated (jobs resubmitted) only if that fails. An existing
        cluster (``address``) is restarted in place or the sweep stops with a ClusterError.
        """
        if self.spec.backend in ("local", "cuda"):
            self.close()
            self.start()
            return "recreated the cluster"
        try:
            self._restart_workers()
        except Exception as exc:  # the scheduler is gone, or workers never came back
            if self.spec.backend != "class":
                raise ClusterError(
                    f"could not restart the workers at {self._where}: {exc}"
                ) from exc
            self.close()
            self.start()
            return f"recreated the cluster (restarting its workers failed: {exc})"
        return f"restarted the workers in place ({self.client.scheduler.address})"

    def _restart_workers(self) -> None:
        timeout = self.spec.connect_timeout_s
        # Not wait_for_workers=True: that waits for every worker that was there, and a
        # worker whose job died would never return. Wait for the count we need instead.
        self.client.restart(timeout=timeout, wait_for_workers=False)
        if self.cluster is not None:
            self.cluster.scale(self.n_workers)  # a cluster class resubmits a dead job
        self.client.wait_for_workers(self.n_workers, timeout=timeout)
        self._pick_workers()

    def close(self) -> None:
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        with contextlib.suppress(Exception):
            if client is not None:
                client.close()
        with contextlib.suppress(Exception):
            if cluster is not None:
                cluster.close()

    def __enter__(self) -> ClusterSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def confined(self) -> Iterator[None]:
        """Keep this client's tasks on this session's workers.

        Clusters we start have exactly ``n_workers``. An existing cluster may have more,
        or gain more while a point runs (workers still joining), so there every point
        is confined, whatever the count says at the start.
        """
        if self.spec.backend in ("local", "cuda"):
            yield
            return
        from scaling_lib.run.confine import ConfineToWorkers

        try:
            self.client.register_plugin(ConfineToWorkers(self.client.id, self.workers))
        except Exception as exc:  # e.g. the scheduler cannot import scaling_lib
            raise ClusterError(
                f"cannot confine tasks to {self.n_workers} of the workers at {self._where}: "
                f"{exc}. Install scaling_lib where the scheduler runs."
            ) from exc
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.client.unregister_scheduler_plugin(ConfineToWorkers.name)

    # -- backends ---------------------------------------------------------------------
    def _start_local(self) -> None:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=self.n_workers,
            threads_per_worker=self.threads_per_worker,
            memory_limit=self.memory_limit,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            **dict(self.spec.kwargs),
        )
        self.client = Client(self.cluster)
        self._wait_and_pick()

    def _start_cuda(self) -> None:
        count = gpu_count()
        if count == 0:
            raise ClusterError(
                "backend 'cuda' needs an NVIDIA GPU, and NVML found none on this machine "
                "(install with `pip install -e .[gpu]` on a GPU host)"
            )
        if self.n_workers > count:
            raise ClusterError(f"backend 'cuda': {self.n_workers} workers asked, {count} GPUs here")
        try:
            from dask_cuda import LocalCUDACluster
        except ImportError as exc:
            raise ClusterError(
                f"backend 'cuda' needs dask-cuda: pip install -e .[gpu] ({exc})"
            ) from exc
        from distributed import Client

        visible = ",".join(str(i) for i in range(self.n_workers))
        self.cluster = LocalCUDACluster(
            CUDA_VISIBLE_DEVICES=visible,
            threads_per_worker=self.threads_per_worker,
            memory_limit=self.memory_limit,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            **dict(self.spec.kwargs),
        )
        self.client = Client(self.cluster)
        self._wait_and_pick()

    def _start_address(self) -> None:
        from distributed import Client

        timeout = self.spec.connect_timeout_s
        try:
            if self.spec.scheduler_file:
                # Client(scheduler_file=missing) waits forever: check ourselves, with a deadline.
                _wait_for_file(self.spec.scheduler_file, timeout)
                self.client = Client(scheduler_file=self.spec.scheduler_file, timeout=timeout)
            else:
                self.client = Client(self.spec.address, timeout=timeout)
        except ClusterError:
            raise
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {self._where} within {timeout:g} s: {exc}"
            ) from exc
        self._wait_and_pick()

    def _start_class(self) -> None:
        from distributed import Client

        cls = _import_class(self.spec.class_path or "")
        try:
            self.cluster = cls(**dict(self.spec.kwargs))
        except Exception as exc:
            raise ClusterError(f"{self.spec.class_path}(**kwargs) failed: {exc}") from exc
        self.cluster.scale(self.n_workers)
        self.client = Client(self.cluster)
        self._wait_and_pick()

    # -- helpers ----------------------------------------------------------------------
    @property
    def _where(self) -> str:
        return self.spec.address or self.spec.scheduler_file or self.spec.kind

    def _wait_and_pick(self) -> None:
        try:
            self.client.wait_for_workers(self.n_workers, timeout=self.spec.connect_timeout_s)
        except Exception as exc:
            have = len(self.client.scheduler_info(n_workers=-1)["workers"])
            self.close()
            raise ClusterError(
                f"asked for {self.n_workers} workers at {self._where}, {have} arrived within "
                f"{self.spec.connect_timeout_s:g} s ({type(exc).__name__})"
            ) from exc
        self._pick_workers()
        _warn_oversubscription(self.n_workers, self.threads_per_worker, self.spec.backend)

    def _pick_workers(self) -> None:
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        self.workers = sorted(info)[: self.n_workers]


def open_cluster(
    spec: ClusterSpec, *, n_workers: int, threads_per_worker: int, memory_limit: int
) -> ClusterSession:
    """Start (or connect to) a cluster and wait for its workers."""
    return ClusterSession(
        spec=spec,
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        memory_limit=memory_limit,
    ).start()


def oversubscribed(n_workers: int, threads_per_worker: int, backend: str) -> bool:
    """True when a local cluster would run more threads than this host has cores."""
    return backend in ("local", "cuda") and n_workers * threads_per_worker > (os.cpu_count() or 1)


def _warn_oversubscription(n_workers: int, threads_per_worker: int, backend: str) -> None:
    if oversubscribed(n_workers, threads_per_worker, backend):
        warnings.warn(
            f"{n_workers} workers x {threads_per_worker} threads > {os.cpu_count()} cores: "
            "runs are oversubscribed and will not scale; recorded as oversubscribed",
            RuntimeWarning,
            stacklevel=4,
        )


def gpu_count() -> int:
    """Number of NVIDIA GPUs NVML sees; 0 without the driver or nvidia-ml-py."""
    try:
        import pynvml
    except ImportError:
        return 0
    try:
        pynvml.nvmlInit()
        try:
            return int(pynvml.nvmlDeviceGetCount())
        finally:
            pynvml.nvmlShutdown()
    except pynvml.NVMLError:
        return 0


def _import_class(path: str) -> type:
    module_name, _, name = path.replace(":", ".").rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ClusterError(f"cannot import cluster class {path!r}: {exc}") from exc


def _wait_for_file(path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise ClusterError(f"scheduler file {path} did not appear within {timeout:g} s")
        time.sleep(0.05)
