"""Results on an object store: a sweep writes to S3 in one process, the dashboard polls
it from another, and fresh `scaling-lib ls`/`show` processes read it.

The S3 server is moto's standalone server (a real HTTP server on 127.0.0.1, in its own
process), read and written through s3fs exactly as a user's ``s3://`` URL would be. Its
request recorder (``MOTO_ENABLE_RECORDING``) is how the test counts the requests made.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

pytest.importorskip("moto", reason="moto[server] is in the dev extra: pip install -e '.[dev]'")

from scaling_lib import ResultsStore
from scaling_lib.dashboard.state import StudyStore
from scaling_lib.store.records import CorruptRecordWarning

BUCKET = "scaling-test"
RESULTS = f"s3://{BUCKET}/results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """moto's S3 server in a subprocess on a free loopback port, recording requests."""

    def __init__(self, folder: Path):
        self.recording = folder / "requests.jsonl"
        self.log = folder / "moto.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "MOTO_ENABLE_RECORDING": "true",
            "MOTO_RECORDER_FILEPATH": str(self.recording),
        }
        # The port is free when chosen but could be taken before the server binds it:
        # try a few, each until the server answers or exits.
        for _ in range(5):
            port = _free_port()
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            self.url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2)
                    return
                except OSError:
                    time.sleep(0.1)
            self.stop()
        raise RuntimeError(f"moto server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def requests(self) -> list[tuple[str, str, dict]]:
        """(method, path, query) of every request the server has answered so far."""
        if not self.recording.exists():
            return []
        out = []
        for line in self.recording.read_text().splitlines():
            entry = json.loads(line)
            url = urlsplit(entry["url"])
            out.append((entry["method"], url.path, parse_qs(url.query)))
        return out


def _object_gets(requests, since: int) -> list[str]:
    """Keys of the objects fetched (GETs of a key, not listings) after ``since``."""
    return [
        path
        for method, path, query in requests[since:]
        if method == "GET" and path.count("/") > 1 and "list-type" not in query
    ]


@pytest.fixture
def s3(tmp_path, monkeypatch):
    """A running moto S3 server with an empty bucket; yields (server, env for subprocesses).
    Everything talks to it through the standard AWS variables: nothing leaves 127.0.0.1."""
    import s3fs

    server = S3Server(tmp_path)
    server.start()
    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # botocore (under s3fs) sends S3 requests here instead of to AWS.
        "AWS_ENDPOINT_URL_S3": server.url,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    # fsspec keeps one S3FileSystem per set of arguments: start from a new one, so it
    # reads the endpoint above, and leave none behind pointing at a stopped server.
    s3fs.S3FileSystem.clear_instance_cache()
    s3fs.S3FileSystem().mkdir(BUCKET)
    try:
        yield server
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


def _spec(tmp_path: Path, sizes: list[int]) -> str:
    path = tmp_path / f"s3-{len(sizes)}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "study": "ons3",
                "workload": "array",
                "params": {"chunks": 0},
                "sizes": sizes,
                "workers": [1],
                "repeats": 2,
                "warmup": 0,
                "baseline": False,
                "calibrate": False,
            }
        )
    )
    return str(path)


