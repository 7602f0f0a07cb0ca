"""Datasets without a cluster: the spec section, describing files, planning samples,
reading pieces, and the full-dataset target of the analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scaling_lib import DatasetSpec, SpecError, describe_dataset, load_spec
from scaling_lib.analysis.dataset_target import full_dataset_forecast, full_dataset_target
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.recommend import Catalog, Instance, recommend
from scaling_lib.errors import AnalysisError
from scaling_lib.spec.datasets import (
    MAX_OVERSHOOT,
    check_same_dataset,
    check_sizes_against,
    plan_sample,
    rows_wanted,
)
from scaling_lib.workloads.dataset import read_piece

from .analysis.records import make_records

FUNCTION = "tests.dataset_workloads:amount_by_user"


def write_parquet(folder, files=3, groups=4, rows_per_group=100, first=0):
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        n = groups * rows_per_group
        ids = np.arange(first + f * n, first + (f + 1) * n)
        table = pa.table({"id": ids, "user": ids % 7, "amount": ids * 0.5})
        pq.write_table(table, folder / f"part-{f}.parquet", row_group_size=rows_per_group)
    return folder


def spec_with(dataset, **changes):
    return {
        "study": "d",
        "workload": FUNCTION,
        "dataset": dataset,
        "sizes": [0.25, 0.5],
        "workers": [1],
        **changes,
    }


# -- the spec section ------------------------------------------------------------------


def test_dataset_spec_validates_and_infers_the_format():
    ds = DatasetSpec(path=" data/x/*.parquet ")
    assert (ds.path, ds.format, ds.sample, ds.seed, ds.size_unit) == (
        "data/x/*.parquet",
        "parquet",
        "fraction",
        0,
        "fraction",
    )
    assert DatasetSpec(path="s3://b/e.csv.gz").format == "csv"
    for raw, field in (
        ({"path": "data/x", "format": "xlsx"}, "dataset.format"),
        ({"path": "data/x"}, "dataset.format"),
        ({"path": ""}, "dataset.path"),
        ({"path": None}, "dataset.path"),
        ({"format": "csv"}, "dataset.path"),
        ({"path": "a.csv", "sample": "bytes"}, "dataset.sample"),
        ({"path": "a.csv", "seed": 1.5}, "dataset.seed"),
        ({"path": "a.csv", "storage_options": ["anon"]}, "dataset.storage_options"),
        ({"path": "a.csv", "colums": ["a"]}, "dataset.colums"),
        (["a.csv"], "dataset"),
    ):
        with pytest.raises(SpecError) as info:
            DatasetSpec.from_dict(raw)
        assert info.value.field == field, raw


def test_study_spec_checks_sizes_and_workload_against_the_dataset():
    spec = load_spec(spec_with({"path": "x/*.parquet"}))
    assert spec.dataset.format == "parquet" and spec.sizes == (0.25, 0.5)
    assert load_spec(spec.to_dict()) == spec  # round trip, dataset included
    assert (
        "dataset"
        not in load_spec(
            {"study": "a", "workload": "array", "sizes": [10], "workers": [1]}
        ).to_dict()
    )  # specs without one are saved as before
    rows = load_spec(spec_with({"path": "x.csv", "sample": "rows"}, sizes=[100, 2e3]))
    assert rows.sizes == (100, 2000) and isinstance(rows.sizes[1], int)
    for raw, field in (
        (spec_with({"path": "x.parquet"}, sizes=[0.5, 1.5]), "sizes[1]"),
        (spec_with({"path": "x.csv", "sample": "rows"}, sizes=[10.5]), "sizes[0]"),
        (spec_with({"path": "x.parquet"}, workload="array"), "workload"),
        (spec_with("x.parquet"), "dataset"),
    ):
        with pytest.raises(SpecError) as info:
            load_spec(raw)
        assert info.value.field == field, raw


# -- describing ------------------------------------------------------------------------


def test_describe_parquet_reads_footers(tmp_path):
    folder = write_parquet(tmp_path / "events")
    (folder / "_SUCCESS").write_text("")
    info = describe_dataset(
        {"path": str(folder), "format": "parquet"}
    )  # a folder: its .parquet files
    by_glob = describe_dataset({"path": str(folder / "*.parquet")})
    assert [f.path for f in info.files] == [f.path for f in by_glob.files]
    assert [f.path.rsplit("/", 1)[-1] for f in info.files] == [
        "part-0.parquet",
        "part-1.parquet",
        "part-2.parquet",
    ]
    assert info.rows == 1200 and not info.counted
    expected = sum(
        pq.ParquetFile(folder / f"part-{f}.parquet").metadata.row_group(g).total_byte_size
        for f in range(3)
        for g in range(4)
    )
    assert info.bytes == expected
    assert info.schema == {"id": "int64", "user": "int64", "amount": "float64"}
    assert [f.row_groups[0][0] for f in info.files] == [100, 100, 100]
    assert len(info.pieces) == 12


def test_describe_refuses_bad_data_naming_the_field(tmp_path):
    write_parquet(tmp_path / "ok", files=1)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.parquet").write_bytes(b"this is not parquet at all")
    mixed = write_parquet(tmp_path / "mixed", files=1)
    pq.write_table(pa.table({"other": [1]}), mixed / "part-9.parquet")
    (tmp_path / "empty").mkdir()
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), tmp_path / "empty" / "e.parquet")
    for path, words in (
        (tmp_path / "missing", "no such file or folder"),
        (tmp_path / "ok" / "*.csv", "no files match"),
        (tmp_path / "bad", "not a readable Parquet file"),
        (tmp_path / "mixed", "do not share one set of columns"),
        (tmp_path / "empty", "has no rows"),
        (tmp_path / "ok", "has no .csv"),
    ):
        fmt = "csv" if path.name == "ok" else "parquet"
        with pytest.raises(SpecError) as info:
            describe_dataset(DatasetSpec(path=str(path), format=fmt))
        assert info.value.field == "dataset.path" and words in str(info.value), path


def test_csv_rows_are_counted_and_dtypes_agree_across_files(tmp_path):
    (tmp_path / "a.csv").write_text("user,amount\n1,2\n2,3\n3,4\n")
    (tmp_path / "b.csv").write_text("user,amount\n4,2.5\n5,\n")  # float, with a gap
    info = describe_dataset({"path": str(tmp_path / "*.csv")})
    assert info.counted and info.rows == 5 and len(info.pieces) == 2
    assert info.schema == {"user": "int64", "amount": "float64"}
    assert info.bytes == 5 * 16  # two 8-byte columns, counted by pandas
    plan = plan_sample(info, 3)
    assert plan.method == "files" and [p.path for p in plan.pieces] == [info.files[0].path]
    frame = read_piece(
        plan.pieces[0], protocol="file", storage_options={}, fmt="csv", dtypes=info.schema, seed=0
    )
    assert frame.dtypes.to_dict() == {"user": np.int64, "amount": np.float64}
    (tmp_path / "c.csv").write_text('user,amount\n1,"unclosed\n')
    with pytest.raises(SpecError, match=r"dataset\.path: .*c\.csv is not a readable CSV"):
        describe_dataset({"path": str(tmp_path / "c.csv")})


# -- planning and reading samples ------------------------------------------------------


def test_row_group_plans_are_within_one_row_group_of_every_target(tmp_path):
    info = describe_dataset(
        {"path": str(write_parquet(tmp_path / "d", files=3, groups=4)), "format": "parquet"}
    )
    methods = set()
    for wanted in range(80, 1201, 7):
        plan = plan_sample(info, wanted)
        assert wanted <= plan.rows < wanted + 100, wanted  # within one row group
        whole_groups = -(-wanted // 100) * 100
        if whole_groups - wanted <= MAX_OVERSHOOT * wanted:
            assert plan.method == "row-groups" and plan.rows == whole_groups
            # Whole files first, in order, then row groups of the next file.
            assert [p.number for p in plan.pieces] == list(range(len(plan.pieces)))
            assert all(p.take is None for p in plan.pieces)
        else:  # whole row groups would make the point far larger than its size
            assert plan.method == "seeded-rows" and plan.rows == wanted
        assert plan.bytes == sum(p.bytes for p in plan.pieces)
        methods.add(plan.method)
    assert methods == {"row-groups", "seeded-rows"}
    assert rows_wanted(info, 0.25) == 300 and plan_sample(info, 300).rows == 300


def test_coarse_pieces_get_a_seeded_row_sample_that_is_deterministic(tmp_path):
    info = describe_dataset(
        {"path": str(write_parquet(tmp_path / "one", files=1, groups=1)), "format": "parquet"}
    )
    plan = plan_sample(info, 37)
    assert plan.method == "seeded-rows" and plan.rows == 37
    assert [p.take for p in plan.pieces] == [37]

    def rows(plan):
        frames = [
            read_piece(
                p, protocol="file", storage_options={}, fmt="parquet", dtypes={}, seed=plan.seed
            )
            for p in plan.pieces
        ]
        return pd.concat(frames)["id"].tolist()

    first = rows(plan)
    assert len(first) == 37 == len(set(first)) and first == sorted(first)
    assert rows(plan_sample(info, 37)) == first  # same seed, same rows
    assert rows(plan_sample(info, 37, seed=1)) != first

    many = describe_dataset(
        {"path": str(write_parquet(tmp_path / "many", files=2, groups=4)), "format": "parquet"}
    )
    spread = plan_sample(many, 30)  # a tenth of one row group: whole groups would overshoot
    assert spread.method == "seeded-rows" and sum(p.take for p in spread.pieces) == 30
    assert spread == plan_sample(many, 30)


def test_sizes_beyond_the_dataset_and_other_datasets_are_refused(tmp_path):
    info = describe_dataset(
        {"path": str(write_parquet(tmp_path / "d", files=1)), "format": "parquet"}
    )
    check_sizes_against(info, [0.5, 1.0])
    with pytest.raises(SpecError, match=r"sizes\[1\]: .* is no rows"):
        check_sizes_against(info, [0.5, 0.0001])
    rows = describe_dataset({"path": str(tmp_path / "d"), "format": "parquet", "sample": "rows"})
    with pytest.raises(SpecError, match=r"sizes\[0\]: 401 rows is more than the dataset's 400"):
        check_sizes_against(rows, [401])
    same = {"study": "d", "dataset_path": str(tmp_path / "d"), "dataset_rows": 400}
    check_same_dataset([same], info)
    with pytest.raises(SpecError, match=r"^dataset: .* measured on .* name a new study"):
        check_same_dataset([{**same, "dataset_rows": 399}], info)
    with pytest.raises(SpecError, match="measured without a dataset"):
        check_same_dataset([{"study": "d"}], info)


# -- the full dataset as the analysis target -------------------------------------------

CATALOG = Catalog(
    instances=(Instance("tiny", vcpus=2, memory_gib=2, on_demand_hour=0.1, committed_hour=0.1),),
    source="test",
)


def dataset_records(unit="fraction", dataset_bytes=4 * 2**30):
    rows = 40_000
    return make_records(
        sizes=(0.125, 0.25, 0.5) if unit == "fraction" else (5000, 10_000, 20_000),
        workers=(1, 2),
        time=lambda n, p: (n if unit == "fraction" else n / rows) * 8 / p + 0.1,
        size_unit=unit,
        work_items=lambda n, p: n * rows if unit == "fraction" else n,
        peak_memory_bytes=1e8,
        dataset_path="data/events/*.parquet",
        dataset_rows=rows,
        dataset_bytes=dataset_bytes,
    )


def test_analysis_and_recommend_target_the_full_dataset():
    df = dataset_records()
    target = full_dataset_target(df)
    assert (target.size, target.label) == (1.0, "full dataset (40,000 rows)")
    model = fit_time_model(df, draws=20)
    forecast = full_dataset_forecast(df, model)
    assert [p["n_workers"] for p in forecast["predictions"]] == [1, 2]
    one = forecast["predictions"][0]
    assert one["seconds"] == pytest.approx(8.1, rel=0.1)
    # the full dataset lies beyond the largest sample: its interval is the wider one
    sampled = model.predict(float(df["size"].max()), 1)
    assert one["high"] / one["low"] > sampled.high / sampled.low

    rec = recommend(df, CATALOG, draws=20)
    assert rec.target_size == 1.0 and "full dataset (40,000 rows)" in rec.target
    # 1 GiB per worker, 80% usable: 4 GiB of input needs at least 5 workers.
    fits = {o.workers: o.feasible for o in rec.options}
    assert fits[4] is False and fits[8] is True
    assert any("the input at this size is 4 GiB" in a for a in rec.assumptions)

    by_rows = full_dataset_target(dataset_records("rows"))
    assert (by_rows.size, by_rows.input_bytes(20_000)) == (40_000.0, 2 * 2**30)
    assert full_dataset_target(make_records()) is None
    with pytest.raises(AnalysisError, match="size: required"):
        recommend(make_records(), CATALOG)
