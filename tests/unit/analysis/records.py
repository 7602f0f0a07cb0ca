"""Synthetic records shaped like the store's, for testing analysis rules without a cluster."""

from __future__ import annotations

import itertools

import pandas as pd


def make_records(sizes=(1000, 2000, 4000), workers=(1, 2, 4), repeats=3, time=None, **fields):
    """One row per run. ``time(size, workers)`` gives wall seconds (default: ideal scaling);
    other keyword arguments set columns, either a value or ``fn(size, workers)``."""
    time = time or (lambda n, p: n / 1000 / p)
    rows = []
    for n, p, r in itertools.product(sizes, workers, range(repeats)):
        wall = time(n, p) * (1 + 0.01 * (r - 1))
        capacity = wall * max(p, 1)
        row = {
            "study": "synthetic", "point_id": f"{n}-{p}", "repeat": r, "runner": "dask",
            "status": "ok", "size": n, "size_unit": "rows", "n_workers": p,
            "threads_per_worker": 1, "memory_limit_bytes": 2**31, "backend": "cpu",
            "oversubscribed": False, "host": "test", "host_cores": 8, "wall_s": wall,
            "cpu_s": 0.9 * capacity, "noncpu_s": 0.02 * capacity, "executor_s": 0.01 * capacity,
            "other_s": 0.0, "disk_read_s": 0.0, "disk_write_s": 0.0, "serialize_s": 0.0,
            "deserialize_s": 0.0, "compress_s": 0.0, "decompress_s": 0.0, "transfer_s": 0.0,
            "idle_s": 0.0, "task_count": 100, "bytes_transferred": 0, "bytes_spilled": 0.0,
            "peak_memory_bytes": 2e8 + 1e5 * n / max(p, 1), "flops": None, "bytes_processed": None,
            "work_items": n, "work_unit": "rows", "throughput": n / wall,
        }  # fmt: skip
        row["compute_s"] = row["cpu_s"] + row["noncpu_s"]
        for key, value in fields.items():
            row[key] = value(n, p) if callable(value) else value
        rows.append(row)
    return pd.DataFrame(rows)


DATASET_ROWS = 2_000_000
FRACTIONS = (0.05, 0.1, 0.2, 0.4)


def sampled_dataset_records(slow=8.0, **fields):
    """A dataset study (fractions of 2 million rows, 1 and 2 workers) whose 5% sample was
    a seeded row sample of 5,000-row partitions that ran ``slow`` x the cost per row of
    the others, which read whole 100,000-row groups."""

    def rows(n, p):
        return n * DATASET_ROWS

    def seeded(n):
        return n == FRACTIONS[0]

    return make_records(
        sizes=FRACTIONS,
        workers=(1, 2),
        time=lambda n, p: rows(n, p) / 1e6 / p * (slow if seeded(n) else 1.0),
        size_unit="fraction",
        work_items=rows,
        sample_rows=rows,
        sample_method=lambda n, p: "seeded-rows" if seeded(n) else "row-groups",
        sample_partitions=lambda n, p: rows(n, p) // (5_000 if seeded(n) else 100_000),
        **fields,
    )
