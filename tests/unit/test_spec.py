"""Spec validation: every problem names its field; the CLI exits 2."""

from __future__ import annotations

import subprocess

import pytest

from scaling_lib import SpecError, StudySpec, load_spec

GOOD = {"study": "s1", "workload": "array", "sizes": [100, 200], "workers": [1, 2]}


def with_(**changes):
    raw = {**GOOD, **changes}
    return {k: v for k, v in raw.items() if v is not ...}


def test_good_spec_has_defaults_and_is_frozen():
    spec = load_spec(GOOD)
    assert spec.sizes == (100, 200) and spec.workers == (1, 2)
    assert spec.repeats == 3 and spec.warmup == 1 and spec.memory_limit == 2 * 2**30
    assert spec.params == {"chunks": 0, "precision": "float64", "device": "cpu", "seed": 0}
    assert spec.cluster.backend == "local"
    with pytest.raises(AttributeError):
        spec.repeats = 5


def test_round_trip_through_dict():
    spec = load_spec(with_(memory_limit="512MiB", params={"chunks": 50}))
    assert StudySpec.from_dict(spec.to_dict()) == spec
    assert spec.with_changes(repeats=5).repeats == 5


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (with_(colour="red"), "colour", "unknown field"),
        (with_(sizes=[]), "sizes", "must not be empty"),
        (with_(workers=[]), "workers", "must not be empty"),
        (with_(sizes=[100, -5]), "sizes[1]", "positive number"),
        (with_(sizes=[0]), "sizes[0]", "positive number"),
        (with_(sizes="big"), "sizes", "must be a list"),
        (with_(workers=[1, 1.5]), "workers[1]", "positive integer"),
        (with_(workers=[True]), "workers[0]", "positive integer"),
        (with_(repeats=0), "repeats", "positive integer"),
        (with_(warmup=-1), "warmup", "non-negative"),
        (with_(timeout_s="soon"), "timeout_s", "positive number"),
        (with_(baseline="yes"), "baseline", "true or false"),
        (with_(memory_limit="lots"), "memory_limit", "size such as"),
        (with_(study="../escape"), "study", "letters, digits"),
        (with_(study=...), "study", "is required"),
        (with_(workload="nope"), "workload", "unknown workload 'nope'"),
        (with_(params={"chunkz": 3}), "params", "unknown parameter 'chunkz'"),
        (with_(params={"chunks": "big"}), "params", "must be int"),
        (with_(cluster={"backend": "yarn"}), "cluster.backend", "not one of"),
        (with_(cluster={"backend": "address"}), "cluster.address", "needs address"),
        (with_(cluster={"backend": "class"}), "cluster.class_path", "needs class_path"),
        (with_(cluster={"workers": 3}), "cluster.workers", "unknown field"),
        ([1, 2], "spec", "must be a mapping"),
    ],
)
def test_invalid_specs_name_the_field(raw, field, words):
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert words in str(info.value)


