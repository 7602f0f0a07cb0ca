"""``%%scale``: a notebook cell measured as a workload, in a real kernel through papermill."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import papermill
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scaling_lib import available_workloads, load_results
from scaling_lib.run.batch import kernel_name

PLOT = "application/vnd.holoviews_exec.v0+json"
ROWS_PER_GROUP = 500
GROUPS = 2
FILES = 4  # read_parquet's partitions are whole files: a quarter each
TOTAL = ROWS_PER_GROUP * GROUPS * FILES

CELL = """%%scale --study cell --sizes 0.25,0.5,1 --workers 1,2 --dataset events --results {results} --repeats 1 --warmup 0 --no-trace
per_user = events.groupby("user").amount.sum().compute()
assert len(per_user) > 0"""  # noqa: E501 - one magic line, as a user types it


def write_events(folder: Path) -> str:
    """FILES Parquet files of GROUPS row groups each: user and amount, seeded."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for f in range(FILES):
        n = ROWS_PER_GROUP * GROUPS
        table = pa.table(
            {"user": rng.integers(0, 50, n), "amount": rng.random(n)},
        )
        pq.write_table(table, folder / f"part-{f}.parquet", row_group_size=ROWS_PER_GROUP)
    return str(folder / "*.parquet")


def magic_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('results = ""\nevents_path = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("%load_ext scaling_lib"),
        nbformat.v4.new_code_cell("events = events_path"),
        nbformat.v4.new_code_cell(CELL),
    ]
    nb.metadata["kernelspec"] = {
        "name": kernel_name(),
        "display_name": "kernel",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_a_cell_is_measured_over_dataset_samples_in_a_papermill_run(tmp_path):
    events = write_events(tmp_path / "events")
    results = tmp_path / "results"
    source, executed = tmp_path / "magic.ipynb", tmp_path / "magic-out.ipynb"
    magic_notebook(source)
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters={"results": str(results), "events_path": events},
        kernel_name=kernel_name(),
        cwd=str(tmp_path),
        progress_bar=False,
    )
    df = load_results(str(results), study="cell")
    ok = df[df["status"] == "ok"]
    assert sorted(set(zip(ok["size"], ok["n_workers"], strict=True))) == [
        (s, p) for s in (0.25, 0.5, 1.0) for p in (1, 2)
    ]
    assert set(ok["workload"]) == {"cell-cell"}
    # Whole partitions (files) in order: each sample is exactly its share of the rows here.
    assert (ok["sample_rows"] == ok["size"] * TOTAL).all()
    assert (ok["dataset_rows"] == TOTAL).all()
    nb = nbformat.read(executed, as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outs if o.output_type == "error"]
    assert any(PLOT in o.get("data", {}) for o in outs)
    markdown = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in outs)
    assert f"Forecast at the full dataset ({TOTAL:,} rows)" in markdown


@pytest.fixture
def shell(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    # IPython warns when VIRTUAL_ENV names another environment than the one running
    # (a shell that activated a different checkout's venv): not what is tested here.
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "scaling_lib")
    yield ip
    InteractiveShell.clear_instance()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--study c --sizes 0.5 --dataset nowhere", "--dataset nowhere: no such name"),
        ("--study c --sizes 0.5,x --dataset events", "--sizes: 'x' is not a number"),
        ("--study c --sizes 1.5 --dataset events", "sizes[0]"),
        ("--sizes 0.5 --dataset events", "the following arguments are required: --study"),
        ("--study c --sizes 0.5 --dataset number", "number holds a int"),
    ],
)
def test_a_bad_magic_line_names_the_problem_and_records_nothing(shell, tmp_path, line, message):
    results = tmp_path / "results"
    shell.user_ns["events"] = write_events(tmp_path / "events")
    shell.user_ns["number"] = 3
    outcome = shell.run_cell(f"%%scale {line} --results {results}\nx = 1\n")
    error = outcome.error_in_exec
    assert type(error).__name__ == "UsageError"
    assert message in str(error)
    assert not results.exists() or not any(results.rglob("*.parquet"))
    assert "cell-c" not in available_workloads()  # a refused cell leaves no workload behind
