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
