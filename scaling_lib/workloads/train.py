"""``train``: data-parallel training of a logistic regression, NumPy on each worker.

Size is the number of training samples. The samples are split into blocks that live
on the workers; each step every block computes its gradient against the current
weights (broadcast from the client), the gradients are combined by a binary tree
reduction (``log2(blocks)`` levels of pairwise sums, as an allreduce would), and the
client takes a gradient step. Work is samples processed: ``size * steps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import WorkloadError
from .base import WorkDone, Workload

# Seed stream for data shared by all blocks (block streams use their index).
_SHARED_STREAM = 2**32 - 1

__all__ = ["TrainWorkload", "logistic_gradient", "tree_reduce"]


def _make_block(seed: int, index: int, rows: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, index])
    x = rng.standard_normal((rows, features))
    true_w = np.random.default_rng([seed, _SHARED_STREAM]).standard_normal(features)
    y = (x @ true_w + 0.5 * rng.standard_normal(rows) > 0).astype(np.float64)
    return x, y


def logistic_gradient(block: tuple[np.ndarray, np.ndarray], w: np.ndarray) -> np.ndarray:
    """Sum over the block's rows of the log-loss gradient, and the row count last."""
    x, y = block
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    return np.append(x.T @ (p - y), len(y))


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def tree_reduce(client: Any, futures: list[Any]) -> Any:
    """Pairwise sums, level by level, on the workers: one future holding the total."""
    level = list(futures)
    while len(level) > 1:
        paired = [
            client.submit(_add, level[i], level[i + 1], pure=False)
            for i in range(0, len(level) - 1, 2)
        ]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0]


class TrainWorkload(Workload):
    name = "train"
    size_unit = "samples"
    description = "data-parallel logistic regression: per-block gradients, tree-reduced"
    defaults: Mapping[str, Any] = {
        "features": 32,
        "steps": 10,
        "blocks": 8,
        "learning_rate": 0.5,
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        for key in ("features", "steps", "blocks"):
            if out[key] <= 0:
                raise WorkloadError(f"parameter {key!r} must be positive, got {out[key]!r}")
        return out

    def input_bytes(self, size, params):
        return int(size) * (params["features"] + 1) * 8

    def _rows(self, size, params) -> list[int]:
        rows, blocks = int(size), min(params["blocks"], max(int(size), 1))
        base, extra = divmod(rows, blocks)
        return [base + (1 if i < extra else 0) for i in range(blocks)]

    def prepare(self, client, size, params):
        from distributed import wait

        rows = self._rows(size, params)
        blocks = [
            client.submit(_make_block, params["seed"], i, r, params["features"], pure=False)
            for i, r in enumerate(rows)
        ]
        wait(blocks)
        return blocks

    def run(self, client, built, size, params):
        blocks = built
        w = np.zeros(params["features"])
        for _ in range(params["steps"]):
            partials = [client.submit(logistic_gradient, b, w, pure=False) for b in blocks]
            total = tree_reduce(client, partials).result()
            w = w - params["learning_rate"] * total[:-1] / total[-1]
        return self._work(size, params, float(np.linalg.norm(w)))

    def baseline_inputs(self, size, params):
        rows = self._rows(size, params)
        return [_make_block(params["seed"], i, r, params["features"]) for i, r in enumerate(rows)]

    def baseline(self, inputs, size, params):
        x = np.concatenate([b[0] for b in inputs])
        y = np.concatenate([b[1] for b in inputs])
        w = np.zeros(params["features"])
        for _ in range(params["steps"]):
            total = logistic_gradient((x, y), w)
            w = w - params["learning_rate"] * total[:-1] / total[-1]
        return self._work(size, params, float(np.linalg.norm(w)))

    @staticmethod
    def _work(size: float, params: Mapping[str, Any], check: float) -> WorkDone:
        samples = float(int(size) * params["steps"])
        # forward (x @ w) and backward (x.T @ r): 2 multiply-adds per sample and feature each.
        flops = 4.0 * samples * params["features"]
        # Each step reads every sample's features and label once.
        read = samples * (params["features"] + 1) * 8.0
        return WorkDone(items=samples, unit="samples", flops=flops, bytes=read, check=check)
