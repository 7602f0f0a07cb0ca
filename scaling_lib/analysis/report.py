"""One analysis of a study: everything ``scaling-lib analyze`` prints, as plain data.

Usage::

    result = analyze_study(df, host_limits)
    result["strong_scaling"], result["diagnosis"], result["roofline"]
    json.dumps(result)          # stable keys, documented in the README

    rec = recommendation_dict(recommend(df, catalog, size=1e7))

Keys of ``analyze_study`` (schema ``analysis/1``): ``schema``, ``study``, ``runs``,
``statuses``, ``strong_scaling`` (rows), ``weak_scaling`` (rows, with the ``basis``
they pair on), ``laws`` (per size: Amdahl, USL where identified, else why in ``note``,
and ``implied_serial_fraction``), ``gustafson_serial_fraction``, ``data_scaling`` (per
worker count: time and memory models, out-of-memory size, ``regime_change``, the
``left_out_sizes`` of the time law), ``off_trend`` (points whose cost per unit of work
departs from their neighbours', each with its ``ratio``, ``cause``, ``evidence``, whether
the time model ``left_out`` it, and ``text``: see ``off_trend``), ``time_model`` (T(n, p),
its CV error, the candidates it beat, ``interval`` with each term's rate and source,
``excluded``), ``worker_memory`` (the per-worker peak model and its check at every
measured point), ``diagnosis`` (findings ranked by ``seconds_lost``,
with ``lost_how`` and ``kind``), ``roofline`` (rows, or empty),
``host_limits``, for AI workloads ``strategies``, ``precision`` and ``serving``
(rows, or empty: see ``ai_workloads``), and ``full_dataset``: for a study of a user's
dataset, T(n, p) at the full dataset per measured worker count, with intervals
(``dataset_target.full_dataset_forecast``); None for other studies.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scaling_lib.analysis.ai_workloads import latency_table, precision_table, strategy_table
from scaling_lib.analysis.bottlenecks import diagnose
from scaling_lib.analysis.dataset_target import full_dataset_forecast
from scaling_lib.analysis.memory import fit_worker_memory
from scaling_lib.analysis.off_trend import off_trend_points
from scaling_lib.analysis.predict import fit_time_model
from scaling_lib.analysis.recommend import Recommendation
from scaling_lib.analysis.roofline import roofline
from scaling_lib.analysis.scaling import (
    dask_runs,
    data_scaling,
    gustafson_fraction,
    strong_laws,
    strong_scaling,
    weak_scaling,
)

__all__ = ["ANALYSIS_SCHEMA", "analyze_study", "plain", "recommendation_dict"]

ANALYSIS_SCHEMA = "analysis/1"


def analyze_study(df: pd.DataFrame, host_limits: Mapping[str, Any] | None = None) -> dict:
    """Fits, diagnosis and roofline of one study's records, as JSON-ready data."""
    out: dict[str, Any] = {
        "schema": ANALYSIS_SCHEMA,
        "study": str(df["study"].iloc[0]) if len(df) else None,
        "runs": len(df),
        "statuses": df["status"].value_counts().to_dict() if len(df) else {},
        "strong_scaling": _rows(strong_scaling(df)) if len(df) else [],
        "weak_scaling": _rows(weak_scaling(df)) if len(df) else [],
        "laws": [],
        "gustafson_serial_fraction": None,
        "data_scaling": [],
        "off_trend": [],
        "time_model": None,
        "worker_memory": None,
        "diagnosis": [dataclasses.asdict(f) for f in diagnose(df)],
        "roofline": _rows(roofline(df, host_limits)) if len(df) else [],
        "host_limits": dict(host_limits) if host_limits else None,
        "strategies": _rows(strategy_table(df)),
        "precision": _rows(precision_table(df)),
        "serving": _rows(latency_table(df)),
        "full_dataset": None,
    }
    if df.empty:
        return plain(out)
    for law in strong_laws(df):
        out["laws"].append(
            {
                "size": law.size,
                "amdahl": None
                if law.amdahl is None
                else {
                    "serial_fraction": law.amdahl.serial_fraction,
                    "se": law.amdahl.se.get("serial_fraction"),
                    "max_speedup": law.amdahl.max_speedup,
                },
                "usl": None
                if law.usl is None
                else {
                    "sigma": law.usl.sigma,
                    "kappa": law.usl.kappa,
                    "lambda": law.usl.lam,
                    "se": law.usl.se,
                    "peak_workers": law.usl.peak_n,
                    "peak_throughput": law.usl.peak_throughput,
                },
                "note": law.note,
                "implied_serial_fraction": law.implied_serial_fraction,
            }
        )
    out["gustafson_serial_fraction"] = gustafson_fraction(df)
    out["off_trend"] = [
        {**dataclasses.asdict(p), "text": p.text} for p in off_trend_points(dask_runs(df))
    ]
    for d in data_scaling(df):
        out["data_scaling"].append(
            {
                "n_workers": d.n_workers,
                "time_model": None if d.time_model is None else str(d.time_model),
                "time_model_cv_smape": None if d.time_model is None else d.time_model.cv_smape,
                "memory_model": None if d.memory_model is None else str(d.memory_model),
                "memory_limit_bytes": d.memory_limit_bytes,
                "oom_size": d.oom_size,
                "sizes": list(d.sizes),
                "noisy_points": d.noisy_points,
                "left_out_sizes": list(d.left_out),
                "regime_change": None
                if d.regime_change is None
                else {
                    "size": d.regime_change.change_point,
                    "before": str(d.regime_change.left),
                    "after": str(d.regime_change.right),
                    "smape": d.regime_change.error,
                    "one_model_smape": d.regime_change.single_error,
                },
            }
        )
    memory = fit_worker_memory(dask_runs(df))
    if memory is not None:
        out["worker_memory"] = {
            "model": str(memory),
            "basis": memory.basis,
            "checks": [
                {
                    "size": c.size,
                    "n_workers": c.workers,
                    "measured_bytes": c.measured_bytes,
                    "modelled_bytes": c.modelled_bytes,
                    "upper_bytes": c.upper_bytes,
                    "covered": c.covered,
                }
                for c in memory.checks
            ],
        }
    try:
        model = fit_time_model(df, draws=50)
        out["time_model"] = {
            "model": str(model.model),
            "kind": model.model.kind,
            "cv_smape": model.model.cv_smape,
            "nested_cv_smape": model.nested_error,
            "candidates": model.model.candidates,
            "selection": model.model.selection,
            "doubt": model.model.doubt or None,
            "excluded": model.excluded or None,
            "interval": {
                "level": model.spread.level,
                "run_noise": model.spread.noise_sd,
                "per_doubling_of_work": model.spread.size_rate,
                "per_doubling_of_work_source": model.spread.size_rate_source,
                "per_doubling_of_workers": model.spread.worker_rate,
                "per_doubling_of_workers_source": model.spread.worker_rate_source,
            },
            "alternatives": [
                {"kind": alt.kind, "model": str(alt), "cv_smape": alt.cv_smape}
                for alt in model.model.alternatives
            ],
        }
        out["full_dataset"] = full_dataset_forecast(df, model)
    except ValueError as exc:
        out["time_model"] = {"error": str(exc)}
    return plain(out)


def recommendation_dict(rec: Recommendation) -> dict:
    """A Recommendation as JSON-ready data (schema ``recommendation/1``)."""
    out = dataclasses.asdict(rec)
    out["schema"] = "recommendation/1"
    return plain(out)


def _rows(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict(orient="records") if len(frame) else []


def plain(value: Any) -> Any:
    """Plain JSON types: NumPy numbers become floats/ints, inf/nan become None."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
