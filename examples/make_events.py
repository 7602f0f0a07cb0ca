"""Write a synthetic events dataset as Parquet: the README's "measure your own pipeline".

    python examples/make_events.py data/events                 # 10M rows, ~200 MiB on disk
    python examples/make_events.py /tmp/events --rows 200000   # a small one

Columns: ``user`` (int64, 100,000 users, skewed), ``ts`` (timestamp over 30 days),
``country`` (dictionary-encoded string, 20 values), ``device`` (3 values) and
``amount`` (float64, log-normal). ``--files`` files (100 by default: 100,000 rows each,
one file per partition of ``dask.dataframe.read_parquet``) of ``--row-group`` rows per
row group, so samples of 1%, 2%, 4%, 8% read whole files, as production's read does.
Seeded: the same arguments write the same data. An existing folder is refused rather
than mixed with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COUNTRIES = np.array([f"C{i:02d}" for i in range(20)])
DEVICES = np.array(["web", "ios", "android"])
START = np.datetime64("2026-01-01T00:00:00", "s")


def events(rows: int, seed: int) -> pa.Table:
    """``rows`` seeded events."""
    rng = np.random.default_rng(seed)
    user = (rng.pareto(1.2, rows) * 1000).astype(np.int64) % 100_000
    ts = START + rng.integers(0, 30 * 24 * 3600, rows).astype("timedelta64[s]")
    country = pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, len(COUNTRIES), rows, dtype=np.int32)), pa.array(COUNTRIES)
    )
    device = pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, len(DEVICES), rows, dtype=np.int32)), pa.array(DEVICES)
    )
    amount = rng.lognormal(3.0, 1.0, rows)
    return pa.table(
        {"user": user, "ts": ts, "country": country, "device": device, "amount": amount}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--row-group", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if folder.exists() and any(folder.iterdir()):
        print(f"{folder} exists and is not empty; remove it or choose another", file=sys.stderr)
        return 2
    if args.rows < args.files or args.files < 1 or args.row_group < 1:
        print("--rows must be at least --files, both positive", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-args.rows // args.files)
    written = 0
    for f in range(args.files):
        n = min(per_file, args.rows - written)
        pq.write_table(
            events(n, args.seed * 1000 + f),
            folder / f"part-{f:03d}.parquet",
            row_group_size=args.row_group,
        )
        written += n
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    print(f"wrote {written:,} rows in {args.files} files ({size / 2**20:.0f} MiB) to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
