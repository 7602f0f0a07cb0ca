"""``train``: full-batch training of a two-layer MLP, data-, model- or hybrid-parallel.

Size is the number of training samples. The workers form a grid of ``D`` data groups
x ``M`` model shards (rank ``(d, m)`` is one worker):

- ``strategy: data``: ``D = workers``, ``M = 1``. Weights are replicated, the samples
  are sharded; each step every rank computes its gradient, the gradients are summed
  by a binary tree (an allreduce through Dask), one rank updates the weights and the
  others fetch them.
- ``strategy: model``: ``D = 1``, ``M = workers``. The hidden layer is split by columns:
  rank ``m`` holds ``W1[:, cols_m]`` and ``W2[cols_m]``; each step the partial outputs
  are summed across ranks and the output gradient is sent back to every rank.
- ``strategy: hybrid``: ``M = model_shards``, ``D = workers / M``: model-parallel
  inside each data group, gradients of each shard summed across groups.

Every task is pinned to its rank's worker, so the bytes Dask moves between workers are
exactly the strategy's communication. Per step that is, analytically::

    bytes = itemsize * (2 (M - 1) * samples * outputs + 2 (D - 1) * parameters)

which the record carries beside the measured bytes (``metrics.analytic_bytes_per_step``
and ``metrics.bytes_per_step``). ``precision`` runs everything in float32 or float16
and records the final loss's error against the same training in float64
(``metrics.precision_error``). ``device: gpu`` (set by the ``cuda`` backend) runs on
CuPy. ``learning_rate`` is the step size of a 64-wide hidden layer and is scaled by
``64 / hidden``. Work is samples processed: ``size * steps``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads import mlp
from scaling_lib.workloads.base import WorkDone, Workload, point_workers
from scaling_lib.workloads.precision import check_precision_and_device, relative_error

__all__ = [
    "STRATEGIES",
    "Grid",
    "TrainWorkload",
    "analytic_bytes_per_step",
    "train_single_process",
]

STRATEGIES = ("data", "model", "hybrid")


@dataclass(frozen=True)
class Grid:
    """``data_groups`` x ``model_shards`` ranks; rank (d, m) is worker ``d * M + m``."""

    data_groups: int
    model_shards: int

    @classmethod
    def for_strategy(cls, strategy: str, n_workers: int, model_shards: int) -> Grid:
        if strategy == "data":
            return cls(n_workers, 1)
        if strategy == "model":
            return cls(1, n_workers)
        shards = min(model_shards, n_workers)
        if n_workers % shards:
            raise WorkloadError(
                f"strategy 'hybrid' with model_shards={model_shards} needs a worker count "
                f"that is a multiple of it, got {n_workers} workers"
            )
        return cls(n_workers // shards, shards)

    def columns(self, hidden: int) -> list[tuple[int, int]]:
        """The hidden-layer columns of each model shard."""
        edges = np.linspace(0, hidden, self.model_shards + 1).round().astype(int)
        return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def analytic_bytes_per_step(
    grid: Grid, samples: int, parameters: int, outputs: int, itemsize: int
) -> float:
    """Bytes between workers per step: activations inside groups, gradients + weights across."""
    activations = 2 * (grid.model_shards - 1) * samples * outputs
    weights = 2 * (grid.data_groups - 1) * parameters
    return float(itemsize * (activations + weights))


@dataclass
class _Prepared:
    grid: Grid
    workers: list[str]
    blocks: list[tuple[int, int, int]]  # (group, first row, stop row)
    data: list[list[Any]]  # data[block][m]: the block's rows, on rank (group, m)
    weights: list[Any]  # weights[m]: shard m, on rank (0, m)
    reference_loss: float | None = None

    def rank(self, d: int, m: int) -> list[str]:
        return [self.workers[d * self.grid.model_shards + m]]


class TrainWorkload(Workload):
    name = "train"
    size_unit = "samples"
    description = "full-batch MLP training: data-, model- or hybrid-parallel, pinned ranks"
    defaults: Mapping[str, Any] = {
        "features": 32,
        "hidden": 64,
        "outputs": 8,
        "steps": 10,
        "blocks": 8,
        "learning_rate": 0.1,
        "strategy": "data",
        "model_shards": 2,
        "precision": "float64",
        "device": "cpu",
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        self.require_positive(
            out, *("features", "hidden", "outputs", "steps", "blocks", "model_shards")
        )
        if out["strategy"] not in STRATEGIES:
            raise WorkloadError(
                f"parameter 'strategy' of workload 'train' must be one of "
                f"{', '.join(STRATEGIES)}, got {out['strategy']!r}"
            )
        check_precision_and_device(self.name, out)
        return out

    def input_bytes(self, size, params):
        itemsize = np.dtype(params["precision"]).itemsize
        return int(size) * (params["features"] + params["outputs"]) * itemsize

    # -- the Dask run -----------------------------------------------------------------
    def prepare(self, client, size, params):
        from distributed import wait

        workers = point_workers(client)
        grid = Grid.for_strategy(params["strategy"], len(workers), params["model_shards"])
        if params["hidden"] < grid.model_shards:
            raise WorkloadError(
                f"hidden={params['hidden']} cannot be split into {grid.model_shards} model shards"
            )
        prepared = self._place(client, workers, grid, int(size), params, params["precision"])
        wait([f for row in prepared.data for f in row] + prepared.weights)
        if params["precision"] != "float64":
            # The same training in float64, untimed: what the reduced precision costs.
            exact = self._place(client, workers, grid, int(size), params, "float64")
            prepared.reference_loss = self._train(client, exact, int(size), params)
        return prepared

    def run(self, client, built, size, params):
        loss = self._train(client, built, int(size), params)
        return self._work(size, params, loss, built.grid, built.reference_loss)

    def _place(self, client, workers, grid, samples, params, precision) -> _Prepared:
        n_blocks = max(params["blocks"], grid.data_groups)
        edges = np.linspace(0, samples, n_blocks + 1).round().astype(int)
        blocks = [(b % grid.data_groups, int(edges[b]), int(edges[b + 1])) for b in range(n_blocks)]
        prepared = _Prepared(grid=grid, workers=workers, blocks=blocks, data=[], weights=[])
        shape = (params["features"], params["outputs"])
        for group, start, stop in blocks:
            prepared.data.append(
                [
                    client.submit(
                        mlp.make_rows,
                        params["seed"],
                        start,
                        stop,
                        *shape,
                        precision,
                        params["device"],
                        workers=prepared.rank(group, m),
                        pure=False,
                    )
                    for m in range(grid.model_shards)
                ]
            )
        prepared.weights = [
            client.submit(
                mlp.init_shard,
                params["seed"],
                params["features"],
                params["hidden"],
                params["outputs"],
                cols,
                precision,
                params["device"],
                workers=prepared.rank(0, m),
                pure=False,
            )
            for m, cols in enumerate(grid.columns(params["hidden"]))
        ]
        return prepared

    def _train(self, client, prep: _Prepared, samples: int, params) -> float:
        """Submit every step's tasks, pinned to their ranks; the last step's loss."""
        from distributed import wait

        grid, lr = prep.grid, _step_size(params)
        weights = list(prep.weights)
        shard_loss = None

        def on(d, m, fn, *args):
            return client.submit(fn, *args, workers=prep.rank(d, m), pure=False)

        for _ in range(params["steps"]):
            # grads[m][d]: shard m's gradient summed over group d's blocks, on rank (d, m)
            grads: list[list[Any]] = [[] for _ in range(grid.model_shards)]
            for d in range(grid.data_groups):
                per_block: list[list[Any]] = [[] for _ in range(grid.model_shards)]
                for b, (group, _, _) in enumerate(prep.blocks):
                    if group != d:
                        continue
                    data = prep.data[b]
                    fw = [
                        on(d, m, mlp.forward_shard, data[m], weights[m]) for m in range(len(data))
                    ]
                    parts = [on(d, m, mlp.partial_output, fw[m]) for m in range(len(data))]
                    y = _tree_sum(on, parts, [(d, m) for m in range(len(data))])
                    dy = on(d, 0, mlp.output_gradient, y, data[0], samples)
                    for m in range(grid.model_shards):
                        g = on(d, m, mlp.backward_shard, data[m], weights[m], fw[m], dy, m == 0)
                        per_block[m].append(g)
                for m in range(grid.model_shards):
                    grads[m].append(_tree_sum(on, per_block[m], [(d, m)] * len(per_block[m])))
            for m in range(grid.model_shards):
                total = _tree_sum(on, grads[m], [(d, m) for d in range(grid.data_groups)])
                weights[m] = on(0, m, mlp.apply_update, weights[m], total, lr)
                if m == 0:
                    shard_loss = on(0, 0, _last, total)
        wait([*weights, shard_loss])
        return float(shard_loss.result())

    # -- the single-process baseline ------------------------------------------------
    def baseline_inputs(self, size, params):
        # NumPy in this process whatever the device, as for ``array``: a GPU study's
        # baseline is the one-CPU reference its speedup and check are read against.
        return mlp.make_rows(
            params["seed"], 0, int(size), params["features"], params["outputs"], params["precision"]
        )

    def baseline(self, inputs, size, params):
        _, loss = train_single_process(inputs, params)
        return self._work(size, params, loss, Grid(1, 1), None)

    @staticmethod
    def _work(
        size: float, params: Mapping[str, Any], loss: float, grid: Grid, reference: float | None
    ) -> WorkDone:
        samples = int(size)
        steps = params["steps"]
        parameters = mlp.parameter_count(params["features"], params["hidden"], params["outputs"])
        itemsize = np.dtype(params["precision"]).itemsize
        # Forward 2 flops per sample and weight, backward twice that.
        flops = 6.0 * samples * parameters * steps
        read = float(samples * (params["features"] + params["outputs"]) * itemsize * steps)
        extra = {
            "steps": steps,
            "strategy": params["strategy"],
            "data_groups": grid.data_groups,
            "model_shards": grid.model_shards,
            "parameters": parameters,
            "analytic_bytes_per_step": analytic_bytes_per_step(
                grid, samples, parameters, params["outputs"], itemsize
            ),
            "final_loss": loss,
        }
        if reference is not None:
            extra["precision_error"] = relative_error(loss, reference)
        elif params["precision"] == "float64":
            extra["precision_error"] = 0.0
        return WorkDone(
            items=float(samples * steps),
            unit="samples",
            flops=flops,
            bytes=read,
            check=loss,
            extra=extra,
        )


def train_single_process(data: tuple[Any, Any], params: Mapping[str, Any]) -> tuple[tuple, float]:
    """Full-batch descent on ``data`` in this process: (final weights, last step's loss)."""
    w = mlp.init_shard(
        params["seed"], params["features"], params["hidden"], params["outputs"],
        (0, params["hidden"]), params["precision"],
    )  # fmt: skip
    rows = int(data[0].shape[0])
    loss = np.nan
    for _ in range(params["steps"]):
        fw = mlp.forward_shard(data, w)
        grad = mlp.backward_shard(data, w, fw, mlp.output_gradient(fw[1], data, rows), True)
        loss = float(grad[-1])
        w = mlp.apply_update(w, grad, _step_size(params))
    return w, loss


def _step_size(params: Mapping[str, Any]) -> float:
    # learning_rate is the step of a 64-wide hidden layer; wider layers take
    # proportionally smaller steps (width scaling), or full-batch descent diverges.
    return params["learning_rate"] * 64 / params["hidden"]


def _last(packet: Any) -> float:
    return float(packet[-1])


def _tree_sum(on, futures: list[Any], ranks: list[tuple[int, int]]) -> Any:
    """Pairwise sums, level by level, each on the left operand's rank: one future."""
    level = list(zip(futures, ranks, strict=True))
    while len(level) > 1:
        paired = [
            (on(*level[i][1], mlp.add, level[i][0], level[i + 1][0]), level[i][1])
            for i in range(0, len(level) - 1, 2)
        ]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0][0]
