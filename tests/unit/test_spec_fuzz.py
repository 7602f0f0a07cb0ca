"""Property test: a valid spec with one field broken is refused with a SpecError naming it.

``malformed_specs()`` mutates one field of ``GOOD`` (wrong type, non-finite, huge,
negative, empty string, fractional bytes, non-mapping section, unknown or missing key)
and says which field the error must name. tests/integration/test_spec_cli.py draws
a sample of the same cases through the CLI.
"""

from __future__ import annotations

import dataclasses
import math
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaling_lib import ClusterSpec, SpecError, StudySpec, load_spec

GOOD: dict[str, Any] = {
    "study": "fuzz",
    "workload": "array",
    "params": {"chunks": 0, "seed": 1},
    "sizes": [100, 200],
    "workers": [1, 2],
    "threads_per_worker": 1,
    "memory_limit": "1GiB",
    "repeats": 2,
    "warmup": 1,
    "timeout_s": 60,
    "baseline": True,
    "calibrate": False,
    "trace": True,
    "cluster": {"backend": "local", "kwargs": {"scheduler_port": 0}, "connect_timeout_s": 30},
}


@dataclass(frozen=True)
class Case:
    """A malformed spec and the field its error must name (or a field under it)."""

    raw: dict[str, Any]
    field: str


def names_the_field(error: SpecError, expected: str) -> bool:
    field = error.field
    named = field == expected or field.startswith((f"{expected}.", f"{expected}["))
    return named and str(error).startswith(f"{field}: ")


# -- bad values, by what they are --------------------------------------------------------

non_finite = st.sampled_from([math.inf, -math.inf, math.nan])
short_text = st.text(alphabet=string.ascii_letters + string.digits + " -_./", max_size=8)
small_list = st.lists(st.integers(1, 9), max_size=2)
small_dict = st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9), max_size=2)
not_a_number = st.one_of(
    st.booleans(), st.none(), short_text, small_list.map(lambda v: [v]), small_dict
)
not_a_mapping = st.one_of(
    st.sampled_from([0, "", [], "x", 1.5, True, False, [{"a": 1}], -1]),
    st.integers(),
    short_text,
    small_list,
)


def bad_positive_number(ceiling: float) -> st.SearchStrategy[Any]:
    """Not a positive finite number up to ``ceiling``."""
    return st.one_of(
        not_a_number,
        non_finite,
        st.integers(max_value=0),
        st.floats(max_value=0.0, allow_nan=False),
        st.integers(min_value=int(ceiling) + 1),
        st.floats(min_value=ceiling * 1.001, allow_nan=False),
    )


