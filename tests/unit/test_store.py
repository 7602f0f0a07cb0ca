"""The results store on a real disk: append, load, concurrent reads, corrupt files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from scaling_lib import ResultsStore, StoreError, load_results
from scaling_lib.store.records import SCHEMA_VERSION, CorruptRecordWarning


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
    stop, halfway, read_halfway = threading.Event(), threading.Event(), threading.Event()

    def writer():
        try:
            for i in range(300):
                if i == 150:
                    # Halfway, the writer waits for one read to begin: however the two
                    # threads are scheduled, the reader sees the store mid-write. (The
                    # timeout is only a hang guard.)
                    halfway.set()
                    read_halfway.wait(timeout=120)
                store.append("s", f"p{i}", records(f"p{i}", 3))
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = []
    while not stop.is_set():
        mid = halfway.is_set()
        df = ResultsStore(results_dir).load("s")  # a second reader, as the dashboard is
        if mid:
            read_halfway.set()
        seen.append(len(df))
        # Whole points only: every point read has all three of its records.
        assert len(df) % 3 == 0
        if len(df):
            assert (df.groupby("point_id").size() == 3).all()
    thread.join()
    assert ResultsStore(results_dir).load("s").shape[0] == 900
    assert any(0 < n < 900 for n in seen), seen  # it did read while points were being added


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


# -- listing fresh, batched reads, the parsed-file cache ------------------------------------


def test_record_files_lists_whole_points_only_and_a_missing_study_is_empty(results_dir):
    store = ResultsStore(results_dir)
    assert store.record_files("s") == []
    paths = [store.append("s", f"p{i}", records(f"p{i}")) for i in range(3)]
    folder = Path(results_dir) / "s" / "records"
    (folder / ".tmp-half-written").write_text("{")
    assert store.record_files("s") == sorted(paths)


def test_a_file_removed_after_listing_is_skipped_silently(results_dir):
    store = ResultsStore(results_dir)
    keep = store.append("s", "p1", records("p1"))
    gone = store.append("s", "p2", records("p2"))
    files = store.record_files("s")
    Path(gone).unlink()
    got = store.read_records(files)  # pytest turns any warning into an error
    assert {r["point_id"] for r in got} == {"p1"} and files == sorted([keep, gone])


def test_files_already_parsed_are_not_read_again(results_dir):
    store = ResultsStore(results_dir)
    first = Path(store.append("s", "p1", records("p1")))
    assert len(store.load("s")) == 3
    # Record files are never rewritten; were this one read again it would warn (an error
    # here). Only the new file is fetched and parsed.
    first.write_text("not json")
    store.append("s", "p2", records("p2"))
    df = ResultsStore(results_dir).load("s")  # another reader in the same process
    assert sorted(df["point_id"].unique()) == ["p1", "p2"] and len(df) == 6


def test_records_handed_out_are_copies_of_the_cached_ones(results_dir):
    store = ResultsStore(results_dir)
    store.append("s", "p1", records("p1"))
    store.records("s")[0]["wall_s"] = -1.0
    assert (store.load("s")["wall_s"] > 0).all()


# -- the dashboard's caches shared by sessions -----------------------------------------------


def _dashboard_records(point: str, n: int = 3):
    return records(point, n, workload="array", backend="cpu", runner="dask", n_workers=1)


def test_sessions_on_the_same_studies_share_records_and_fits(results_dir):
    from scaling_lib.dashboard.state import StudyStore

    store = ResultsStore(results_dir)
    store.append("s", "p1", _dashboard_records("p1"))
    calls = []

    def fit(df):
        calls.append(len(df))
        return object()

    a = StudyStore(results=results_dir, studies=["s"])
    b = StudyStore(results=results_dir, studies=["s"])
    assert a.all_records is b.all_records
    assert a.memo("fit", fit) is b.memo("fit", fit)
    assert calls == [3]

    b.status = ["failed"]  # other filters, other records: its own fit
    b.memo("fit", fit)
    assert calls == [3, 0]

    store.append("s", "p2", _dashboard_records("p2"))
    assert a.poll() is True and b.poll() is True
    assert a.all_records is b.all_records and len(a.records) == 6
    a.memo("fit", fit)
    b.status = list(a.status)
    b.memo("fit", fit)
    assert calls == [3, 0, 6]


def test_shared_cache_is_bounded_and_keeps_no_failures():
    from scaling_lib.dashboard.cache import SharedCache

    cache = SharedCache(2)
    assert cache.get_or_compute("a", lambda: 1) == 1
    assert cache.get_or_compute("b", lambda: 2) == 2
    assert cache.get_or_compute("a", lambda: 99) == 1  # a is now the most recent
    assert cache.get_or_compute("c", lambda: 3) == 3  # drops b
    assert len(cache) == 2 and cache.get_or_compute("b", lambda: 22) == 22

    def fails():
        raise ValueError("too few points")

    with pytest.raises(ValueError):
        cache.get_or_compute("d", fails)
    assert cache.get_or_compute("d", lambda: 4) == 4
    with pytest.raises(ValueError, match="at least 1"):
        SharedCache(0)


def test_shared_cache_from_many_threads_hands_out_one_value_per_key():
    from scaling_lib.dashboard.cache import SharedCache

    cache = SharedCache(1000)
    seen: dict[int, set[int]] = {k: set() for k in range(50)}
    barrier = threading.Barrier(8)

    def session():
        barrier.wait()
        for k in range(50):
            seen[k].add(id(cache.get_or_compute(k, lambda k=k: [k])))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(ids) == 1 for ids in seen.values())


def test_a_folder_listed_long_after_its_last_change_still_shows_new_files(results_dir):
    import os
    import time

    store = ResultsStore(results_dir)
    first = store.append("s", "p1", records("p1"))
    folder = Path(first).parent
    old = time.time_ns() - 60 * 10**9
    os.utime(folder, ns=(old, old))  # last changed a minute ago: its listing is kept
    assert store.record_files("s") == [first]
    second = store.append("s", "p2", records("p2"))
    assert store.record_files("s") == sorted([first, second])
