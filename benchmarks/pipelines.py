"""Forecasting real pipelines from pilots: full-dataset forecasts against the full dataset.

    python benchmarks/pipelines.py [--rows 6000000] [--row-group 100000]
        [--fractions 0.05,0.1,0.2] [--pipelines NAME ...] [--keep DIR] [--repeats 2]

A clickstream fact table (examples/make_events.py's events plus product, quantity,
event, page, referrer and dwell time: 11 columns of ints, floats, timestamps and
strings) is written as one file per row group of --row-group rows, beside a users
table (100,000 rows) and a products table (20,000 rows). Four pipelines of different
shapes (benchmarks/pipeline_jobs.py: filter + groupby-aggregate; a join with the full
dimension tables; a shuffle by user into sessions; date, string and window features)
are each measured as a dataset study: pilots at --fractions (at most 20%) on 1 and 2
workers; the truth, the full dataset on 1 and 2 workers, in a study of its own in the
same run. The pilots' T(n, p) forecasts the full dataset with its 90% interval, and
the pilots' traces replayed at the full dataset on 2 workers give the what-if.

Error = forecast / truth - 1, truth = the median of the full runs. Targets: forecast
median |error| <= 15% and worst <= 30% over pipelines x {1, 2} workers; at least 85%
of truths inside the 90% interval, median width (high / low) <= 1.8; what-if median
|error| <= 20%. It exits 0 when a target is missed (a measurement), 1 when a run
failed. Data and results go to a temporary folder, or to --keep DIR, where a second
run reuses the data and every point already measured.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from benchmarks.pipeline_jobs import PIPELINES  # noqa: E402
from examples.make_events import START, events  # noqa: E402
from scaling_lib import load_results, run_study, what_if_study  # noqa: E402
from scaling_lib.analysis.dataset_target import full_dataset_target  # noqa: E402
from scaling_lib.analysis.predict import fit_time_model  # noqa: E402
from scaling_lib.analysis.scaling import dask_runs  # noqa: E402

USERS = 100_000  # make_events' user ids are below this
PRODUCTS = 20_000
EVENT_KINDS = np.array(["view", "click", "cart", "purchase"])
EVENT_SHARES = [0.6, 0.25, 0.1, 0.05]
SECTIONS = np.array(["home", "search", "product", "deals", "cart", "account", "help"])
SITES = np.array(["google.com", "bing.com", "news.example", "mail.example", "social.example"])
TIERS = np.array(["free", "plus", "pro"])
REGIONS = np.array(["north", "south", "east", "west", "central", "islands"])
CATEGORIES = np.array([f"category_{i:02d}" for i in range(30)])

WORKERS = (1, 2)
MEMORY = "5GiB"  # per worker: the full table, a join's or a shuffle's copy, no spilling
TARGETS = {"median": 0.15, "worst": 0.30, "coverage": 0.85, "width": 1.8, "what_if": 0.20}


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(object), type=pa.string())


def fact_table(rows: int, seed: int) -> pa.Table:
    """``rows`` seeded clickstream events: make_events' columns and six more."""
    base = events(rows, seed)
    rng = np.random.default_rng([seed, 1])
    product = (rng.zipf(1.2, rows) - 1) % PRODUCTS
    section = SECTIONS[rng.integers(0, len(SECTIONS), rows)]
    product_id = pc.binary_join_element_wise("p", pc.cast(pa.array(product), pa.string()), "")
    page = pc.binary_join_element_wise("", _strings(section), product_id, "/")  # /deals/p17
    campaign = pc.cast(pa.array(rng.integers(0, 40, rows)), pa.string())
    referrer = pc.binary_join_element_wise(
        "https://",
        _strings(SITES[rng.integers(0, len(SITES), rows)]),
        "/?utm_source=ads&utm_campaign=spring_",
        campaign,
        "",
    )
    referrer = pc.if_else(pa.array(rng.random(rows) < 0.4), pa.nulls(rows, pa.string()), referrer)
    kind = rng.choice(len(EVENT_KINDS), rows, p=EVENT_SHARES).astype(np.int32)
    return (
        base.append_column("product", pa.array(product.astype(np.int64)))
        .append_column("quantity", pa.array(rng.integers(1, 6, rows).astype(np.int64)))
        .append_column(
            "event", pa.DictionaryArray.from_arrays(pa.array(kind), _strings(EVENT_KINDS))
        )
        .append_column("page", page)
        .append_column("referrer", referrer)
        .append_column("duration_ms", pa.array(rng.lognormal(7.0, 1.2, rows)))
    )


