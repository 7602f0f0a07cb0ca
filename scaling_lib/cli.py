"""The ``scaling-lib`` command.

Usage::

    scaling-lib run examples/quick.yaml [--results DIR] [--retry-failed]
    scaling-lib ls [--results DIR]
    scaling-lib show quick [--results DIR] [--json]
    scaling-lib batch examples/quick.yaml examples/etl.yaml [--results DIR]
    scaling-lib serve [--results DIR] [--port 5006] [--address 127.0.0.1]
    scaling-lib report quick --html quick.html
    scaling-lib analyze quick [--json]
    scaling-lib recommend quick [gpu-study] --size 20000 [--deadline 600] [--budget 2] [--json]
    scaling-lib recommend events            # a dataset study: the full dataset by default
    scaling-lib advise events [--size N] [--workers P] [--budget 10m] [--json]
    scaling-lib run examples/events.yaml --until-width 1.5 --budget 15m   # adaptive
    scaling-lib what-if quick --workers 4,8,16,64 [--size N] [--bandwidth 10Gbit/s] [--json]
    scaling-lib autoscale serve-load --profile 3@10,6@45,3@10 --min 1 --max 2 \
        [--param hidden=4096 ...] [--json]

Exit codes: 0 success (failed points are recorded, not fatal); 2 bad input or an
unusable cluster, with a message naming the field, file or address; 1 a notebook of a
batch failed (the message names the notebook, the cell and the error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence

from scaling_lib.errors import ScalingLibError
from scaling_lib.run.advise_cli import add_adaptive_options, add_advise_parser, run_adaptive_command
from scaling_lib.store.records import DEFAULT_RESULTS

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            return args.handler(args)
    except ScalingLibError as exc:
        print(f"scaling-lib: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scaling-lib: interrupted; points already measured are kept", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scaling-lib", description="Measure how Dask workloads scale."
    )
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run a study spec (YAML), skipping points already stored")
    run.add_argument("spec", help="path to a study spec (YAML)")
    run.add_argument("--results", default=DEFAULT_RESULTS, help="results store (path or URL)")
    run.add_argument("--retry-failed", action="store_true", help="measure failed points again")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_adaptive_options(run)
    run.set_defaults(handler=_cmd_run)

    ls = sub.add_parser("ls", help="list the studies in the results store")
    ls.add_argument("--results", default=DEFAULT_RESULTS)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=_cmd_ls)

    show = sub.add_parser("show", help="summarise one study: medians over repeats per point")
    show.add_argument("study")
    show.add_argument("--results", default=DEFAULT_RESULTS)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_cmd_show)
    batch = sub.add_parser(
        "batch", help="run and analyse specs through the notebooks (papermill), archived"
    )
    batch.add_argument("specs", nargs="+", help="study specs (YAML)")
    batch.add_argument("--results", default=DEFAULT_RESULTS)
    batch.set_defaults(handler=_cmd_batch)

    serve = sub.add_parser("serve", help="serve the dashboard (127.0.0.1 unless told)")
    serve.add_argument(
        "--results",
        default=None,
        help="results store (default data/results, or the example study when that is empty)",
    )
    serve.add_argument("--port", type=int, default=5006)
    serve.add_argument(
        "--address",
        default="127.0.0.1",
        help="bind address; anything but loopback exposes the results",
    )
    serve.add_argument("--basic-auth", help="USER:PASSWORD or a file of them (Panel basic auth)")
    serve.add_argument("--cookie-secret", help="cookie secret for --basic-auth")
    serve.add_argument("--show", action="store_true", help="open a browser")
    serve.set_defaults(handler=_cmd_serve)

    report = sub.add_parser("report", help="write a self-contained HTML report of a study")
    report.add_argument("study")
    report.add_argument("--html", required=True, help="output file")
    report.add_argument("--results", default=DEFAULT_RESULTS)
    report.set_defaults(handler=_cmd_report)

    analyze = sub.add_parser("analyze", help="fit scaling laws, diagnose bottlenecks, roofline")
    analyze.add_argument("study")
    analyze.add_argument("--results", default=DEFAULT_RESULTS)
    analyze.add_argument("--json", action="store_true")
    analyze.set_defaults(handler=_cmd_analyze)

    rec = sub.add_parser("recommend", help="rank instance options for a target size")
    rec.add_argument("study", nargs="+", help="one study, or a CPU and a GPU study to compare them")
    rec.add_argument(
        "--size",
        type=float,
        help="target size, in the study's unit (a dataset study: the full dataset if left out)",
    )
    rec.add_argument("--deadline", type=float, help="seconds one run may take")
    rec.add_argument("--budget", type=float, help="money one run may cost")
    rec.add_argument("--pricing", choices=("on_demand", "committed", "spot"), default="on_demand")
    rec.add_argument(
        "--utilisation",
        type=float,
        default=1.0,
        help="committed pricing: the share of the reservation's term in use (default 1.0)",
    )
    rec.add_argument(
        "--core-speed",
        type=float,
        default=1.0,
        help="an instance vCPU's speed relative to a core here (default 1.0)",
    )
    rec.add_argument(
        "--catalog", help="instance catalog YAML (default: the one shipped with the package)"
    )
    rec.add_argument("--provider", help="only these clouds of the catalog, e.g. aws,gcp")
    rec.add_argument("--top", type=int, default=12, help="options to print")
    rec.add_argument("--results", default=DEFAULT_RESULTS)
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(handler=_cmd_recommend)

    sim = sub.add_parser(
        "what-if",
        aliases=["simulate"],  # its name before 2026-12-07: still accepted, with a note
        help="replay a study's measured task graphs on more workers, another size or network",
    )
    sim.add_argument("study")
    sim.add_argument("--workers", default="4,8,16,64", help="worker counts, e.g. 4,8,16,64")
    sim.add_argument("--size", type=float, help="a traced size (default: the largest)")
    sim.add_argument("--bandwidth", help="network per worker for the target, e.g. 10Gbit/s")
    sim.add_argument("--results", default=DEFAULT_RESULTS)
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(handler=_cmd_what_if)

    auto = sub.add_parser(
        "autoscale",
        help="bursty request load on a fixed vs an adaptive local cluster (serve workload)",
    )
    auto.add_argument("study", help="study to save autoscale.json in")
    auto.add_argument("--results", default=DEFAULT_RESULTS)
    auto.add_argument(
        "--profile",
        default="3@10,6@45,3@10",
        help="phases SECONDS@REQUESTS_PER_S, comma-separated",
    )
    auto.add_argument("--min", dest="minimum", type=int, default=1)
    auto.add_argument("--max", dest="maximum", type=int, default=2)
    auto.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE",
        help="a serve workload parameter (hidden, batch, features, outputs, seed)",
    )  # fmt: skip
    auto.add_argument("--memory-limit", default="2GiB")
    auto.add_argument("--json", action="store_true")
    auto.set_defaults(handler=_cmd_autoscale)
    add_advise_parser(sub)
    return parser


def _cmd_batch(args: argparse.Namespace) -> int:
    from scaling_lib.run.batch import run_batch

    outcomes = run_batch(args.specs, results=args.results)
    for o in outcomes:
        state = "ok" if o.ok else f"FAILED: {o.error}"
        print(f"{o.study}: {state}")
        for path in o.archived:
            print(f"  executed notebook: {path}")
    return 0 if all(o.ok for o in outcomes) else 1


def _cmd_serve(args: argparse.Namespace) -> int:
    from scaling_lib.dashboard.app import default_results, serve

    results = args.results or default_results()
    if args.address not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"scaling-lib: warning: serving on {args.address}: anyone who can reach it can "
            "read these results" + ("" if args.basic_auth else " (no --basic-auth given)"),
            file=sys.stderr,
        )
    print(f"Scaling Workbook dashboard: http://{args.address}:{args.port}/  (results {results})")
    serve(
        results,
        address=args.address,
        port=args.port,
        show=args.show,
        basic_auth=args.basic_auth,
        cookie_secret=args.cookie_secret,
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from scaling_lib.dashboard.app import write_report

    path = write_report(args.study, args.results, args.html)
    print(f"wrote {path} (self-contained: open it from disk, no server needed)")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from scaling_lib.run.analyze_cli import analyze_command

    store, df = _study_frame(args.results, args.study)
    result, text = analyze_command(store, args.study, df)
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


def _cmd_recommend(args: argparse.Namespace) -> int:
    from scaling_lib.analysis.report import recommendation_dict
    from scaling_lib.errors import SpecError
    from scaling_lib.present.analysis import recommendation_text
    from scaling_lib.simulate.study_recommendation import study_recommendation

    for name in ("size", "deadline", "budget", "core_speed"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise SpecError(f"--{name.replace('_', '-')}", f"must be positive, got {value:g}")
    if not 0 < args.utilisation <= 1:
        raise SpecError("--utilisation", f"must be in (0, 1], got {args.utilisation:g}")
    if args.size is None:  # a dataset study targets its full dataset; the result says so
        import pandas as pd

        from scaling_lib.analysis.dataset_target import full_dataset_target

        df = pd.concat([_study_frame(args.results, s)[1] for s in args.study], ignore_index=True)
        if full_dataset_target(df) is None:
            raise SpecError("--size", "is required: this study sampled no dataset to default to")
    # The one recommendation the notebook and the dashboard show too (the first study's
    # traces simulated beyond the measured workers, where it has them).
    rec = study_recommendation(
        args.results,
        args.study,
        size=args.size,
        deadline_s=args.deadline,
        budget=args.budget,
        pricing=args.pricing,
        utilisation=args.utilisation,
        core_speed=args.core_speed,
        provider=args.provider,
        catalog=args.catalog,
    )
    result = recommendation_dict(rec)
    text = recommendation_text(result, args.top)
    if result["target"]:
        text = f"Target defaults to {result['target']} (no --size given)\n{text}"
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


def _cmd_what_if(args: argparse.Namespace) -> int:
    if args.command == "simulate":
        print("scaling-lib: 'simulate' is now 'what-if'; the old name will go", file=sys.stderr)
    from scaling_lib.errors import SpecError
    from scaling_lib.present.what_if import what_if_text
    from scaling_lib.simulate.what_if import what_if_study

    workers = []
    for item in args.workers.split(","):
        try:
            value = int(item)
        except ValueError:
            raise SpecError("--workers", f"{item!r} is not a whole number") from None
        if not 1 <= value <= 10_000:
            raise SpecError("--workers", f"{value} is not between 1 and 10,000")
        workers.append(value)
    if args.size is not None and not args.size > 0:
        raise SpecError("--size", f"must be positive, got {args.size:g}")
    bandwidth = _rate(args.bandwidth) if args.bandwidth else None
    sim = what_if_study(
        args.study, args.results, workers=workers, size=args.size, bandwidth_Bps=bandwidth
    ).to_dict()
    print(json.dumps(sim, indent=2) if args.json else what_if_text(sim))
    return 0


def _rate(text: str) -> float:
    """Bytes per second from '10Gbit/s', '1.25GB/s', '500MiB/s' or a plain number."""
    from dask.utils import parse_bytes

    from scaling_lib.errors import SpecError

    raw = text.strip().removesuffix("/s")
    try:
        bits = raw.lower().endswith("bit")
        value = parse_bytes(raw[:-3] + "B") / 8 if bits else parse_bytes(raw)
    except (ValueError, TypeError):
        raise SpecError("--bandwidth", f"{text!r} is not a rate like 10Gbit/s or 1GB/s") from None
    if not value > 0:
        raise SpecError("--bandwidth", f"must be positive, got {text!r}")
    return float(value)


def _cmd_autoscale(args: argparse.Namespace) -> int:
    import yaml

    from scaling_lib.errors import SpecError
    from scaling_lib.present.analysis import autoscale_text
    from scaling_lib.run.autoscale import run_autoscale_experiment
    from scaling_lib.store.records import check_study_name

    check_study_name(args.study)
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise SpecError("--param", f"{item!r} is not NAME=VALUE")
        params[name.strip()] = yaml.safe_load(value)
    result = run_autoscale_experiment(
        args.study,
        results=args.results,
        params=params,
        profile=args.profile,
        minimum=args.minimum,
        maximum=args.maximum,
        memory_limit=args.memory_limit,
    )
    print(json.dumps(result, indent=2) if args.json else autoscale_text(result))
    return 0


def _study_frame(results: str, study: str):
    from scaling_lib.store.records import ResultsStore

    store = ResultsStore(results)
    return store, store.load_study(study)


def _cmd_run(args: argparse.Namespace) -> int:
    from scaling_lib.run.sweep import run_study
    from scaling_lib.spec.study import load_spec

    # Custom workloads named `module:function` may sit beside the spec or in the
    # current folder, as `python -m` would find them (worker processes inherit sys.path).
    for folder in (os.path.dirname(os.path.abspath(args.spec)), os.getcwd()):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = load_spec(args.spec)
    if args.until_width is not None:
        return run_adaptive_command(args, spec)
    summary = run_study(
        spec, results=args.results, progress=not args.no_progress, retry_failed=args.retry_failed
    )
    print(summary)
    return 0


def _cmd_ls(args: argparse.Namespace) -> int:
    from scaling_lib.present.records import human_studies, list_studies

    table = list_studies(args.results)
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2, default=str))
    elif table.empty:
        print(f"no studies in {args.results}")
    else:
        print(human_studies(table).to_string(index=False))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from scaling_lib.present.records import human_summary, off_trend_lines, summarize_study

    table = summarize_study(args.results, args.study)
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2, default=str))
    else:
        print(f"study {args.study} ({args.results}): medians over repeats")
        print(human_summary(table).to_string(index=False))
        if off := off_trend_lines(table):
            print("\nOff the trend (cost per unit of work against its neighbours):")
            print("\n".join(f"  {line}" for line in off))
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"scaling-lib: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