def _cli(cli, cli_env, *args):
    done = subprocess.run([*cli, *args], capture_output=True, text=True, env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_sweep_on_s3_shows_up_in_one_poll_and_in_fresh_cli_processes(s3, tmp_path, cli, cli_env):
    cli_env.update({k: v for k, v in os.environ.items() if k.startswith(("AWS_", "NO_PROXY"))})

    # A first sweep (another process) creates the study with one point.
    _cli(cli, cli_env, "run", _spec(tmp_path, [200]), "--results", RESULTS, "--no-progress")

    # The dashboard opens it: its listing of the records folder is now in fsspec's cache.
    store = StudyStore(results=RESULTS, studies=["ons3"])
    assert store.studies == ["ons3"]
    assert sorted(store.records["size"]) == [200, 200]
    assert store.poll() is False

    # The sweep goes on in another process: the second size is a new point, a new file.
    done = _cli(
        cli, cli_env, "run", _spec(tmp_path, [200, 400]), "--results", RESULTS, "--no-progress"
    )
    assert "1 points measured" in done.stdout, done.stdout

    # ONE poll sees it, and fetches only the new file (the first one is parsed already).
    before = len(s3.requests())
    assert store.poll() is True
    assert sorted(store.records["size"]) == [200, 200, 400, 400]
    fetched = _object_gets(s3.requests(), before)
    assert len(fetched) == 1 and fetched[0].endswith(".json"), fetched
    assert "/results/ons3/records/" in fetched[0]

    # Fresh processes (nothing cached) list and summarise both points, reading each
    # record file exactly once and never asking for a file's metadata one by one.
    before = len(s3.requests())
    listed = json.loads(_cli(cli, cli_env, "ls", "--results", RESULTS, "--json").stdout)
    assert [(s["study"], s["points"], s["runs"], s["ok"]) for s in listed] == [("ons3", 2, 4, 4)]
    requests = s3.requests()
    fetched = _object_gets(requests, before)
    record_gets = [p for p in fetched if "/records/" in p]
    assert len(record_gets) == len(set(record_gets)) == 2, fetched
    assert not [p for m, p, _ in requests[before:] if m == "HEAD" and "/records/" in p]

    shown = json.loads(_cli(cli, cli_env, "show", "ons3", "--results", RESULTS, "--json").stdout)
    assert sorted((row["size"], row["runs"], row["status"]) for row in shown) == [
        (200, 2, "ok:2"),
        (400, 2, "ok:2"),
    ]


def test_a_corrupt_object_is_named_and_the_others_load(s3, tmp_path, cli, cli_env):
    import s3fs

    cli_env.update({k: v for k, v in os.environ.items() if k.startswith(("AWS_", "NO_PROXY"))})
    writer = ResultsStore(RESULTS)
    good = [
        {
            "study": "mixed",
            "point_id": f"p{i}",
            "repeat": 0,
            "timestamp": f"2026-11-24T10:00:0{i}+00:00",
            "status": "ok",
            "workload": "array",
            "backend": "cpu",
            "wall_s": 1.0 + i,
        }
        for i in range(4)
    ]
    for rec in good[:3]:
        writer.append("mixed", rec["point_id"], [rec])
    store = StudyStore(results=RESULTS, studies=["mixed"])
    assert len(store.records) == 3

    bad = f"{BUCKET}/results/mixed/records/p9-broken.json"
    s3fs.S3FileSystem().pipe_file(bad, b'{"schema_version": 1, "records": [{"point_')
    writer.append("mixed", "p3", [good[3]])

    with pytest.warns(CorruptRecordWarning, match="p9-broken.json"):
        assert store.poll() is True
    assert sorted(store.records["point_id"]) == ["p0", "p1", "p2", "p3"]

    # A fresh process: the same file named on stderr, every good record still counted.
    done = _cli(cli, cli_env, "ls", "--results", RESULTS, "--json")
    assert "p9-broken.json" in done.stderr
    assert [(s["study"], s["runs"]) for s in json.loads(done.stdout)] == [("mixed", 4)]


def test_a_parquet_dataset_on_s3_is_described_from_footers_and_sampled(s3):
    """The issue's own example: a dataset at an s3:// URL, read through fsspec."""
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import s3fs

    from scaling_lib import DatasetSpec, describe_dataset
    from scaling_lib.spec.datasets import plan_sample, rows_wanted
    from scaling_lib.workloads.dataset import read_sample

    fs = s3fs.S3FileSystem()
    for f in range(3):
        table = pa.table({"user": np.arange(1000) % 7, "amount": np.full(1000, float(f))})
        buffer = io.BytesIO()
        pq.write_table(table, buffer, row_group_size=250)
        fs.pipe_file(f"{BUCKET}/events/part-{f}.parquet", buffer.getvalue())
    fs.pipe_file(f"{BUCKET}/events/_SUCCESS", b"")

    spec = DatasetSpec(path=f"s3://{BUCKET}/events/*.parquet", options={"split_row_groups": True})
    info = describe_dataset(spec)
    assert info.rows == 3000 and len(info.files) == 3
    assert [p.rows for p in info.partitions] == [250] * 12  # production's read: row groups
    plan = plan_sample(info, rows_wanted(info, 0.5))  # 1.5 files: whole row groups
    assert plan.partitions == tuple(range(6)) and plan.rows == 1500
    sample = read_sample(info, plan).compute(scheduler="sync")
    assert len(sample) == 1500
    assert sorted(sample["amount"].unique()) == [0.0, 1.0]  # the first files, in order
