"""Batch runs: execute the notebooks through papermill for each spec, keeping the evidence.

Usage::

    outcomes = run_batch(["examples/quick.yaml", "examples/etl.yaml"], results="data/results")
    [o.ok for o in outcomes]

For each spec, ``01_run_study`` measures it and ``02_analyze_study`` analyses it, in
the project's Jupyter kernel; every executed notebook (failed ones too) is archived as
``<results>/<study>/notebooks/<notebook>-<UTC time>.ipynb``. Specs are validated before
anything runs. A failing cell is reported with the notebook, the cell index and the
error; the records written before it stay in the store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scaling_lib.spec.study import load_spec
from scaling_lib.store.records import ResultsStore

__all__ = ["KERNEL_NAME", "NOTEBOOKS", "BatchOutcome", "execute_notebook", "run_batch"]

# The repository's notebooks/, as package data (a link in a checkout, files in a wheel).
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebook" / "drivers"
KERNEL_NAME = "scaling-workbook"


@dataclass
class BatchOutcome:
    spec: str
    study: str
    archived: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def kernel_name() -> str:
    """The project's registered kernel, or this environment's own python3 kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def notebook_file(name: str) -> Path:
    """The .ipynb of a notebook in notebooks/, made from its py:percent pair if missing."""
    ipynb = NOTEBOOKS / f"{name}.ipynb"
    if ipynb.exists():
        return ipynb
    import jupytext
    import nbformat

    converted = Path(tempfile.mkdtemp(prefix="scaling-lib-nb-")) / ipynb.name
    nbformat.write(jupytext.read(NOTEBOOKS / f"{name}.py"), converted)
    return converted


def execute_notebook(name: str, output: Path, parameters: dict) -> None:
    """Run one notebook with papermill in the notebooks folder; raises on a failing cell."""
    import papermill

    papermill.execute_notebook(
        str(notebook_file(name)),
        str(output),
        parameters=parameters,
        kernel_name=kernel_name(),
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )


def run_batch(
    spec_paths: Sequence[str],
    *,
    results: str,
    log: Callable[[str], None] = print,
    notebooks: Sequence[str] = ("01_run_study", "02_analyze_study"),
) -> list[BatchOutcome]:
    """Execute ``notebooks`` for every spec; see the module docstring."""
    import papermill

    specs = [(str(Path(p).resolve()), load_spec(p)) for p in spec_paths]  # validate all first
    store = ResultsStore(results)
    results_abs = str(Path(results).resolve()) if "://" not in results else results
    outcomes = []
    for path, spec in specs:
        outcome = BatchOutcome(spec=path, study=spec.study)
        parameters = {
            "01_run_study": {"spec_path": path, "results": results_abs},
            "02_analyze_study": {"study": spec.study, "results": results_abs},
        }
        for name in notebooks:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            with tempfile.TemporaryDirectory() as tmp:
                executed = Path(tmp) / f"{name}-{stamp}.ipynb"
                log(f"{spec.study}: running {name}")
                try:
                    execute_notebook(name, executed, parameters.get(name, {}))
                except papermill.PapermillExecutionError as exc:
                    outcome.error = (
                        f"{name} failed at cell {exc.cell_index}: {exc.ename}: {exc.evalue}"
                    )
                finally:
                    if executed.exists():
                        outcome.archived.append(store.archive_notebook(spec.study, executed))
            if outcome.error:
                log(f"{spec.study}: {outcome.error} (records written before it are kept)")
                break
        outcomes.append(outcome)
    return outcomes