# Issue 13: each of these was a traceback, a silent 1 byte, an unbounded worker count or
# a section taken as absent. The YAML line as a user writes it, and the whole message.
LOCAL_CEILING = "(backend 'local': a local worker is 2 processes of ~150 MiB before any data)"
THREADS_CEILING = "(more threads in one worker process than any host has hardware threads)"
BIG = 1000000000000000000000000000000  # 1e30, as YAML reads a plain integer


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("memory_limit: .inf", "memory_limit: must be a finite size, got inf"),
        (
            'memory_limit: ""',
            "memory_limit: must be a size such as '2GiB', '500 MB' or a whole number of bytes, "
            "got ''",
        ),
        ("memory_limit: 1.5", "memory_limit: must be a whole number of bytes, got 1.5"),
        (f"workers: {BIG}", f"workers[0]: must be at most 512 {LOCAL_CEILING}, got {BIG}"),
        (f"workers: [1, {BIG}]", f"workers[1]: must be at most 512 {LOCAL_CEILING}, got {BIG}"),
        ("workers: [1.0e+30]", "workers[0]: must be a positive integer, got 1e+30"),
        ("workers: 1e30", "workers: must be a list, got str '1e30'"),  # YAML 1.1: a string
        (
            f"threads_per_worker: {BIG}",
            f"threads_per_worker: must be at most 1,024 {THREADS_CEILING}, got {BIG}",
        ),
        (
            "threads_per_worker: 1.0e+30",
            "threads_per_worker: must be a positive integer, got 1e+30",
        ),
        ("cluster: 0", "cluster: must be a mapping (or left out), got int 0"),
        ("cluster: []", "cluster: must be a mapping (or left out), got list []"),
        ("params: 0", "params: must be a mapping (or left out), got int 0"),
        ('params: ""', "params: must be a mapping (or left out), got str ''"),
    ],
)
def test_issue_13_cases_are_refused_with_a_message_naming_the_field(tmp_path, line, message):
    spec = tmp_path / "s.yaml"
    lines = ["study: s", "workload: array", "sizes: [100]", "workers: [1]"]
    name = line.partition(":")[0]
    spec.write_text("\n".join([*(x for x in lines if not x.startswith(name)), line]) + "\n")
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert str(info.value) == message
    assert info.value.field == message.partition(":")[0]


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (with_(memory_limit=True), "memory_limit", "size such as"),
        (with_(memory_limit=0), "memory_limit", "must be positive"),
        (with_(memory_limit="-1GiB"), "memory_limit", "size such as"),
        (with_(memory_limit="0.5 B"), "memory_limit", "whole number of bytes"),
        (with_(memory_limit=float("nan")), "memory_limit", "finite size"),
        (with_(memory_limit="2 PiB"), "memory_limit", "at most 1 PiB"),
        (with_(memory_limit=2048), "memory_limit", "at least 1 MiB"),
        (with_(memory_limit="2 GiBs"), "memory_limit", "size such as"),
        (with_(sizes=[True]), "sizes[0]", "positive number"),
        (with_(sizes=[[100]]), "sizes[0]", "positive number, got [100]"),
        (with_(sizes=[float("inf")]), "sizes[0]", "positive number"),
        (with_(sizes=[2**53 + 1]), "sizes[0]", "at most 9,007,199,254,740,992"),
        (with_(sizes=[10**400]), "sizes[0]", "at most"),
        (with_(sizes=list(range(1, 1002))), "sizes", "at most 1,000"),
        (with_(workers=[[1]]), "workers[0]", "positive integer"),
        (with_(workers=[2.0]), "workers[0]", "positive integer"),
        (with_(workers=[513]), "workers[0]", "at most 512"),
        (with_(timeout_s=True), "timeout_s", "positive number"),
        (with_(timeout_s=float("inf")), "timeout_s", "positive number"),
        (with_(timeout_s=8 * 24 * 3600), "timeout_s", "at most 604,800"),
        (with_(repeats=1001), "repeats", "at most 1,000"),
        (with_(warmup=101), "warmup", "at most 100"),
        (with_(calibrate=1), "calibrate", "true or false"),
        (with_(trace="no"), "trace", "true or false"),
        (with_(params=[]), "params", "must be a mapping"),
        (with_(params={1: 2}), "params", "keys must be strings"),
        (with_(params={"chunks": float("inf")}), "params.chunks", "must be finite"),
        (with_(params={"chunks": 2**64}), "params.chunks", "does not fit in 64 bits"),
        (with_(cluster={"kwargs": 0}), "cluster.kwargs", "must be a mapping"),
        (with_(cluster={"kwargs": {"a": [1, float("nan")]}}), "cluster.kwargs.a[1]", "finite"),
        (with_(cluster={"kwargs": {"n_workers": 4}}), "cluster.kwargs.n_workers", "set by"),
        (with_(cluster={"connect_timeout_s": 0}), "cluster.connect_timeout_s", "positive"),
        (with_(cluster={"address": "tcp://h:1"}), "cluster.address", "only used by"),
        (
            with_(cluster={"backend": "address", "address": "tcp://h:1", "scheduler_file": "f"}),
            "cluster.scheduler_file",
            "not both",
        ),
        (
            with_(cluster={"backend": "address", "address": "tcp://h:1", "kwargs": {"a": 1}}),
            "cluster.kwargs",
            "unused",
        ),
        (with_(cluster={"backend": "class", "class_path": "a..B"}), "cluster.class_path", "import"),
        (with_(cluster={"backend": "cuda"}, workers=[65]), "workers[0]", "one worker per GPU"),
        (with_(cluster={"backend": "address", "address": "h:1"}, workers=[10_001]), "workers[0]",
         "at most 10,000"),
    ],
)  # fmt: skip
def test_every_value_is_checked(raw, field, words):
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2GiB", 2 * 2**30),
        ("500 MB", 500 * 10**6),
        ("1.5 GiB", 3 * 2**29),
        ("1e9", 10**9),
        (2147483648, 2**31),
        (1.0e9, 10**9),  # YAML's 1.0e+9 is a float, but a whole number of bytes
    ],
)
def test_byte_sizes_in_the_usual_forms_are_accepted_exactly(value, expected):
    spec = load_spec(with_(memory_limit=value))
    assert spec.memory_limit == expected
    assert StudySpec.from_dict(spec.to_dict()) == spec  # written back exactly


