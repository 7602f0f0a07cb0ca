"""The results store on a real disk: append, load, concurrent reads, corrupt files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scaling_lib import ResultsStore, StoreError, load_results
from scaling_lib.store import SCHEMA_VERSION, CorruptRecordWarning


def records(point: str, n: int = 3, **extra):
    return [
        {
            "schema_version": SCHEMA_VERSION,
            "study": "s",
            "point_id": point,
            "repeat": r,
            "timestamp": f"2026-11-24T10:00:0{r}+00:00",
            "status": "ok",
            "params": {"chunks": 4},
            "wall_s": 1.0 + r,
            **extra,
        }
        for r in range(n)
    ]


def test_append_and_load_round_trip(results_dir):
    store = ResultsStore(results_dir)
    store.append("s", "p1", records("p1"))
    store.append("s", "p2", records("p2", 2))
    df = load_results(results_dir, study="s")
    assert len(df) == 5
    assert set(df["point_id"]) == {"p1", "p2"}
    assert (df["param.chunks"] == 4).all()
    assert store.studies() == ["s"]
    assert store.point_ids("s") == {"p1", "p2"}


def test_files_are_never_overwritten(results_dir):
    store = ResultsStore(results_dir)
    a = store.append("s", "p1", records("p1"))
    b = store.append("s", "p1", records("p1"))
    assert a != b and Path(a).exists() and Path(b).exists()


def test_point_ids_by_status(results_dir):
    store = ResultsStore(results_dir)
    store.append("s", "good", records("good"))
    store.append("s", "bad", [*records("bad", 1), {**records("bad", 1)[0], "status": "oom"}])
    assert store.point_ids("s", statuses={"ok"}) == {"good"}


def test_reader_sees_whole_points_while_a_writer_appends(results_dir):
    store = ResultsStore(results_dir)
    stop = threading.Event()

    def writer():
        for i in range(300):
            store.append("s", f"p{i}", records(f"p{i}", 3))
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = []
    while not stop.is_set():
        df = ResultsStore(results_dir).load("s")  # a second reader, as the dashboard is
        seen.append(len(df))
        # Whole points only: every point read has all three of its records.
        assert len(df) % 3 == 0
        if len(df):
            assert (df.groupby("point_id").size() == 3).all()
    thread.join()
    assert ResultsStore(results_dir).load("s").shape[0] == 900
    assert len(seen) > 1


def test_corrupt_file_is_named_and_the_rest_still_loads(results_dir):
    store = ResultsStore(results_dir)
    store.append("s", "p1", records("p1"))
    bad = Path(results_dir) / "s" / "records" / "p2-broken.json"
    bad.write_text('{"schema_version": 1, "records": [{"point_')
    with pytest.warns(CorruptRecordWarning, match="p2-broken.json"):
        df = store.load("s")
    assert len(df) == 3
    assert bad.exists(), "nothing is deleted"
    with pytest.warns(CorruptRecordWarning):
        assert store.point_ids("s") == {"p1"}


def test_newer_schema_is_refused_with_a_clear_error(results_dir):
    store = ResultsStore(results_dir)
    path = Path(store.append("s", "p1", records("p1")))
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "records": []}))
    with pytest.raises(StoreError, match="newer than this scaling_lib"):
        store.load("s")


@pytest.mark.parametrize("name", ["../etc", "a/b", "..", "<script>", "", ".hidden"])
def test_study_names_cannot_leave_the_store(results_dir, name):
    with pytest.raises(StoreError, match="invalid study name"):
        ResultsStore(results_dir).load(name)
    with pytest.raises(StoreError):
        ResultsStore(results_dir).append(name, "p", records("p"))


def test_fsspec_url(tmp_path):
    url = f"file://{tmp_path}/viaurl"
    store = ResultsStore(url)
    store.append("s", "p1", records("p1"))
    assert len(load_results(url, "s")) == 3
    mem = ResultsStore("memory://scaling-lib-test")
    mem.append("s", "p1", records("p1"))
    assert len(mem.load("s")) == 3
