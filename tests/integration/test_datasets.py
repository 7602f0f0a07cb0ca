"""A user's Parquet dataset as the size axis, on real clusters and through the CLI.

The dataset: 4 files x 4 row groups x 2,500 rows (40,000 rows), written by pyarrow and
read as production reads it, ``read_parquet(split_row_groups=True)``: 16 partitions.
Fractions 0.125 (2 row groups of the first file), 0.3 (a file and a row group of the
next), 0.5 and 1.0, on 1 and 2 workers, through a function ``fn(client, ddf)``.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from scaling_lib import SpecError, load_results, run_study
from scaling_lib.analysis.catalog import load_catalog
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.recommend import recommend

FILES, GROUPS, GROUP_ROWS = 4, 4, 2500
TOTAL = FILES * GROUPS * GROUP_ROWS
FRACTIONS = [0.125, 0.3, 0.5, 1.0]


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    folder = tmp_path_factory.mktemp("events")
    rng = np.random.default_rng(0)
    for f in range(FILES):
        n = GROUPS * GROUP_ROWS
        table = pa.table({"user": rng.integers(0, 100, n), "amount": rng.random(n)})
        pq.write_table(table, folder / f"part-{f}.parquet", row_group_size=GROUP_ROWS)
    footer_bytes = sum(
        pq.ParquetFile(folder / f"part-{f}.parquet").metadata.row_group(g).total_byte_size
        for f in range(FILES)
        for g in range(GROUPS)
    )
    return folder, footer_bytes


def study(path, **changes):
    return {
        "study": "events",
        "workload": "tests.dataset_workloads:amount_by_user",
        "dataset": {
            "path": str(path),
            "format": "parquet",
            "options": {"split_row_groups": True},
        },
        "sizes": FRACTIONS,
        "workers": [1, 2],
        "repeats": 1,
        "warmup": 0,
        "calibrate": False,
        "trace": False,
        "baseline": False,
        "timeout_s": 120,
        **changes,
    }


def cli_run(cli, env, *args):
    return subprocess.run([*cli, *args], capture_output=True, text=True, env=env, timeout=120)


def test_fractions_of_a_parquet_dataset_on_1_and_2_workers(events, results_dir, cli, cli_env):
    folder, footer_bytes = events
    summary = run_study(study(folder / "*.parquet"), results=results_dir, progress=False)
    assert summary.statuses == {"ok": 8}

    df = load_results(results_dir, "events")
    assert len(df) == 8 and set(df["status"]) == {"ok"}
    assert set(df["size_unit"]) == {"fraction"}
    assert set(df["dataset_rows"]) == {TOTAL} and set(df["dataset_bytes"]) == {footer_bytes}
    assert set(df["dataset_path"]) == {str(folder / "*.parquet")}
    for _, row in df.iterrows():
        wanted = row["size_requested"] * TOTAL
        assert abs(row["sample_rows"] - wanted) <= GROUP_ROWS / 2, row["size"]  # nearest groups
        assert row["size"] == row["sample_rows"] / TOTAL  # measured at its real size
        # Production's partitions, only fewer: whole row groups, never smaller pieces.
        assert row["rows_per_partition"] == GROUP_ROWS and row["dataset_partitions"] == 16
        assert row["sample_partitions"] * GROUP_ROWS == row["sample_rows"]
        assert row["sample_method"] == "partitions" and row["read"] == "timed"
        assert 0 < row["read_s"] < 60
        assert row["work_items"] == row["sample_rows"] and row["work_unit"] == "rows"
    assert df.loc[df["size_requested"] == 0.3, "sample_rows"].iloc[0] == 5 * GROUP_ROWS
    assert df.loc[df["size"] == 1.0, "sample_bytes"].iloc[0] == footer_bytes

    # A second run has nothing left to measure; another dataset under the same name is refused.
    again = run_study(study(folder / "*.parquet"), results=results_dir, progress=False)
    assert (again.skipped, again.measured) == (8, 0)
    other = study(folder / "part-0.parquet", sizes=[0.5])
    with pytest.raises(SpecError, match=r"^dataset: .* name a new study"):
        run_study(other, results=results_dir, progress=False)

    rec = recommend(df, load_catalog(), draws=20)
    assert rec.target_size == 1.0 and f"full dataset ({TOTAL:,} rows)" in rec.target

    text = cli_run(cli, cli_env, "recommend", "events", "--results", results_dir)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"Target defaults to the full dataset ({TOTAL:,} rows)")

    analyzed = cli_run(cli, cli_env, "analyze", "events", "--results", results_dir, "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    forecast = json.loads(analyzed.stdout)["full_dataset"]
    # Beside the forecast, the advice for it: the full dataset on the most workers.
    advice = json.loads(analyzed.stdout)["advice"]
    assert advice["target"] == {"size": 1.0, "n_workers": 2}
    assert advice["best"] and (advice["candidates"] or advice["out_of_reach"])
    assert forecast["label"] == f"full dataset ({TOTAL:,} rows)" and forecast["size"] == 1.0
    assert [p["n_workers"] for p in forecast["predictions"]] == [1, 2]
    # The read's share of the job at the largest size, beside compute and transfer.
    assert [r["n_workers"] for r in forecast["read"]] == [1, 2]
    for r in forecast["read"]:
        assert r["timed"] and r["size"] == 1.0 and r["read_s"] > 0 and r["wall_s"] > 0
        assert r["share"] == pytest.approx(r["read_s"] / r["wall_s"])
    model = fit_time_model(df, draws=20)
    for p in forecast["predictions"]:
        # The CLI's forecast is the fitted model's own, and the full dataset was measured:
        # there is no extrapolation in work to warn of.
        assert p["seconds"] == pytest.approx(model.predict(1.0, p["n_workers"]).seconds)
        assert p["low"] < p["seconds"] < p["high"]
        assert not any("work at this size" in w for w in p["warnings"])


def test_read_untimed_persists_the_sample_before_the_timer(events, tmp_path, capsys):
    folder, _ = events
    spec = study(folder / "*.parquet", sizes=[0.25], workers=[1], study="untimed")
    spec["dataset"]["read"] = "untimed"
    run_study(spec, results=str(tmp_path), progress=False)
    # The plan is printed before any cluster starts, whatever the progress display.
    assert "0.25 (25%): 4 whole partitions of about 2,500 rows" in capsys.readouterr().out
    (row,) = load_results(str(tmp_path), "untimed").to_dict("records")
    assert row["status"] == "ok" and row["read"] == "untimed" and row["read_s"] > 0
    assert row["sample_partitions"] == 4 and row["sample_rows"] == 4 * GROUP_ROWS


def test_bad_dataset_specs_exit_2_naming_the_field_and_write_nothing(
    events, tmp_path, cli, cli_env
):
    folder, _ = events
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "x.parquet").write_bytes(b"PAR1 not really parquet")
    glob = str(folder / "*.parquet")
    cases = [
        (study(tmp_path / "nowhere.parquet"), "dataset.path", "no such file or folder"),
        (study(folder / "*.pq"), "dataset.path", "no files match"),
        (study(corrupt), "dataset.path", "not a readable Parquet file"),
        (study(glob, sizes=[0.5, 1.5]), "sizes[1]", "must be in (0, 1]"),
        (study(glob, sizes=[0.00001]), "sizes[0]", "is no rows"),
        (study(glob, dataset={"path": glob, "format": "xlsx"}), "dataset.format", "xlsx"),
        (study(glob, dataset=glob), "dataset", "must be a mapping"),
        (
            study(glob, dataset={"path": glob, "options": {"split_rowgroups": True}}),
            "dataset.options.split_rowgroups",
            "is not an option of dask.dataframe.read_parquet",
        ),
        (
            study(glob, dataset={"path": glob}, sizes=[0.25, 0.3]),  # a file per partition
            "sizes[1]",
            "reads the same 1 whole partition(s)",
        ),
        (
            study(glob, dataset={"path": glob, "sample": "rows"}, sizes=[1000, TOTAL + 1]),
            "sizes[1]",
            f"is more than the dataset's {TOTAL:,}",
        ),
    ]

    def run(i):
        spec = tmp_path / f"bad{i}.yaml"
        spec.write_text(yaml.safe_dump(cases[i][0]))
        results = tmp_path / f"results{i}"
        done = cli_run(cli, cli_env, "run", str(spec), "--results", str(results), "--no-progress")
        return done, results

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(run, range(len(cases))))
    for (_, field, words), (done, results) in zip(cases, outcomes, strict=True):
        assert done.returncode == 2, (field, done.stderr)
        assert done.stderr.startswith(f"scaling-lib: error: {field}: "), done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not results.exists(), field  # no records, no spec.yaml
