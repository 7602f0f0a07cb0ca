"""``%%scale``: measure a notebook cell as it stands, over samples of a dataset.

Usage (in JupyterLab, or a notebook run by papermill)::

    %load_ext scaling_lib
    events = "data/events/*.parquet"       # a path, a dict like a spec's dataset: section,
                                           # or a scaling_lib.DatasetSpec

    %%scale --study cell --sizes 0.01,0.02,0.04 --workers 1,2 --dataset events
    result = events.groupby("user").amount.sum().compute()

Every measured run executes the cell body, timed, with the dataset's name bound to that
point's sample (a ``dask.dataframe`` persisted on the point's cluster before the timer)
and ``client`` bound to the point's ``distributed.Client``. The study is an ordinary one
(a ``dataset:`` spec over a function workload, ``workloads/dataset.py``): every point is
recorded in the results store (``--results``, default ``data/results``) and loads with
``load_results``; points already recorded are not measured again. The cell then shows
the points, the time against the sample size per worker count, and the forecast at the
full dataset. The cell's own variables stay in the cell: the notebook's namespace is
read (its imports and functions are visible) but not changed.

Options: ``--study`` (required), ``--dataset`` (required: a name in the notebook),
``--sizes`` (fractions of the dataset, or rows with ``--sample rows``), ``--workers``,
``--repeats`` (3), ``--warmup`` (1), ``--threads`` (1), ``--memory-limit`` (2GiB),
``--results``, ``--no-trace``. A bad option, an unknown name or a spec the workbook
refuses prints what is wrong, names the field, and measures nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["load_ipython_extension", "parse_scale_line", "scale_spec"]

DEFAULT_RESULTS = "data/results"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(f"%%scale: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%%scale", add_help=False)
    p.add_argument("--study", required=True)
    p.add_argument("--dataset", required=True, help="a name in the notebook: path or DatasetSpec")
    p.add_argument("--sizes", required=True, help="comma-separated fractions (or rows)")
    p.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    p.add_argument("--sample", choices=("fraction", "rows"), default=None)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--memory-limit", default="2GiB")
    p.add_argument("--results", default=DEFAULT_RESULTS)
    p.add_argument("--no-trace", action="store_true")
    return p


def parse_scale_line(line: str) -> argparse.Namespace:
    """The magic's options (ValueError naming the problem)."""
    args = _parser().parse_args(shlex.split(line))
    args.sizes = _numbers(args.sizes, "--sizes", float)
    args.workers = _numbers(args.workers, "--workers", int)
    if not args.dataset.isidentifier():
        raise ValueError(f"%%scale: --dataset must be a Python name, got {args.dataset!r}")
    return args


def _numbers(text: str, option: str, kind: type) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            out.append(kind(part))
        except ValueError:
            raise ValueError(f"%%scale: {option}: {part!r} is not a number") from None
    if not out:
        raise ValueError(f"%%scale: {option} is empty")
    return out


def _dataset_section(value: Any, name: str) -> dict[str, Any]:
    """A spec's ``dataset:`` section from what the notebook's ``name`` holds."""
    from scaling_lib.spec.datasets import DatasetSpec

    if isinstance(value, DatasetSpec):
        return {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
    if isinstance(value, str):
        return {"path": value}
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(
        f"%%scale: --dataset {name}: {name} holds a {type(value).__name__}; give it a path, "
        "a dict like a spec's dataset: section, or a scaling_lib.DatasetSpec"
    )


def scale_spec(args: argparse.Namespace, dataset: Any, workload_name: str) -> dict[str, Any]:
    """The study spec the magic runs (``load_spec`` validates it)."""
    section = _dataset_section(dataset, args.dataset)
    if args.sample is not None:
        section["sample"] = args.sample
    return {
        "study": args.study,
        "workload": workload_name,
        "dataset": section,
        "sizes": args.sizes,
        "workers": args.workers,
        "threads_per_worker": args.threads,
        "memory_limit": args.memory_limit,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "baseline": False,
        "calibrate": False,
        "trace": not args.no_trace,
    }


def _cell_function(cell: str, study: str, name: str, user_ns: Mapping[str, Any]):
    """``fn(client, ddf)`` running the cell body with ``name`` bound to the sample."""
    code = compile(cell, f"<%%scale {study}>", "exec")

    def run_cell(client: Any, ddf: Any) -> None:
        # A copy: the notebook's names are visible, the cell's own stay in the cell.
        namespace = dict(user_ns)
        namespace[name] = ddf
        namespace["client"] = client
        exec(code, namespace)  # the user's own cell, run as they wrote it
        return None  # the sample's rows are the work

    run_cell.__qualname__ = f"scale_cell_{study}"
    return run_cell


def run_scale_cell(line: str, cell: str, user_ns: Mapping[str, Any]) -> Any:
    """Measure ``cell`` as ``line`` says; return what the cell displays."""
    from scaling_lib.run.sweep import run_study
    from scaling_lib.workloads.registry import FunctionWorkload, register, registered, unregister

    args = parse_scale_line(line)
    if args.dataset not in user_ns:
        raise ValueError(
            f"%%scale: --dataset {args.dataset}: no such name in the notebook; set it first, "
            f'e.g. {args.dataset} = "data/events/*.parquet"'
        )
    name = f"cell-{args.study}"
    spec = scale_spec(args, user_ns[args.dataset], name)
    fn = _cell_function(cell, args.study, args.dataset, user_ns)
    previous = registered(name)
    register(FunctionWorkload(name, fn, size_unit="fraction"), replace=True)
    try:
        summary = run_study(spec, results=args.results, progress=True)
    except BaseException:
        unregister(name, previous)  # a refused spec leaves no workload behind
        raise
    from scaling_lib.notebook.magic_views import scale_cell_views

    return scale_cell_views(args.results, args.study, summary)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%scale`` (``%load_ext scaling_lib`` calls this)."""
    from IPython.core.error import UsageError

    from scaling_lib.errors import ScalingLibError

    def scale(line: str, cell: str) -> Any:
        try:
            return run_scale_cell(line, cell, ipython.user_ns)
        except (ValueError, ScalingLibError) as exc:
            # A usage error prints its message only: no traceback for a typo.
            raise UsageError(str(exc)) from None

    ipython.register_magic_function(scale, magic_kind="cell", magic_name="scale")
