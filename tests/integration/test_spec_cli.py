"""Malformed specs through `scaling-lib run`: exit 2, the field named, no traceback, no results.

A deterministic sample of the property test's cases (tests/unit/test_spec_fuzz.py),
written as YAML files and run as a user would, four subprocesses at a time.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from scaling_lib import SpecError, load_spec
from tests.unit.test_spec_fuzz import Case, malformed_specs, names_the_field

SAMPLE = 20


def sample_cases() -> list[Case]:
    """The first SAMPLE cases Hypothesis draws with a fixed seed (derandomize)."""
    cases: list[Case] = []

    @settings(
        max_examples=SAMPLE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(malformed_specs())
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases[:SAMPLE]


def test_a_sample_of_malformed_specs_exits_2_naming_the_field(tmp_path, cli, cli_env):
    cases = sample_cases()
    assert len(cases) == SAMPLE
    jobs = []
    for i, case in enumerate(cases):
        spec = tmp_path / f"spec{i}.yaml"
        spec.write_text(yaml.safe_dump(case.raw, sort_keys=False))
        # The YAML file says what the case says: the library names the mutated field.
        with pytest.raises(SpecError) as info:
            load_spec(spec)
        assert names_the_field(info.value, case.field), (case, str(info.value))
        jobs.append((case, spec, tmp_path / f"results{i}", info.value.field))

    def run(job):
        _, spec, results, _ = job
        return subprocess.run(
            [*cli, "run", str(spec), "--results", str(results), "--no-progress"],
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=120,
        )

    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(run, jobs))
    for (case, _, results, field), proc in zip(jobs, done, strict=True):
        output = proc.stdout + proc.stderr
        assert proc.returncode == 2, (case, output)
        assert proc.stderr.startswith(f"scaling-lib: error: {field}: "), (case, output)
        assert "Traceback" not in output, (case, output)
        assert not results.exists(), case
    assert len({case.field for case in cases}) >= 5, "the sample covers several fields"
