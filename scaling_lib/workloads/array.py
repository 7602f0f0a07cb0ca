"""``array``: dense linear algebra on dask.array (matrix product, then a reduction).

Size is the side ``n`` of two square float64 matrices. The work is ``sum(X @ Y)``:
``2 n^3`` floating-point operations for the product plus ``n^2`` for the sum.
Blocks are generated from per-block seeds, so the Dask run and the NumPy baseline
multiply the same numbers and their ``check`` values agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .base import WorkDone, Workload

__all__ = ["ArrayWorkload"]


def _block(seed: int, matrix: int, i: int, j: int, shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng([seed, matrix, i, j]).standard_normal(shape)


def _chunk(n: int, params: Mapping[str, Any]) -> int:
    # Default: 4 x 4 blocks, enough parallelism for a few workers at small sizes.
    return int(params["chunks"]) if params["chunks"] > 0 else max(1, math.ceil(n / 4))


def _block_sizes(n: int, chunk: int) -> tuple[int, ...]:
    return tuple(min(chunk, n - start) for start in range(0, n, chunk))


class ArrayWorkload(Workload):
    name = "array"
    size_unit = "n (matrix side)"
    description = "sum(X @ Y) for two n x n float64 matrices on dask.array"
    defaults: Mapping[str, Any] = {"chunks": 0, "seed": 0}

    def input_bytes(self, size, params):
        return 2 * int(size) ** 2 * 8

    def prepare(self, client, size, params):
        import dask.array as da
        from distributed import wait

        n = int(size)
        sizes = _block_sizes(n, _chunk(n, params))

        def matrix(which: int):
            def gen(block_info=None):
                loc = block_info[None]["chunk-location"]
                shape = block_info[None]["chunk-shape"]
                return _block(params["seed"], which, loc[0], loc[1], shape)

            return da.map_blocks(gen, chunks=(sizes, sizes), dtype=np.float64)

        x, y = client.persist([matrix(0), matrix(1)])
        wait([x, y])
        return x, y

    def build(self, client, inputs, size, params):
        x, y = inputs
        return (x @ y).sum()

    def run(self, client, built, size, params):
        total = client.compute(built).result()
        return self._work(size, float(total))

    def baseline_inputs(self, size, params):
        n = int(size)
        sizes = _block_sizes(n, _chunk(n, params))
        return tuple(
            np.block(
                [
                    [_block(params["seed"], which, i, j, (si, sj)) for j, sj in enumerate(sizes)]
                    for i, si in enumerate(sizes)
                ]
            )
            for which in (0, 1)
        )

    def baseline(self, inputs, size, params):
        x, y = inputs
        return self._work(size, float((x @ y).sum()))

    @staticmethod
    def _work(size: float, total: float) -> WorkDone:
        n = int(size)
        flops = 2.0 * n**3 + n**2
        return WorkDone(items=flops, unit="flop", flops=flops, bytes=2.0 * n * n * 8, check=total)
