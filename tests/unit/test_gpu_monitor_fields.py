"""GPU record fields from the workers' system monitors (the pure part, no cluster).

The inputs are what ``SystemMonitor.range_query`` returns on a worker: one list per
quantity, ``None`` where a sample is missing (``gpu-memory-total`` keeps only its last
value, and NVML readings that are not supported come back as None).
"""

from __future__ import annotations

import pytest
from distributed.system_monitor import SystemMonitor

from scaling_lib.run.gpu import GPU_MONITOR_KEYS, gpu_monitor_fields
from scaling_lib.run.measure import GPU_FIELDS

GIB = 2**30


def gpu_worker(utilization, used, total=80 * GIB):
    """A GPU worker's ``range_query`` over len(utilization) samples."""
    n = len(utilization)
    return {
        "cpu": [50.0] * n,
        "memory": [300e6] * n,
        "time": [1000.0 + 0.1 * i for i in range(n)],
        "gpu-memory-total": [None] * (n - 1) + [total],
        "gpu_utilization": list(utilization),
        "gpu_memory_used": list(used),
    }


def test_one_worker_mean_utilisation_as_a_fraction_and_peak_memory():
    fields = gpu_monitor_fields(
        {"tcp://a:1": gpu_worker([20, 60, 100], [1 * GIB, 3 * GIB, 2 * GIB])}
    )
    assert fields == {"gpu_utilization": pytest.approx(0.6), "gpu_memory_peak_bytes": 3 * GIB}


def test_each_device_counts_once_whatever_its_sample_count():
    fields = gpu_monitor_fields(
        {
            "tcp://a:1": gpu_worker([100] * 9, [5 * GIB] * 9),
            "tcp://b:1": gpu_worker([0], [7 * GIB]),
        }
    )
    assert fields["gpu_utilization"] == pytest.approx(0.5)
    assert fields["gpu_memory_peak_bytes"] == 7 * GIB


def test_unsupported_readings_are_skipped():
    fields = gpu_monitor_fields({"tcp://a:1": gpu_worker([None, 40, None], [None, GIB, None])})
    assert fields == {"gpu_utilization": pytest.approx(0.4), "gpu_memory_peak_bytes": GIB}
    none = gpu_monitor_fields({"tcp://a:1": gpu_worker([None], [None])})
    assert none == {"gpu_utilization": None, "gpu_memory_peak_bytes": None}


def test_workers_without_a_gpu_give_none_and_do_not_dilute_the_others():
    # A real monitor on this host: NVML sees no GPU here, so it has no GPU quantities.
    monitor = SystemMonitor()
    cpu_only = monitor.range_query(start=0)
    monitor.close()
    if any(k in cpu_only for k in GPU_MONITOR_KEYS):
        pytest.skip("this host's monitor samples a GPU")
    assert gpu_monitor_fields({"tcp://c:1": cpu_only, "tcp://d:1": {}}) == {
        "gpu_utilization": None,
        "gpu_memory_peak_bytes": None,
    }
    mixed = gpu_monitor_fields({"tcp://c:1": cpu_only, "tcp://a:1": gpu_worker([80], [GIB])})
    assert mixed == {"gpu_utilization": pytest.approx(0.8), "gpu_memory_peak_bytes": GIB}


def test_no_workers_gives_none_and_the_fields_are_record_fields():
    fields = gpu_monitor_fields({})
    assert fields == {"gpu_utilization": None, "gpu_memory_peak_bytes": None}
    assert set(fields) <= set(GPU_FIELDS)