def bad_integer(low: int, ceiling: int) -> st.SearchStrategy[Any]:
    """Not an integer from ``low`` to ``ceiling``: floats (even 2.0) and bools included."""
    return st.one_of(
        not_a_number,
        non_finite,
        st.integers(max_value=low - 1),
        st.integers(min_value=ceiling + 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(low, min(ceiling, 64)).map(float),
    )


fractional_bytes = st.floats(2.0**20, 2.0**40).filter(lambda x: x != int(x))
bad_bytes = st.one_of(
    st.sampled_from(
        ["", "   ", "GiB", "2 GiBs", "2 XB", "inf", "nan", "-1GiB", "0", "1.5", "0.5 B"]
    ),
    st.sampled_from(["1e30", "2PiB", "1e999 B", "1.5e-3 B", "2,048 MiB", "2 G i B"]),
    non_finite,
    st.booleans(),
    st.none(),
    small_list,
    small_dict,
    st.integers(max_value=0),
    st.integers(1, 2**20 - 1),  # under the 1 MiB floor
    st.integers(min_value=2**50 + 1),
    fractional_bytes,
    fractional_bytes.map(lambda x: f"{x!r} B"),
    st.integers(2, 10**6).map(lambda n: f"{n} PiB"),
)
bad_string = st.one_of(
    st.integers(), st.floats(), st.booleans(), small_list, small_dict, st.sampled_from(["", " \t "])
)
bad_study_name = st.one_of(
    bad_string,
    st.sampled_from(["../up", "a b", "-lead", ".hidden", "x" * 101, "a/b", "s\x00"]),
    # A character the results store cannot take in a folder name, inside the name.
    st.tuples(short_text, st.sampled_from(list("/\\:*?#$% "))).map(lambda t: f"z{t[0]}{t[1]}z"),
)
not_a_bool = st.one_of(
    st.integers(), st.floats(), st.none(), small_list, small_dict, st.sampled_from(["yes", "true"])
)
unknown_workload = st.text(string.ascii_lowercase, min_size=1, max_size=8).map(
    lambda s: f"no-such-{s}"
)


def bad_list(element: st.SearchStrategy[Any], good: list[Any]) -> st.SearchStrategy[Any]:
    """A broken list field: not a list, empty, too long, duplicated, or one bad entry."""

    def with_bad_entry(draw_args: tuple[int, Any]) -> list[Any]:
        index, bad = draw_args
        out = list(good)
        out.insert(index % (len(out) + 1), bad)
        return out

    return st.one_of(
        st.sampled_from(["big", "", {}, {"a": 1}, True, None]),
        st.just([]),
        st.just(list(range(1, 1002))),
        st.just([good[0], good[0]]),
        st.tuples(st.integers(0, 5), element).map(with_bad_entry),
        element.map(lambda bad: [[bad]]),  # nested list
    )


def _replace(section: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**section, **changes}


CLUSTER = GOOD["cluster"]
bad_cluster = st.one_of(
    st.tuples(st.just("cluster"), not_a_mapping),
    st.tuples(
        st.just("cluster.backend"),
        st.one_of(bad_string, st.sampled_from(["yarn", "LOCAL", "gpu"])).map(
            lambda v: _replace(CLUSTER, backend=v)
        ),
    ),
    st.tuples(
        st.just("cluster.connect_timeout_s"),
        bad_positive_number(7 * 24 * 3600).map(lambda v: _replace(CLUSTER, connect_timeout_s=v)),
    ),
    st.tuples(st.just("cluster.kwargs"), not_a_mapping.map(lambda v: _replace(CLUSTER, kwargs=v))),
    st.tuples(
        st.just("cluster.kwargs"),
        st.sampled_from(
            [
                {1: 2},
                {"n_workers": 4},
                {"memory_limit": "4GiB"},
                {"threads_per_worker": 2},
                {"a": {"b": [math.inf]}},
                {"a": -math.nan},
                {"a": 2**64},
            ]
        ).map(lambda v: _replace(CLUSTER, kwargs=v)),
    ),
    st.tuples(
        st.just("cluster.address"),
        st.one_of(bad_string, st.just("tcp://127.0.0.1:8786")).map(
            lambda v: _replace(CLUSTER, address=v)
        ),
    ),
    st.tuples(st.just("cluster.address"), st.just({"backend": "address"})),
    st.tuples(
        st.just("cluster.scheduler_file"),
        st.sampled_from(
            [
                {"backend": "local", "scheduler_file": "/tmp/s.json"},
                {"backend": "address", "address": "tcp://h:1", "scheduler_file": "/tmp/s.json"},
                {"backend": "address", "scheduler_file": 5},
            ]
        ),
    ),
    st.tuples(
        st.just("cluster.class_path"),
        st.one_of(bad_string, st.sampled_from(["nodots", "a..B", "1a.B", "a.", ".B", "a b.C"])).map(
            lambda v: {"backend": "class", "class_path": v}
        ),
    ),
    st.tuples(st.just("cluster.class_path"), st.just({"backend": "class"})),
    st.tuples(
        st.just("cluster.class_path"),
        st.just({"backend": "local", "class_path": "distributed.LocalCluster"}),
    ),
    st.tuples(
        st.just("cluster.kwargs"),
        st.just({"backend": "address", "address": "tcp://h:1", "kwargs": {"a": 1}}),
    ),
    st.tuples(
        st.just("cluster.workers"), st.integers(1, 3).map(lambda v: _replace(CLUSTER, workers=v))
    ),
)
bad_params = st.one_of(
    not_a_mapping,
    st.sampled_from(
        [
            {"chunkz": 3},
            {"chunks": "big"},
            {"chunks": 1.5},
            {"chunks": True},
            {"chunks": None},
            {"chunks": math.inf},
            {"chunks": 2**70},
            {"chunks": [math.nan]},
            {"precision": "float99"},
            {"precision": 64},
            {"device": "gpu"},  # needs backend cuda
            {"device": "tpu"},
            {1: 2},
            {"seed": {"deep": -math.inf}},
        ]
    ),
    st.text(string.ascii_lowercase, min_size=1, max_size=6).map(lambda k: {f"zz{k}": 1}),
)
PARQUET = "data/events/*.parquet"
bad_dataset = st.one_of(
    st.tuples(st.just("dataset"), not_a_mapping),
    st.tuples(st.just("dataset.path"), bad_string.map(lambda v: {"path": v})),
    st.tuples(st.just("dataset.path"), st.just({"format": "parquet"})),
    st.tuples(
        st.just("dataset.format"),
        st.one_of(bad_string, st.sampled_from(["xlsx", "json", "parquets"])).map(
            lambda v: {"path": PARQUET, "format": v}
        ),
    ),
    st.tuples(st.just("dataset.format"), st.just({"path": "data/events"})),  # not inferable
    st.tuples(
        st.just("dataset.sample"),
        st.one_of(bad_string, st.sampled_from(["fractions", "ROWS", "bytes"])).map(
            lambda v: {"path": PARQUET, "sample": v}
        ),
    ),
    st.tuples(
        st.just("dataset.seed"),
        bad_integer(0, 2**63 - 1)
        .filter(lambda v: v is not None)  # null means the default seed
        .map(lambda v: {"path": PARQUET, "seed": v}),
    ),
    st.tuples(
        st.just("dataset.storage_options"),
        st.one_of(not_a_mapping, st.just({1: 2})).map(
            lambda v: {"path": PARQUET, "storage_options": v}
        ),
    ),
    st.tuples(st.just("dataset.sampel"), st.just({"path": PARQUET, "sampel": "rows"})),
)
KNOWN = {f.name for f in dataclasses.fields(StudySpec)}
field_and_value = st.one_of(
    st.tuples(st.just("study"), bad_study_name),
    st.tuples(st.just("workload"), st.one_of(bad_string, unknown_workload)),
    st.tuples(st.just("sizes"), bad_list(bad_positive_number(2**53), GOOD["sizes"])),
    st.tuples(st.just("workers"), bad_list(bad_integer(1, 512), GOOD["workers"])),
    st.tuples(st.just("threads_per_worker"), bad_integer(1, 1024)),
    st.tuples(st.just("memory_limit"), bad_bytes),
    st.tuples(st.just("repeats"), bad_integer(1, 1000)),
    st.tuples(st.just("warmup"), bad_integer(0, 100)),
    st.tuples(st.just("timeout_s"), bad_positive_number(7 * 24 * 3600)),
    st.tuples(st.just("baseline"), not_a_bool),
    st.tuples(st.just("calibrate"), not_a_bool),
    st.tuples(st.just("trace"), not_a_bool),
    st.tuples(st.just("params"), bad_params),
    bad_cluster,
    bad_dataset,
)


@st.composite
def malformed_specs(draw: st.DrawFn) -> Case:
    """One field of GOOD broken (or an unknown field added, or a required one dropped)."""
    kind = draw(st.sampled_from(["value"] * 8 + ["unknown", "missing"]))
    raw = dict(GOOD)
    if kind == "unknown":
        key = draw(st.text(string.ascii_letters + "_ ", min_size=1, max_size=12))
        key = key if key not in KNOWN else f"{key}_x"
        raw[key] = draw(st.one_of(st.integers(), short_text))
        return Case(raw, key)
    if kind == "missing":
        name = draw(st.sampled_from(["study", "workload", "sizes", "workers"]))
        del raw[name]
        return Case(raw, name)
    name, value = draw(field_and_value)
    if name.startswith(("cluster.", "dataset.")):
        raw[name.split(".")[0]] = value
    else:
        raw[name] = value
    return Case(raw, name)


def test_1000_malformed_specs_each_raise_a_spec_error_naming_the_mutated_field():
    mutated: list[str] = []

    @settings(
        max_examples=1000,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(malformed_specs())
    def check(case: Case) -> None:
        try:
            spec = load_spec(case.raw)
        except SpecError as error:
            assert names_the_field(error, case.field), (case, error.field, str(error))
        else:
            raise AssertionError(f"accepted a malformed spec ({case.field}): {spec}")
        mutated.append(case.field)

    check()
    assert len(mutated) >= 1000
    # Every field of both dataclasses was broken at least once.
    top = {f.split(".")[0] for f in mutated if not f.startswith("cluster.")}
    inner = {f.split(".")[1] for f in mutated if f.startswith("cluster.")}
    assert top >= KNOWN, KNOWN - top
    assert {f.name for f in dataclasses.fields(ClusterSpec)} <= inner


def test_the_valid_spec_the_fuzz_mutates_is_valid():
    spec = load_spec(GOOD)
    assert spec.memory_limit == 2**30 and spec.cluster.kwargs == {"scheduler_port": 0}
