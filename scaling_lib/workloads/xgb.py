"""``xgboost``: gradient-boosted trees trained with ``xgboost.dask`` (``hist``), on CPU or GPU.

Usage (a spec; ``pip install -e ".[ml]"`` first)::

    workload: xgboost
    sizes: [100000, 200000, 400000]       # rows
    workers: [1, 2, 4]
    params: {rounds: 20, max_depth: 6, learning_rate: 0.3}
    baseline: true                        # xgboost.train in one process, no Dask

Size is the number of training rows of a synthetic binary classification problem
(``tabular.make_rows``: seeded per chunk of rows, the same rows at every worker count).
``prepare`` generates one partition per worker (or ``partitions``), pinned round-robin
so every worker holds data, and persists them (not timed). The timed ``run`` builds a
``DaskQuantileDMatrix`` (each worker sketches its rows; the sketches are merged) and
trains ``rounds`` boosting rounds with ``xgboost.dask.train``, evaluating the training
log loss each round. Work is ``rows x rounds`` (``row-rounds``); the final training log
loss is ``check`` and ``metrics.final_logloss``. The workers sum their histograms over
XGBoost's own sockets (its collective), not through Dask: the record's
``bytes_transferred`` does not count them, and each worker's training is one long task.

The baseline is ``xgboost.train`` on a ``QuantileDMatrix`` of the same rows, same
parameters, one thread. With the default data (features at a resolution coarser than
the bins, see ``tabular``) every worker's quantile sketch is exact, so the Dask model
is the single-process model and their final log losses agree within
``LOGLOSS_TOLERANCE`` (1e-6 relative: only the order of the histogram sums differs).
With ``resolution: 0`` (continuous features) the merged sketch places some bin edges
differently, and the two differ by up to 4 % at 5,000 rows (measured, 2-4 workers).

``device: cuda`` trains on each worker's GPU (under the ``cuda`` backend, which sets
``device`` to ``gpu``, taken as ``cuda``). The partitions stay in host memory, as a
pipeline that reads Parquet has them, and XGBoost copies them to the GPU inside the
timed run. The baseline runs on one CPU thread whatever the device: it is the reference
a GPU run's speedup and metric are read against. The GPU builds its histograms from
gradients rounded to fixed point, so its log loss is close to the CPU's, not equal
(the GPU test allows 5 %, as for continuous features).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads import tabular
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = ["LOGLOSS_TOLERANCE", "XGBoostWorkload"]

# CPU, default data. Measured at 2,000-20,000 rows, 5-20 rounds, 3 seeds, 2-4
# workers: at most 4e-9 apart (0 at one worker); 1e-6 leaves a wide margin.
LOGLOSS_TOLERANCE = 1e-6

_DEVICES = ("cpu", "cuda", "gpu")


class XGBoostWorkload(Workload):
    name = "xgboost"
    size_unit = "rows"
    description = "XGBoost hist training on xgboost.dask (DaskQuantileDMatrix), CPU or GPU"
    defaults: Mapping[str, Any] = {
        "rounds": 10,
        "max_depth": 6,
        "learning_rate": 0.3,
        "features": 16,
        "resolution": tabular.RESOLUTION,  # features' resolution; 0: continuous
        "partitions": 0,  # 0: one per worker
        "max_bin": 256,
        "device": "cpu",  # cpu | cuda ("gpu", set by the cuda backend, means cuda)
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        tabular.require_installed("xgboost", self.name)
        tabular.check_tabular_params(self.name, out)
        self.require_positive(out, "max_bin")
        if out["device"] not in _DEVICES:
            raise WorkloadError(
                f"parameter 'device' of workload 'xgboost' must be 'cpu' or 'cuda', "
                f"got {out['device']!r}"
            )
        if out["device"] == "gpu":
            out["device"] = "cuda"  # the cuda backend's name for it; XGBoost's is cuda
        return out

    def input_bytes(self, size, params):
        return int(size) * tabular.row_bytes(params["features"])

    # -- the Dask run -----------------------------------------------------------------
    def prepare(self, client, size, params):
        tabular.require_library("xgboost.dask", self.name)
        tabular.import_on_workers(client, "xgboost.dask")
        return tabular.persisted_arrays(client, int(size), params)

    def run(self, client, built, size, params):
        xgb_dask = tabular.require_library("xgboost.dask", self.name)
        x, y = built
        dtrain = xgb_dask.DaskQuantileDMatrix(client, x, y, max_bin=params["max_bin"])
        result = xgb_dask.train(
            client,
            booster_params(params),
            dtrain,
            num_boost_round=params["rounds"],
            evals=[(dtrain, "train")],
            verbose_eval=False,
        )
        return _work(size, params, result["history"])

    # -- the single-process baseline ------------------------------------------------
    def baseline_inputs(self, size, params):
        tabular.require_library("xgboost", self.name)
        return tabular.local_rows(int(size), params)

    def baseline(self, inputs, size, params):
        xgb = tabular.require_library("xgboost", self.name)
        x, y = inputs
        # One thread: the baseline is the one-core reference (a point's worker has
        # threads_per_worker=1 by default), so speedup over it reads as parallel
        # efficiency; with one thread the histogram sums are also in a fixed order.
        # The CPU whatever the device, like the other workloads' baselines.
        settings = {**booster_params({**params, "device": "cpu"}), "nthread": 1}
        dtrain = xgb.QuantileDMatrix(x, y, max_bin=params["max_bin"], nthread=1)
        history: dict[str, Any] = {}
        xgb.train(
            settings,
            dtrain,
            num_boost_round=params["rounds"],
            evals=[(dtrain, "train")],
            evals_result=history,
            verbose_eval=False,
        )
        return _work(size, params, history)


def booster_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """XGBoost's parameters for the workload's: binary log loss, ``hist`` trees."""
    return {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": params["max_depth"],
        "eta": params["learning_rate"],
        "max_bin": params["max_bin"],
        "device": params["device"],
        "seed": params["seed"],
    }


def _work(size: float, params: Mapping[str, Any], history: Mapping[str, Any]) -> WorkDone:
    logloss = float(history["train"]["logloss"][-1])
    rows = int(size)
    return WorkDone(
        items=float(rows * params["rounds"]),
        unit="row-rounds",
        bytes=float(rows * tabular.row_bytes(params["features"])),
        check=logloss,
        extra={"rounds": params["rounds"], "final_logloss": logloss},
    )
