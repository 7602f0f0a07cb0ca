"""``scaling-lib advise`` and the adaptive options of ``scaling-lib run``.

Usage::

    scaling-lib advise events [--size 1.0] [--workers 2] [--budget 10m] [--json]
    scaling-lib run examples/events.yaml --until-width 1.5 --budget 15m [--steps 1]
    scaling-lib run examples/quick.yaml --until-width 2 --target-size 4000 --target-workers 2

``advise`` ranks the measurements this machine can take by how much each narrows the
forecast at the target per second (``analysis.advise``); ``run --until-width`` measures
them one at a time until the forecast is that narrow (``run.adaptive``).
"""

from __future__ import annotations

import argparse
import json

import yaml

from scaling_lib.errors import SpecError, StoreError
from scaling_lib.store.records import DEFAULT_RESULTS

__all__ = [
    "add_adaptive_options",
    "add_advise_parser",
    "advice_section",
    "run_adaptive_command",
]


def add_advise_parser(sub) -> None:
    adv = sub.add_parser(
        "advise", help="which measurement narrows the forecast at a target most per second"
    )
    adv.add_argument("study")
    adv.add_argument("--size", type=float, help="target size (a dataset study: its full dataset)")
    adv.add_argument("--workers", type=int, help="target workers (default: the most measured)")
    adv.add_argument("--budget", help="only measurements expected to fit, e.g. 10m, 90s")
    adv.add_argument("--results", default=DEFAULT_RESULTS)
    adv.add_argument("--json", action="store_true")
    adv.set_defaults(handler=_cmd_advise)


def add_adaptive_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--until-width",
        type=float,
        help="adaptive: measure advised points until the target's 90%% interval (high/low) "
        "is at most this",
    )
    run.add_argument("--budget", help="adaptive: measuring time allowed, e.g. 15m (default: none)")
    run.add_argument("--target-size", type=float, help="adaptive: target size (dataset: full)")
    run.add_argument("--target-workers", type=int, help="adaptive: target workers")
    run.add_argument("--steps", type=int, help="adaptive: at most this many points")


def run_adaptive_command(args: argparse.Namespace, spec) -> int:
    from scaling_lib.run.adaptive import run_adaptive
    from scaling_lib.run.reach import budget_seconds

    summary = run_adaptive(
        spec,
        until_width=args.until_width,
        budget_s=budget_seconds(args.budget),
        results=args.results,
        target_size=args.target_size,
        target_workers=args.target_workers,
        max_steps=args.steps,
        progress=not args.no_progress,
    )
    print(summary)
    return 0


def advice_section(store, study: str, df) -> dict | None:
    """``analyze``'s advice beside its forecast at the full dataset (on the most measured
    workers); None for a study without that forecast, the reason when it has none."""
    from scaling_lib.analysis.advise import advise
    from scaling_lib.analysis.advise_candidates import reach_from_records
    from scaling_lib.analysis.dataset_target import full_dataset_target
    from scaling_lib.analysis.scaling import dask_runs
    from scaling_lib.errors import AnalysisError
    from scaling_lib.run.reach import reach_of

    dataset = full_dataset_target(df)
    runs = dask_runs(df)
    if dataset is None or runs.empty:
        return None
    workers = int(runs["n_workers"].max())
    spec = _saved_spec(store, study)
    reach = (
        reach_of(spec, df, target_workers=workers)
        if spec is not None
        else reach_from_records(df, target_workers=workers)
    )
    try:
        report = advise(df, target_size=dataset.size, target_workers=workers, reach=reach)
    except AnalysisError as exc:
        return {"unavailable": str(exc)}
    return report.as_dict()


def _saved_spec(store, study: str) -> dict | None:
    """The study's saved spec as plain YAML data (not validated: that would import its
    workload, which advising does not need), or None without one."""
    try:
        raw = yaml.safe_load(store.read_file(study, "spec.yaml"))
    except FileNotFoundError:
        return None
    except yaml.YAMLError as exc:
        raise StoreError(f"{study}/spec.yaml is not valid YAML: {exc}") from exc
    return raw if isinstance(raw, dict) else None


def _cmd_advise(args: argparse.Namespace) -> int:
    from scaling_lib.analysis.advise import advise
    from scaling_lib.analysis.dataset_target import full_dataset_target
    from scaling_lib.analysis.scaling import dask_runs
    from scaling_lib.present.advice import advice_text
    from scaling_lib.run.reach import budget_seconds, reach_of
    from scaling_lib.store.records import ResultsStore

    store = ResultsStore(args.results)
    df = store.load_study(args.study)
    spec = _saved_spec(store, args.study)
    if spec is None:
        raise StoreError(
            f"study {args.study!r} has no spec.yaml beside its records: run its spec again"
        )
    size = args.size
    if size is None:
        dataset = full_dataset_target(df)
        if dataset is None:
            raise SpecError("--size", "the target size is needed (a dataset study's is its full)")
        size = dataset.size
    workers = args.workers or int(dask_runs(df)["n_workers"].max())
    report = advise(
        df,
        target_size=size,
        target_workers=workers,
        reach=reach_of(spec, df, target_workers=workers),
        budget_s=budget_seconds(args.budget),
    )
    out = report.as_dict()
    print(json.dumps(out, indent=2) if args.json else advice_text(out))
    return 0
