"""Datasets without a cluster: the spec section, describing files, planning samples,
reading pieces, and the full-dataset target of the analysis."""

from __future__ import annotations

import numpy as np
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
    plan_samples,
    production_frame,
    rows_wanted,
)
from scaling_lib.workloads.dataset import read_sample

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
        ({"path": "a.csv", "read": "later"}, "dataset.read"),
        ({"path": "a.csv", "options": ["blocksize"]}, "dataset.options"),
        ({"path": "a.csv", "options": {"storage_options": {}}}, "dataset.options.storage_options"),
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
    # dask.dataframe.read_parquet's own partitions: a file each by default, a row group
    # each when production reads with split_row_groups.
    assert [(p.rows, p.bytes) for p in info.partitions] == [(f.rows, f.bytes) for f in info.files]
    split = describe_dataset(
        {"path": str(folder), "format": "parquet", "options": {"split_row_groups": True}}
    )
    assert [p.rows for p in split.partitions] == [100] * 12
    assert sum(p.bytes for p in split.partitions) == expected


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
    assert info.counted and info.rows == 5 and len(info.partitions) == 2
    assert info.schema == {"user": "int64", "amount": "float64"}
    assert info.bytes == 5 * 16  # two 8-byte columns, counted by pandas
    plan = plan_sample(info, 3)
    assert plan.partitions == (0,) and plan.rows == 3  # the first file, whole
    frame = read_sample(info, plan).compute(scheduler="sync")
    assert len(frame) == 3 and frame["user"].tolist() == [1, 2, 3]
    (tmp_path / "c.csv").write_text('user,amount\n1,"unclosed\n')
    with pytest.raises(SpecError, match=r"dataset\.path: .*c\.csv is not a readable CSV"):
        describe_dataset({"path": str(tmp_path / "c.csv")})


# -- planning and reading samples ------------------------------------------------------


def test_plans_take_the_nearest_whole_partitions_of_production(tmp_path):
    folder = write_parquet(tmp_path / "d", files=3, groups=4)
    info = describe_dataset(
        {"path": str(folder), "format": "parquet", "options": {"split_row_groups": True}}
    )
    nearest = set()
    for wanted in range(1, 1201, 7):
        plan = plan_sample(info, wanted)
        assert plan.rows % 100 == 0 and plan.partitions == tuple(range(plan.rows // 100))
        # No whole-partition count comes nearer the rows wanted, in ratio.
        best = min(abs(np.log(k * 100 / wanted)) for k in range(1, 13))
        assert abs(np.log(plan.rows / wanted)) == pytest.approx(best), wanted
        assert plan.rows_per_partition == 100 and plan.method == "partitions"
        assert plan.nearest == (abs(plan.rows - wanted) > MAX_OVERSHOOT * wanted)
        assert plan.bytes == sum(p.bytes for p in info.partitions[: len(plan.partitions)])
        nearest.add(plan.nearest)
    assert nearest == {True, False}  # 1 row wanted reads a whole partition of 100
    assert rows_wanted(info, 0.25) == 300 and plan_sample(info, 300).rows == 300
    assert plan_sample(info, 300).size(info) == 0.25


def test_sizes_that_read_the_same_partitions_are_refused_before_any_cluster(tmp_path):
    folder = write_parquet(tmp_path / "d", files=3, groups=4)
    info = describe_dataset({"path": str(folder), "format": "parquet"})  # a file each
    assert [p.rows for p in info.partitions] == [400, 400, 400]
    with pytest.raises(SpecError, match=r"sizes\[1\]: 0.2 reads the same 1 whole partition") as e:
        plan_samples(info, [0.1, 0.2, 0.6])
    assert "split_row_groups" in str(e.value)
    plans = plan_samples(info, [0.3, 0.6, 1.0])
    assert [len(p.partitions) for p in plans] == [1, 2, 3]
    assert plans[0].nearest is False and plans[0].size(info) == pytest.approx(1 / 3)


def test_a_sample_is_production_in_miniature(tmp_path):
    """Production's reader and options: its dtypes (pyarrow strings, unknown categories)
    and its rows per partition, only fewer partitions."""
    folder = tmp_path / "shop"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for f in range(4):
        n = 600
        table = pa.table(
            {
                "item": pa.array([f"sku-{i}" for i in rng.integers(0, 50, n)]),
                "country": pa.DictionaryArray.from_arrays(
                    pa.array(rng.integers(0, 3, n), pa.int32()), pa.array(["DE", "FR", "JP"])
                ),
                "ts": pa.array(np.arange(n).astype("datetime64[s]")),
                "amount": rng.random(n),
            }
        )
        pq.write_table(table, folder / f"part-{f}.parquet", row_group_size=200)
    for options in ({}, {"split_row_groups": True}):
        dataset = DatasetSpec(path=str(folder / "*.parquet"), options=options)
        info = describe_dataset(dataset)
        production = production_frame(dataset)
        whole = production.map_partitions(len).compute(scheduler="sync").tolist()
        assert [p.rows for p in info.partitions] == whole, options
        plan = plan_sample(info, rows_wanted(info, 0.25))
        sample = read_sample(info, plan)
        assert sample.npartitions == len(plan.partitions) < production.npartitions
        lengths = sample.map_partitions(len).compute(scheduler="sync").tolist()
        assert lengths == whole[: len(lengths)] and plan.rows == sum(lengths)
        computed = sample.compute(scheduler="sync")
        assert computed.dtypes.astype(str).to_dict() == production.dtypes.astype(str).to_dict()
        first = production.partitions[0].compute(scheduler="sync")
        assert computed.dtypes.to_dict() == first.dtypes.to_dict()
        assert str(computed["item"].dtype) in ("string", "string[pyarrow]")  # as production


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

    # The dashboard's tabs default to the same target as analyze and recommend.
    from scaling_lib.dashboard.view_base import default_target

    assert default_target(df) == 1.0 and default_target(dataset_records("rows")) == 40_000
    plain = make_records()
    assert default_target(plain) == 8 * plain["size"].max()

    by_rows = full_dataset_target(dataset_records("rows"))
    assert (by_rows.size, by_rows.input_bytes(20_000)) == (40_000.0, 2 * 2**30)
    assert full_dataset_target(make_records()) is None
    with pytest.raises(AnalysisError, match="size: required"):
        recommend(make_records(), CATALOG)
