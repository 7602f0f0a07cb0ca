"""A two-layer MLP regression, written once for NumPy and CuPy, and sharded by columns.

The model is ``Y = relu(X @ W1) @ W2`` with a mean squared error loss. Model
parallelism splits the hidden layer: shard ``m`` holds the columns ``cols`` of ``W1``
and the same rows of ``W2``, so each shard's partial output ``relu(X @ W1_m) @ W2_m``
sums to the full output. Every function takes and returns plain arrays, so Dask can
ship them and ``sizeof`` counts their bytes.

Usage (one shard that is the whole model is plain full-batch training)::

    x, t = make_rows(seed=0, start=0, stop=1000, features=16, outputs=4, dtype=np.float64)
    w = init_shard(seed=0, features=16, hidden=64, outputs=4, cols=(0, 64), dtype=np.float64)
    cache, y = forward_shard(x, w)
    dy_packet = output_gradient(y, t, total_rows=1000)
    grad = backward_shard(x, w, cache, dy_packet, with_loss=True)
    w = apply_update(w, grad, learning_rate=0.1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "CHUNK_ROWS",
    "add",
    "apply_update",
    "array_module",
    "backward_shard",
    "forward_shard",
    "init_shard",
    "make_rows",
    "output_gradient",
    "parameter_count",
    "partial_output",
]

# Rows are generated in fixed chunks with their own seeds, so any row range (a data
# shard of any strategy, or the single-process baseline) sees the same numbers.
CHUNK_ROWS = 4096
_TEACHER_STREAM = 2**32 - 1


def parameter_count(features: int, hidden: int, outputs: int) -> int:
    """Weights in the model (no biases)."""
    return features * hidden + hidden * outputs


def make_rows(
    seed: int,
    start: int,
    stop: int,
    features: int,
    outputs: int,
    dtype: str,
    device: str = "cpu",
) -> tuple[Any, Any]:
    """Inputs and targets of rows ``[start, stop)``; targets from a fixed random teacher."""
    first, last = start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS
    parts = [
        np.random.default_rng([seed, c]).standard_normal((CHUNK_ROWS, features))
        for c in range(first, last + 1)
    ]
    x = np.concatenate(parts)[start - first * CHUNK_ROWS : stop - first * CHUNK_ROWS]
    teacher = np.random.default_rng([seed, _TEACHER_STREAM]).standard_normal((features, outputs))
    t = np.tanh(x @ teacher / np.sqrt(features))
    xp = array_module(device)
    return xp.asarray(x, dtype=dtype), xp.asarray(t, dtype=dtype)


def init_shard(
    seed: int,
    features: int,
    hidden: int,
    outputs: int,
    cols: tuple[int, int],
    dtype: str,
    device: str = "cpu",
) -> tuple[Any, Any]:
    """Columns ``cols`` of W1 and the same rows of W2, from the full model's seed."""
    rng = np.random.default_rng([seed, _TEACHER_STREAM, 1])
    w1 = rng.standard_normal((features, hidden)) / np.sqrt(features)
    w2 = rng.standard_normal((hidden, outputs)) / np.sqrt(hidden)
    lo, hi = cols
    xp = array_module(device)
    return xp.asarray(w1[:, lo:hi], dtype=dtype), xp.asarray(w2[lo:hi], dtype=dtype)


def forward_shard(data: tuple[Any, Any], w: tuple[Any, Any]) -> tuple[Any, Any]:
    """(pre-activation kept for the backward pass, this shard's partial output)."""
    x, _ = data
    w1, w2 = w
    z = x @ w1
    return z, _relu(z) @ w2


def partial_output(forward: tuple[Any, Any]) -> Any:
    """The partial output alone: what model-parallel shards exchange."""
    return forward[1]


def output_gradient(y: Any, data: tuple[Any, Any], total_rows: int) -> Any:
    """d(loss)/dY for these rows, flattened, with their share of the loss appended.

    Loss = sum over all rows of 0.5 * |y - t|^2 / total_rows.
    """
    xp = _xp(y)
    _, t = data
    r = y - t
    loss = 0.5 * xp.sum(r.astype(xp.float64) ** 2) / total_rows
    # reshape, not asarray([loss]): loss is a 0-d device array under CuPy.
    return xp.concatenate([(r / total_rows).ravel(), xp.reshape(loss, (1,)).astype(r.dtype)])


def backward_shard(
    data: tuple[Any, Any],
    w: tuple[Any, Any],
    forward: tuple[Any, Any],
    dy_packet: Any,
    with_loss: bool,
) -> Any:
    """This shard's gradient (W1 then W2, flattened) and the loss (or 0) last."""
    xp = _xp(dy_packet)
    x, _ = data
    _w1, w2 = w
    z, _ = forward
    dy = dy_packet[:-1].reshape(x.shape[0], w2.shape[1])
    g2 = _relu(z).T @ dy
    g1 = x.T @ ((dy @ w2.T) * (z > 0))
    loss = dy_packet[-1:] if with_loss else xp.zeros(1, dtype=dy_packet.dtype)
    return xp.concatenate([g1.ravel(), g2.ravel(), loss])


def apply_update(w: tuple[Any, Any], grad: Any, learning_rate: float) -> tuple[Any, Any]:
    """One gradient-descent step on a shard."""
    w1, w2 = w
    g1 = grad[: w1.size].reshape(w1.shape)
    g2 = grad[w1.size : w1.size + w2.size].reshape(w2.shape)
    return w1 - learning_rate * g1, w2 - learning_rate * g2


def add(a: Any, b: Any) -> Any:
    """Sum of two packets (the reduction step)."""
    return a + b


def _relu(z: Any) -> Any:
    return z * (z > 0)


def array_module(device: str) -> Any:
    """NumPy for "cpu", CuPy for "gpu" (imported only then)."""
    if device == "gpu":
        import cupy

        return cupy
    return np


def _xp(a: Any) -> Any:
    if type(a).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np
