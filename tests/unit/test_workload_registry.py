"""Registering custom workloads, and the errors for unknown ones."""

from __future__ import annotations

import pytest

from scaling_lib import WorkDone, WorkloadError, get_workload, load_spec, workload
from scaling_lib.workloads.registry import as_work_done


def test_decorator_registers_with_parameters_from_the_signature():
    @workload("unit-test-wl", size_unit="lines")
    def count_lines(client, size, vocabulary=100, rate=0.5):
        return {"items": size}

    wl = get_workload("unit-test-wl")
    assert wl.size_unit == "lines"
    assert wl.check_params({"vocabulary": 7}) == {"vocabulary": 7, "rate": 0.5}
    with pytest.raises(WorkloadError, match="unknown parameter 'vocab'"):
        wl.check_params({"vocab": 7})
    spec = load_spec({"study": "u", "workload": "unit-test-wl", "sizes": [1], "workers": [1]})
    assert spec.params == {"vocabulary": 100, "rate": 0.5}


def test_module_path_workload():
    wl = get_workload("tests.custom_workloads:square_sum")
    assert wl.defaults == {"tasks": 4}
    with pytest.raises(WorkloadError, match="has no 'missing'"):
        get_workload("tests.custom_workloads:missing")
    with pytest.raises(WorkloadError, match="cannot import module"):
        get_workload("no_such_module_xyz:f")


def test_unknown_workload_lists_the_known_ones():
    with pytest.raises(WorkloadError, match=r"known: array, dataframe, .*train"):
        get_workload("matmul")


def test_builtin_names_are_reserved():
    with pytest.raises(WorkloadError, match="built-in"):

        @workload("array")
        def array(client, size):
            return None


def test_work_done_normalisation():
    assert as_work_done(None, 10, "rows") == WorkDone(items=10.0, unit="rows")
    assert as_work_done(5, 10, "rows").items == 5.0
    assert as_work_done({"items": 3, "flops": 9}, 10, "rows").flops == 9
    with pytest.raises(WorkloadError, match="allowed keys"):
        as_work_done({"itemz": 3}, 10, "rows")
    with pytest.raises(WorkloadError):
        as_work_done("three", 10, "rows")


@pytest.mark.parametrize(("name", "size"), [("array", 64), ("train", 400)])
def test_baselines_run_on_the_cpu_whatever_the_device(name, size):
    # A GPU study's baseline is the one-CPU NumPy reference: it must not need CuPy
    # (not installed here, so reaching for it would fail).
    wl = get_workload(name)
    params = wl.check_params({"device": "gpu"})
    inputs = wl.baseline_inputs(size, params)
    assert all(type(a).__module__ == "numpy" for a in inputs)
    cpu = wl.check_params({"device": "cpu"})
    assert wl.baseline(inputs, size, params).check == wl.baseline(inputs, size, cpu).check