def test_only_a_missing_key_or_null_means_a_section_is_absent():
    spec = load_spec(with_(params=None, cluster={"backend": "local", "kwargs": None}))
    assert spec.cluster.kwargs == {} and spec.params == load_spec(GOOD).params
    assert load_spec(with_(cluster=None)).cluster == load_spec(GOOD).cluster


def test_more_workers_than_cores_is_allowed_at_load():
    # Oversubscribing is a warning when the cluster starts (GIL-releasing workloads
    # legitimately run more workers than cores), not a spec error.
    spec = load_spec(with_(workers=[512], threads_per_worker=1024))
    assert spec.workers == (512,) and spec.threads_per_worker == 1024
    spec = load_spec(with_(workers=[10_000], cluster={"backend": "address", "address": "h:1"}))
    assert spec.workers == (10_000,)


def test_an_odd_memory_limit_round_trips_through_to_dict():
    spec = load_spec(with_(memory_limit=123_456_789))
    assert spec.to_dict()["memory_limit"] == 123_456_789
    assert spec.with_changes(repeats=2).memory_limit == 123_456_789


def test_yaml_the_parser_cannot_hold_is_a_spec_error(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("study: s\nworkload: array\nsizes: [" + "9" * 5000 + "]\nworkers: [1]\n")
    with pytest.raises(SpecError, match=r"^spec: .*huge\.yaml cannot be read as YAML"):
        load_spec(huge)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00study")
    with pytest.raises(SpecError, match=r"^spec: .*binary\.yaml is not UTF-8 text"):
        load_spec(binary)


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad\.yaml is not valid YAML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


def test_cli_exits_2_naming_the_field(tmp_path, cli, cli_env):
    spec = tmp_path / "s.yaml"
    spec.write_text("study: s\nworkload: array\nsizes: [100, -1]\nworkers: [1]\n")
    done = subprocess.run(
        [*cli, "run", str(spec), "--results", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "sizes[1]: must be a positive number, got -1" in done.stderr
    assert not (tmp_path / "r").exists()


def test_a_size_that_cannot_fit_is_refused_before_running(results_dir):
    from scaling_lib import run_study

    with pytest.raises(SpecError, match=r"sizes\[1\].*more than this host's"):
        run_study(with_(sizes=[100, 10_000_000]), results=results_dir, progress=False)
