"""Counting device -> host spills on a real worker, without a GPU.

dask-cuda's ``DeviceHostFile`` keeps device objects in a ``zict.Buffer`` named
``device_buffer`` that moves them to host memory past ``device_memory_limit``. The
worker here stores everything in such a buffer (real zict, real worker), so the
counters see exactly what a dask-cuda worker's would: bytes out past the limit and
bytes back when a task or the client reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

import numpy as np
import pytest
from dask.sizeof import sizeof
from zict import Buffer

from scaling_lib.run.gpu import device_spill_counters, device_spill_fields

MIB = 2**20


class BufferedStore(MutableMapping):
    """A worker's ``data``: every value in a ``device_buffer`` of ``limit`` bytes."""

    def __init__(self, limit: int):
        self.device_buffer = Buffer({}, {}, limit, weight=lambda k, v: sizeof(v))

    def __getitem__(self, key):
        return self.device_buffer[key]

    def __setitem__(self, key, value):
        self.device_buffer[key] = value

    def __delitem__(self, key):
        del self.device_buffer[key]

    def __iter__(self) -> Iterator:
        return iter(self.device_buffer)

    def __len__(self) -> int:
        return len(self.device_buffer)


@pytest.fixture
def client_with(request):
    from distributed import Client, LocalCluster

    clusters = []

    def start(**worker_kwargs):
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",
            **worker_kwargs,
        )
        clusters.append(cluster)
        return Client(cluster)

    yield start
    for cluster in clusters:
        cluster.close()


def test_counts_the_bytes_moved_past_the_limit_and_back(client_with):
    from distributed import wait

    client = client_with(data=(BufferedStore, {"limit": 3 * MIB}))
    before = client.run(device_spill_counters)
    blocks = client.map(lambda i: np.full(MIB // 8, float(i)), range(8))  # eight 1 MiB blocks
    wait(blocks)
    middle = client.run(device_spill_counters)
    values = client.gather(blocks)  # reading the spilled ones brings them back
    after = client.run(device_spill_counters)

    stored = device_spill_fields(before, middle)
    # At most three fit: at least five went out, none came back yet.
    assert stored["gpu_bytes_spilled"] >= 5 * MIB
    assert stored["gpu_bytes_unspilled"] == 0
    read = device_spill_fields(middle, after)
    assert read["gpu_bytes_unspilled"] >= 5 * MIB
    assert [float(v[0]) for v in values] == [float(i) for i in range(8)]


def test_a_worker_without_a_device_buffer_records_none(client_with):
    client = client_with()
    before = client.run(device_spill_counters)
    assert list(before.values()) == [None]
    fields = device_spill_fields(before, client.run(device_spill_counters))
    assert fields == {"gpu_bytes_spilled": None, "gpu_bytes_unspilled": None}
