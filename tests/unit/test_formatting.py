"""scaling_lib.units: figures for people, shared by the dashboard, CLI and notebooks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scaling_lib.units import fmt_bytes, fmt_evidence, fmt_number, fmt_seconds

PUBLIC = (fmt_seconds, fmt_bytes, fmt_number, fmt_evidence)


@pytest.mark.parametrize("fn", PUBLIC)
@pytest.mark.parametrize("missing", [None, float("nan"), np.nan])
def test_missing_is_a_dash(fn, missing):
    assert fn(missing) == "-"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.15590003299985256, "0.156 s"),
        (0.0052, "5.2 ms"),
        (8.5e-5, "85 µs"),
        (0, "0 s"),
        (42.0, "42 s"),
        (150, "2.5 min"),
        (9000, "2.5 h"),
        (np.float64(1.5), "1.5 s"),
    ],
)
def test_seconds(x, text):
    assert fmt_seconds(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (512, "512 B"),
        (1536, "1.5 KiB"),
        (300 * 2**20, "300 MiB"),
        (3 * 2**30, "3 GiB"),
        (1.2345 * 2**40, "1.23 TiB"),
        (np.int64(2**20), "1 MiB"),
    ],
)
def test_bytes(x, text):
    assert fmt_bytes(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (50000, "50,000"),
        (50000.0, "50,000"),
        (123456, "123,456"),
        (0.15590003, "0.156"),
        (1234.5, "1,230"),
        (12345678, "12.3 million"),
        (4.2e9, "4.2 billion"),
        (0.000123456, "0.000123"),
        (1e-7, "1e-07"),
        (-0.5, "-0.5"),
        (np.int64(7), "7"),
        ("abc", "abc"),
        (True, "True"),
    ],
)
def test_number(x, text):
    assert fmt_number(x) == text


def test_every_result_is_a_str():
    for fn in PUBLIC[:3]:
        for x in (0, 1, 1e-9, 1e18, -3.3, np.float32(2.5), math.inf):
            assert isinstance(fn(x), str)


def test_evidence_reads_as_a_sentence():
    text = fmt_evidence(
        {"baseline_vs_dask_seconds": {"50000": {"baseline": 0.15590003299985256, "dask": 0.312}}}
    )
    assert text == "baseline 0.156 s vs Dask 0.312 s at size 50,000"


def test_evidence_units_come_from_the_key_names():
    text = fmt_evidence(
        {
            "median_task_seconds": 0.005004736853808892,
            "median_bytes_transferred": 1234567.0,
            "compute_share": 0.6360466351299433,
            "transfer_share_by_workers": {1: 0.01, 2: 0.123456},
            "tasks_per_second": 187.5283382603269,
            "oom_sizes": [400000.0],
            "statuses": {"oom": 3},
            "se": 0.0677577988956303,
        }
    )
    assert text == (
        "median task 5 ms; median bytes transferred 1.18 MiB; compute share 63.6%; "
        "transfer share 1% at 1 worker, 12.3% at 2 workers; tasks 188/s; "
        "oom sizes 400,000; statuses oom 3; standard error 0.0678"
    )
    assert "{" not in text and "[" not in text


def test_empty_evidence_is_a_dash():
    assert fmt_evidence({}) == "-"
