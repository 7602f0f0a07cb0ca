"""``array``: dense linear algebra on dask.array (matrix product, then a reduction).

Size is the side ``n`` of two square float64 matrices. The work is ``sum(X @ Y)``:
``2 n^3`` floating-point operations for the product plus ``n^2`` for the sum.
Blocks are generated from per-block seeds, so the Dask run and the NumPy baseline
multiply the same numbers and their ``check`` values agree.

``precision`` (float64, float32, float16) stores and multiplies the matrices in that
type; the record's ``metrics.precision_error`` is the relative Frobenius error of the
product against float64 on the same inputs (computed untimed, before the runs).
``device: gpu`` (set by the ``cuda`` backend) keeps the blocks in CuPy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from scaling_lib.workloads.base import WorkDone, Workload
from scaling_lib.workloads.mlp import array_module
from scaling_lib.workloads.precision import check_precision_and_device

__all__ = ["ArrayWorkload"]


def _block(
    seed: int,
    matrix: int,
    i: int,
    j: int,
    shape: tuple[int, int],
    dtype: str = "float64",
    device: str = "cpu",
) -> np.ndarray:
    values = np.random.default_rng([seed, matrix, i, j]).standard_normal(shape)
    return array_module(device).asarray(values, dtype=dtype)


def _chunk(n: int, params: Mapping[str, Any]) -> int:
    # Default: 4 x 4 blocks, enough parallelism for a few workers at small sizes.
    return int(params["chunks"]) if params["chunks"] > 0 else max(1, math.ceil(n / 4))


def _block_sizes(n: int, chunk: int) -> tuple[int, ...]:
    return tuple(min(chunk, n - start) for start in range(0, n, chunk))


class ArrayWorkload(Workload):
    name = "array"
    size_unit = "n (matrix side)"
    description = "sum(X @ Y) for two n x n float64 matrices on dask.array"
    defaults: Mapping[str, Any] = {"chunks": 0, "precision": "float64", "device": "cpu", "seed": 0}

    def check_params(self, params):
        out = super().check_params(params)
        check_precision_and_device(self.name, out)
        return out

    def input_bytes(self, size, params):
        return 2 * int(size) ** 2 * np.dtype(params["precision"]).itemsize

    def prepare(self, client, size, params):
        from distributed import wait

        x, y = client.persist(list(_matrices(size, params, params["precision"])))
        wait([x, y])
        error = 0.0
        if params["precision"] != "float64":
            # The same product in float64, untimed: what the reduced precision costs.
            x64, y64 = _matrices(size, params, "float64")
            exact = x64 @ y64
            diff = (x @ y).astype(np.float64) - exact
            num, den = client.compute([(diff**2).sum(), (exact**2).sum()], sync=True)
            error = float(num) ** 0.5 / float(den) ** 0.5
        return x, y, error

    def build(self, client, inputs, size, params):
        x, y, error = inputs
        return (x @ y).sum(), error

    def run(self, client, built, size, params):
        total, error = built
        result = client.compute(total).result()
        return self._work(size, params, float(result), error)

    def task_graph(self, size, params):
        import warnings

        from dask.array import PerformanceWarning

        from scaling_lib.workloads.graph_at import GraphAtSize, stand_in

        x, y = (stand_in(m) for m in _matrices(size, params, params["precision"]))
        with warnings.catch_warnings():
            # Said already when the run itself built this product: not news here.
            warnings.simplefilter("ignore", PerformanceWarning)
            return GraphAtSize(result=(x @ y).sum(), inputs=(x, y))

    def baseline_inputs(self, size, params):
        n = int(size)
        sizes = _block_sizes(n, _chunk(n, params))
        return tuple(
            np.block(
                [
                    [
                        _block(params["seed"], which, i, j, (si, sj), params["precision"])
                        for j, sj in enumerate(sizes)
                    ]
                    for i, si in enumerate(sizes)
                ]
            )
            for which in (0, 1)
        )

    def baseline(self, inputs, size, params):
        x, y = inputs
        return self._work(size, params, float((x @ y).sum()), None)

    @staticmethod
    def _work(
        size: float, params: Mapping[str, Any], total: float, error: float | None
    ) -> WorkDone:
        n = int(size)
        flops = 2.0 * n**3 + n**2
        itemsize = np.dtype(params["precision"]).itemsize
        extra = {} if error is None else {"precision_error": error}
        return WorkDone(
            items=flops,
            unit="flop",
            flops=flops,
            bytes=2.0 * n * n * itemsize,
            check=total,
            extra=extra,
        )


def _matrices(size: float, params: Mapping[str, Any], precision: str):
    """The two lazy n x n input matrices, block by block from their seeds."""
    import dask.array as da

    n = int(size)
    sizes = _block_sizes(n, _chunk(n, params))
    device = params["device"]
    meta = array_module(device).empty((0, 0), dtype=precision)

    def matrix(which: int):
        def gen(block_info=None):
            loc = block_info[None]["chunk-location"]
            shape = block_info[None]["chunk-shape"]
            return _block(params["seed"], which, loc[0], loc[1], shape, precision, device)

        return da.map_blocks(gen, chunks=(sizes, sizes), dtype=precision, meta=meta)

    return matrix(0), matrix(1)
