"""The `address` backend against a real `dask scheduler` and `dask worker` processes,
the `class` backend, and the errors for clusters that cannot be reached."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaling_lib import ClusterError, load_results, run_study
from scaling_lib.run.clusters import gpu_count

DASK = shutil.which("dask", path=str(Path(sys.executable).parent))


@pytest.fixture
def external_cluster(tmp_path):
    """`dask scheduler` + two `dask worker` processes on loopback, as a user would start them."""
    scheduler_file = tmp_path / "scheduler.json"
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(scheduler_file),
                *common,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    "--scheduler-file",
                    str(scheduler_file),
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "1GiB",
                    "--host",
                    "127.0.0.1",
                    *common,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    yield scheduler_file
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_address_backend_runs_on_an_existing_cluster(external_cluster, results_dir):
    summary = run_study(
        {
            "study": "ext",
            "workload": "dataframe",
            "params": {"partitions": 6, "keys": 100},
            "sizes": [30_000, 60_000],
            "workers": [1, 2],
            "repeats": 2,
            "baseline": False,
            "cluster": {
                "backend": "address",
                "scheduler_file": str(external_cluster),
                "connect_timeout_s": 30,
            },
        },
        results=results_dir,
        progress=False,
    )
    assert summary.statuses == {"ok": 8}
    df = load_results(results_dir, "ext")
    assert set(df["cluster_kind"]) == {"address"}
    # Confined to one of the two workers, nothing crosses between workers...
    assert (df.loc[df.n_workers == 1, "bytes_transferred"] == 0).all()
    # ...and on both, the shuffle join does.
    assert (df.loc[df.n_workers == 2, "bytes_transferred"] > 0).all()


def test_unreachable_scheduler_is_a_clear_error_and_fast(results_dir):
    import dask

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Dask's own connect timeout (30 s by default) set to an hour: a run that did not pass
    # connect_timeout_s on would wait that long. So the bound below can be generous (a
    # loaded 2-core machine spends seconds on the sweep's set-up) and still catch it.
    started = time.perf_counter()
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "3600s"}),
        pytest.raises(
            ClusterError,
            match=rf"cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 2 s",
        ),
    ):
        run_study(
            {
                "study": "x",
                "workload": "array",
                "sizes": [100],
                "workers": [1],
                "baseline": False,
                "cluster": {
                    "backend": "address",
                    "address": f"tcp://127.0.0.1:{port}",
                    "connect_timeout_s": 2,
                },
            },
            results=results_dir,
            progress=False,
        )
    assert time.perf_counter() - started < 120


def test_missing_scheduler_file_does_not_hang(tmp_path, results_dir):
    with pytest.raises(ClusterError, match="did not appear within 1 s"):
        run_study(
            {
                "study": "x",
                "workload": "array",
                "sizes": [100],
                "workers": [1],
                "baseline": False,
                "cluster": {
                    "backend": "address",
                    "scheduler_file": str(tmp_path / "none.json"),
                    "connect_timeout_s": 1,
                },
            },
            results=results_dir,
            progress=False,
        )


def class_spec(study, workload="array", **kwargs):
    return {
        "study": study,
        "workload": workload,
        "params": {"chunks": 50},
        "sizes": [200],
        "workers": [1, 2],
        "repeats": 1,
        "baseline": False,
        "cluster": {
            "backend": "class",
            "class_path": "distributed.LocalCluster",
            "kwargs": {
                "n_workers": 0,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": "127.0.0.1:0",
                **kwargs,
            },
        },
    }


def test_class_backend_builds_and_scales_a_cluster_class(results_dir):
    run_study(class_spec("cls"), results=results_dir, progress=False)
    df = load_results(results_dir, "cls")
    assert list(df["status"]) == ["ok", "ok"]
    assert set(df["cluster_kind"]) == {"class:distributed.LocalCluster"}
    # GPU figures come from the workers' own monitors: none here, where NVML sees no GPU.
    if gpu_count() == 0:
        assert df[["gpu_utilization", "gpu_memory_peak_bytes", "gpu_model"]].isna().all().all()


def note_cluster(client, size, log="", bad_size=2):
    """A workload that notes the scheduler and worker pids it ran on; raises at ``bad_size``."""
    seen = {"size": size, "scheduler": client.scheduler.address}
    seen["pids"] = sorted(client.run(os.getpid).values())
    with open(log, "a") as f:
        f.write(json.dumps(seen) + "\n")
    if size == bad_size:
        raise ValueError(f"planted failure at size {size}")
    return {"items": client.submit(abs, size, pure=False).result()}


def _sweep_noting_clusters(tmp_path, results_dir, timeout, **cluster_kwargs):
    log = tmp_path / "seen.jsonl"
    spec = class_spec("restart", f"{__name__}:note_cluster", **cluster_kwargs)
    spec.update(sizes=[1, 2, 3], workers=[2], warmup=0, params={"log": str(log)})
    spec["cluster"]["connect_timeout_s"] = timeout
    said = []
    summary = run_study(spec, results=results_dir, progress=False, log=said.append)
    seen = {row["size"]: row for row in map(json.loads, log.read_text().splitlines())}
    return summary, seen, said


def test_class_cluster_restarts_its_workers_in_place_after_a_failed_point(tmp_path, results_dir):
    summary, seen, said = _sweep_noting_clusters(tmp_path, results_dir, timeout=60)
    assert summary.statuses == {"ok": 2, "failed": 1}
    # The same cluster (scheduler) throughout: not torn down and recreated...
    assert seen[1]["scheduler"] == seen[2]["scheduler"] == seen[3]["scheduler"]
    # ...with fresh worker processes after the failure, and the next point ran on them.
    assert seen[1]["pids"] == seen[2]["pids"]
    assert not set(seen[3]["pids"]) & set(seen[2]["pids"])
    assert len(seen[3]["pids"]) == 2
    assert any("restarted the workers in place" in line for line in said), said
    df = load_results(results_dir, "restart").set_index("size")
    assert df.loc[3, "status"] == "ok" and df.loc[2, "status"] == "failed"


def test_class_cluster_is_recreated_when_its_workers_cannot_restart(tmp_path, results_dir):
    # Workers without nannies (threads in this process) cannot be restarted in place: the
    # restart waits connect_timeout_s for workers that never come back, then recreates.
    summary, seen, said = _sweep_noting_clusters(tmp_path, results_dir, timeout=10, processes=False)
    assert summary.statuses == {"ok": 2, "failed": 1}
    assert seen[1]["scheduler"] == seen[2]["scheduler"] != seen[3]["scheduler"]
    assert any("recreated the cluster (restarting its workers failed" in s for s in said), said
    assert load_results(results_dir, "restart").set_index("size").loc[3, "status"] == "ok"


def test_cuda_backend_without_a_gpu_says_so(results_dir):
    if gpu_count():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ClusterError, match="needs an NVIDIA GPU"):
        run_study(
            {
                "study": "g",
                "workload": "array",
                "sizes": [100],
                "workers": [1],
                "baseline": False,
                "cluster": {"backend": "cuda"},
            },
            results=results_dir,
            progress=False,
        )
