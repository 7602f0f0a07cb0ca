"""``lightgbm``: gradient-boosted trees trained with ``lightgbm.dask.DaskLGBMClassifier``.

Usage (a spec; ``pip install -e ".[ml]"`` first)::

    workload: lightgbm
    sizes: [100000, 200000, 400000]       # rows
    workers: [1, 2, 4]
    params: {rounds: 20, max_depth: 6, learning_rate: 0.3}
    baseline: true                        # lightgbm.LGBMClassifier in one process

The data, partitioning and work are those of the ``xgboost`` workload (``tabular``):
size is rows, work is ``rows x rounds`` (``row-rounds``), the final training log loss
is ``check`` and ``metrics.final_logloss``, computed from the model's predictions over
all rows (a distributed predict, inside the timed run: LightGBM's own evaluation in Dask
mode covers only the rows of the worker that returns the model). ``rounds`` is
``n_estimators``; trees grow leaf-wise up to ``num_leaves`` (31, LightGBM's default)
and ``max_depth``.

LightGBM's Dask mode trains data-parallel: one LightGBM process per worker that holds
data, talking over its own sockets. On a LocalCluster every worker is on 127.0.0.1, so
each needs its own port: the workload lets ``lightgbm.dask`` find a free one per worker
(no ``local_listen_port`` or ``machines`` given), which is what it does when neither is
set. ``timeout_min`` bounds how long a LightGBM worker waits for its peers. What goes
over those sockets is not Dask's traffic: the record's ``bytes_transferred`` does not
count it.

The baseline is ``lightgbm.LGBMClassifier`` on the same rows, one thread. Its final log
loss agrees with the Dask run's within ``LOGLOSS_TOLERANCE`` (relative), not exactly:
even with exact bins (the default data, see ``tabular``) LightGBM's data-parallel
learner does not reproduce the serial model bit for bit, and leaf-wise trees of 31
leaves take a different split now and then (with 8 leaves the two were identical
here). Measured over 2-4 workers, 5-20 rounds and 3 seeds: up to 1.5 % apart at
5,000 rows, 0.7 % at 20,000, 4.7 % at 2,000; at one worker, identical.

No GPU: LightGBM's CUDA build is not the PyPI wheel, so there is no ``device``
parameter and a ``cuda`` backend study runs it on the workers' CPUs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from scaling_lib.workloads import tabular
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = ["LOGLOSS_TOLERANCE", "LightGBMWorkload"]

# 5 %: three times the largest difference measured from 5,000 rows (1.5 %), and above
# the 4.7 % seen at 2,000 rows; a model trained on part of the rows, or not trained,
# is far further off.
LOGLOSS_TOLERANCE = 0.05


class LightGBMWorkload(Workload):
    name = "lightgbm"
    size_unit = "rows"
    description = "LightGBM training on lightgbm.dask (DaskLGBMClassifier, data-parallel)"
    defaults: Mapping[str, Any] = {
        "rounds": 10,
        "max_depth": 6,
        "num_leaves": 31,
        "learning_rate": 0.3,
        "features": 16,
        "resolution": tabular.RESOLUTION,  # features' resolution; 0: continuous
        "partitions": 0,  # 0: one per worker
        "max_bin": 255,
        "timeout_min": 10,
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        tabular.require_installed("lightgbm", self.name)
        tabular.check_tabular_params(self.name, out)
        self.require_positive(out, "num_leaves", "max_bin", "timeout_min")
        return out

    def input_bytes(self, size, params):
        return int(size) * tabular.row_bytes(params["features"])

    # -- the Dask run -----------------------------------------------------------------
    def prepare(self, client, size, params):
        tabular.require_library("lightgbm.dask", self.name)
        tabular.import_on_workers(client, "lightgbm.dask")
        return tabular.persisted_arrays(client, int(size), params)

    def run(self, client, built, size, params):
        lgb_dask = tabular.require_library("lightgbm.dask", self.name)
        x, y = built
        model = lgb_dask.DaskLGBMClassifier(
            client=client, **estimator_params(params), time_out=params["timeout_min"]
        )
        with warnings.catch_warnings():
            # lightgbm.dask warns that n_jobs "will be ignored" whenever the estimator has
            # it, which it always does (None by default): each worker uses its own threads.
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
            model.fit(x, y)
        # LightGBM's own evaluation in Dask mode covers only the rows of the worker that
        # returns the model: the log loss over all rows takes a distributed predict.
        p = model.predict_proba(x)[:, 1]
        loss = client.compute(tabular.dask_log_loss(y, p)).result()
        return _work(size, params, float(loss))

    # -- the single-process baseline ------------------------------------------------
    def baseline_inputs(self, size, params):
        tabular.require_library("lightgbm", self.name)
        return tabular.local_rows(int(size), params)

    def baseline(self, inputs, size, params):
        lgb = tabular.require_library("lightgbm", self.name)
        x, y = inputs
        # One thread: the one-core reference, as for xgboost's baseline.
        model = lgb.LGBMClassifier(**estimator_params(params), n_jobs=1)
        model.fit(x, y)
        return _work(size, params, tabular.log_loss(y, model.predict_proba(x)[:, 1]))


def estimator_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The scikit-learn estimator's arguments for the workload's parameters."""
    return {
        "n_estimators": params["rounds"],
        "max_depth": params["max_depth"],
        "num_leaves": params["num_leaves"],
        "learning_rate": params["learning_rate"],
        "max_bin": params["max_bin"],
        "random_state": params["seed"],
        "deterministic": True,
        "verbose": -1,
    }


def _work(size: float, params: Mapping[str, Any], logloss: float) -> WorkDone:
    rows = int(size)
    return WorkDone(
        items=float(rows * params["rounds"]),
        unit="row-rounds",
        bytes=float(rows * tabular.row_bytes(params["features"])),
        check=logloss,
        extra={"rounds": params["rounds"], "final_logloss": logloss},
    )