def dimension_tables(seed: int) -> tuple[pa.Table, pa.Table]:
    """The users (every user id of the events) and products (every product id)."""
    rng = np.random.default_rng([seed, 2])
    users = pa.table(
        {
            "user": np.arange(USERS, dtype=np.int64),
            "signup": START - rng.integers(1, 3 * 365 * 86400, USERS).astype("timedelta64[s]"),
            "tier": _strings(TIERS[rng.choice(len(TIERS), USERS, p=[0.7, 0.2, 0.1])]),
            "region": _strings(REGIONS[rng.integers(0, len(REGIONS), USERS)]),
            "age": rng.integers(18, 80, USERS).astype(np.int64),
            "opt_in": rng.random(USERS) < 0.3,
        }
    )
    products = pa.table(
        {
            "product": np.arange(PRODUCTS, dtype=np.int64),
            "category": _strings(CATEGORIES[rng.integers(0, len(CATEGORIES), PRODUCTS)]),
            "brand": _strings(np.array([f"brand_{b:03d}" for b in rng.integers(0, 400, PRODUCTS)])),
            "price": np.round(rng.lognormal(3.0, 0.8, PRODUCTS), 2),
        }
    )
    return users, products


def write_dataset(folder: Path, rows: int, row_group: int, seed: int = 0) -> dict[str, str]:
    """The fact table (one file per row group) and the two dimension tables, written
    once: a folder already holding them is reused. Paths by role."""
    paths = {
        "facts": str(folder / "events" / "*.parquet"),
        "users": str(folder / "users.parquet"),
        "products": str(folder / "products.parquet"),
    }
    done = folder / "COMPLETE"
    if done.exists():
        return paths
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted write: start again
    (folder / "events").mkdir(parents=True)
    started = time.perf_counter()
    for number, first in enumerate(range(0, rows, row_group)):
        n = min(row_group, rows - first)
        pq.write_table(
            fact_table(n, seed * 100_000 + number),
            folder / "events" / f"part-{number:04d}.parquet",
            row_group_size=row_group,
        )
    users, products = dimension_tables(seed)
    pq.write_table(users, paths["users"])
    pq.write_table(products, paths["products"])
    done.touch()
    size = sum(p.stat().st_size for p in (folder / "events").glob("*.parquet"))
    files = -(-rows // row_group)
    print(
        f"wrote {rows:,} events in {files} files of one {row_group:,}-row group "
        f"({size / 2**20:.0f} MiB) and the users and products tables to {folder} "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return paths


def study_specs(name: str, paths: dict[str, str], fractions: list[float], repeats: int):
    """The pilot study and the truth study (the full dataset) of one pipeline."""
    params = {}
    if name == "join_dimensions":
        params = {"users_path": paths["users"], "products_path": paths["products"]}
    common = {
        "workload": f"benchmarks.pipeline_jobs:{name}",
        "dataset": {"path": paths["facts"], "format": "parquet"},
        "params": params,
        "workers": list(WORKERS),
        "repeats": repeats,
        "warmup": 1,
        "baseline": False,
        "calibrate": False,
        "memory_limit": MEMORY,
    }
    pilot = {**common, "study": f"pipelines-{name}-pilot", "sizes": fractions}
    truth = {**common, "study": f"pipelines-{name}-full", "sizes": [1.0]}
    return pilot, truth


def measure(spec: dict, results: str) -> None:
    summary = run_study(spec, results=results, progress=False)
    print(f"  {summary}")
    failed = {s: n for s, n in summary.statuses.items() if s != "ok"}
    if failed:
        raise RuntimeError(f"study {spec['study']!r}: runs did not succeed: {failed}")


def evaluate(name: str, pilot_study: str, truth_study: str, results: str) -> list[dict]:
    """The forecast at the full dataset on each worker count against its truth, and the
    what-if on 2 workers; one row per worker count."""
    pilot = load_results(results, pilot_study)
    truth = dask_runs(load_results(results, truth_study))
    target = full_dataset_target(pilot)
    model = fit_time_model(pilot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = what_if_study(pilot_study, results, workers=[2], size=target.size)
    simulated = {r["n_workers"]: r["simulated_s"] for r in sim.rows}
    rows = []
    for pred in model.predict_many(target.size, list(WORKERS)):
        measured = truth.loc[truth["n_workers"] == pred.n_workers, "wall_s"]
        if measured.empty:
            raise RuntimeError(f"{truth_study}: no successful run on {pred.n_workers} workers")
        t = float(measured.median())
        what_if = simulated.get(pred.n_workers)
        rows.append(
            {
                "pipeline": name,
                "workers": pred.n_workers,
                "forecast": pred.seconds,
                "low": pred.low,
                "high": pred.high,
                "width": pred.high / pred.low if pred.low > 0 else float("inf"),
                "truth": t,
                "error": pred.seconds / t - 1,
                "inside": pred.low <= t <= pred.high,
                "what_if": what_if,
                "what_if_error": None if what_if is None else what_if / t - 1,
                "model": pred.model,
                "method": sim.method,
            }
        )
    return rows


def print_rows(rows: list[dict]) -> None:
    print(
        f"\n{'pipeline':<17} {'p':>2} {'forecast':>9} {'90% interval':>17} {'width':>6} "
        f"{'truth':>8} {'error':>7} {'inside':>6} {'what-if':>8} {'its err':>7}"
    )
    for r in rows:
        interval = f"{r['low']:.2f}-{r['high']:.2f}"
        what_if = "" if r["what_if"] is None else f"{r['what_if']:8.2f} {r['what_if_error']:+7.1%}"
        print(
            f"{r['pipeline']:<17} {r['workers']:>2} {r['forecast']:9.2f} {interval:>17} "
            f"{r['width']:6.2f} {r['truth']:8.2f} {r['error']:+7.1%} "
            f"{'yes' if r['inside'] else 'NO':>6} {what_if}"
        )
    for r in rows:
        if r["workers"] == WORKERS[0]:
            print(f"  {r['pipeline']}: T(n, p) = {r['model']}")
            print(f"    what-if: {r['method']}")


def summary(rows: list[dict]) -> None:
    errors = [abs(r["error"]) for r in rows]
    inside = sum(r["inside"] for r in rows) / len(rows)
    width = statistics.median(r["width"] for r in rows)
    what_if = [abs(r["what_if_error"]) for r in rows if r["what_if_error"] is not None]
    checks = [
        ("forecast median |error|", statistics.median(errors), "<=", TARGETS["median"]),
        ("forecast worst |error|", max(errors), "<=", TARGETS["worst"]),
        ("truths inside the 90% interval", inside, ">=", TARGETS["coverage"]),
    ]
    print(f"\nsummary over {len(rows)} forecasts (pipelines x workers {WORKERS}):")
    for label, value, op, goal in checks:
        met = value <= goal if op == "<=" else value >= goal
        print(f"  {label:<34} {value:7.1%}  target {op} {goal:.0%}  {'PASS' if met else 'MISS'}")
    met = width <= TARGETS["width"]
    print(
        f"  {'median interval width (high/low)':<34} {width:7.2f}  "
        f"target <= {TARGETS['width']:.2f}  {'PASS' if met else 'MISS'}"
    )
    if what_if:
        value = statistics.median(what_if)
        met = value <= TARGETS["what_if"]
        print(
            f"  {'what-if on 2 workers median |err|':<34} {value:7.1%}  "
            f"target <= {TARGETS['what_if']:.0%}  {'PASS' if met else 'MISS'}  "
            f"({len(what_if)} pipelines)"
        )


def _fractions(text: str) -> list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    if not values or any(not 0 < v <= 0.2 for v in values):
        raise argparse.ArgumentTypeError("pilot fractions must be in (0, 0.2]")
    return sorted(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=6_000_000, help="events in the fact table")
    parser.add_argument("--row-group", type=int, default=100_000, help="rows per row group")
    parser.add_argument("--fractions", type=_fractions, default=[0.05, 0.1, 0.2])
    parser.add_argument(
        "--pipelines", nargs="+", choices=list(PIPELINES), default=list(PIPELINES), metavar="NAME"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--keep", help="folder for data and results (kept; reused)")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.row_group < 1:
        parser.error("--rows and --row-group must be positive")
    smallest = min(args.fractions) * args.rows
    if smallest < args.row_group:
        parser.error(
            f"the smallest pilot ({smallest:,.0f} rows) is less than one row group "
            f"({args.row_group:,}): use a smaller --row-group or larger --fractions"
        )
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pipelines-bench-"))
    data = root / f"data-{args.rows}-{args.row_group}"
    results = str(root / f"results-{args.rows}-{args.row_group}")
    print(f"data in {data}, results in {results}")
    paths = write_dataset(data, args.rows, args.row_group)

    rows = []
    for name in args.pipelines:
        pilot, truth = study_specs(name, paths, args.fractions, args.repeats)
        print(f"\n{name}: pilots at {args.fractions} and the full dataset, workers {WORKERS}")
        try:
            measure(pilot, results)
            measure(truth, results)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        rows.extend(evaluate(name, pilot["study"], truth["study"], results))
    print_rows(rows)
    summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
