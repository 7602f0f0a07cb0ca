"""Sleep graphs: Dask runs that scale past this machine's cores, for checking the simulator.

Every task that does the graph's work calls ``time.sleep`` and creates its bytes cheaply
(``np.full``, slicing, one concatenation), so it releases the GIL and uses almost no CPU:
4-16 single-thread worker processes run truly in parallel on a 2-core host, while real
arrays of ``bytes_per_task`` bytes still move between them. The four shapes:

- ``SleepTree`` (``sleep-tree``): ``size`` leaves (sleep ``task_s``, return
  ``bytes_per_task`` bytes) combined in a tree of fan-in ``fan_in`` (combine tasks sleep
  ``task_s / 4`` and return ``bytes_per_task`` bytes) down to one root.
- ``SleepShuffle`` (``sleep-shuffle``): ``size`` persisted input partitions; a split task
  per input (sleeps ``task_s``, returns ``size`` slices), ``size x size`` getitem tasks,
  ``size`` output tasks each concatenating its piece of every input (an all-to-all of
  real bytes) and sleeping ``task_s``, a tiny checksum per output and one sum.
- ``SleepStragglers`` (``sleep-stragglers``): a map of ``size`` tasks over persisted
  inputs where a seeded ``straggler_fraction`` of them sleep ``straggler_factor x task_s``,
  then one small reduce of their scalars.
- ``SleepPipeline`` (``sleep-pipeline``): ``size`` chains of ``stages`` tasks over
  persisted inputs (each sleeps ``task_s`` and returns ``bytes_per_task`` bytes derived
  from its input), a tiny scalar per chain, and a tree reduce (fan-in ``fan_in``) of
  the scalars.

The tiny helper tasks (getitem, checksum, scalar sums) do not sleep: they exist so that
no more than scalars leave a worker at the end, and cost the scheduler's per-task
overhead only. ``size`` counts leaves / partitions / map tasks / chains; the run's
``WorkDone.items`` is the number of tasks in its graph.

Inputs are persisted before the timer and spread evenly (input ``i`` pinned to worker
``i mod p``, workers in address order): the placement the simulator assumes at a worker
count it did not measure. Keys are fresh per run (a new token each ``run``: repeats
recompute; the graph's shape is laid out once in ``build``, untimed, and only given
names in ``run``). Durations are deterministic: only the stragglers draw (from ``seed``;
the others accept ``seed`` for a uniform interface and ignore it). ``task_s: 0`` is
allowed (the graph's overhead alone). Every run checks its checksum against the expected
value (a mismatch raises). ``WorkDone.extra`` carries ``sleep_total_s`` (the sum of all
sleeps: the 1-worker floor) and ``critical_path_s`` (the longest chain of sleeps:
the floor at any worker count), recorded as ``metric.sleep_total_s`` and
``metric.critical_path_s``.

Usage::

    # a spec names them by import path (the class: get_workload instantiates it);
    # benchmarks/ is a namespace package (no __init__.py), so the repository root must
    # be on the import path of the process that loads the spec (python -m adds the
    # current folder; spawned workers inherit it; the bare console script does not):
    study: sim-tree
    workload: benchmarks.sim_graphs:SleepTree
    sizes: [64]
    workers: [1, 2, 4, 8, 16]
    threads_per_worker: 1
    memory_limit: 1GiB
    baseline: false
    calibrate: false
    params: {task_s: 0.03, bytes_per_task: 2000000}

    cd /work/main && .venv/bin/python -m scaling_lib.cli run spec.yaml
    # or PYTHONPATH=. .venv/bin/scaling-lib run spec.yaml

    python benchmarks/measure_sim_graphs.py --results /tmp/simgraphs [--quick]
"""

from __future__ import annotations

import operator
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = ["SleepPipeline", "SleepShuffle", "SleepStragglers", "SleepTree"]

_MOD = 251  # array values stay in uint8; checksums are sums of values mod 251


# -- task functions (module level: workers import them by reference) -----------------------


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def block(value: int, nbytes: int, task_s: float) -> np.ndarray:
    """Sleep, then ``nbytes`` bytes all equal to ``value``: a leaf or an input."""
    _sleep(task_s)
    return np.full(nbytes, value % _MOD, dtype=np.uint8)


def combine(parts: list[np.ndarray], nbytes: int, task_s: float) -> np.ndarray:
    """Sleep, then ``nbytes`` bytes holding the sum of the parts' values."""
    _sleep(task_s)
    return np.full(nbytes, sum(int(p[0]) for p in parts) % _MOD, dtype=np.uint8)


def step(x: np.ndarray, task_s: float) -> np.ndarray:
    """Sleep, then an array of the input's size whose value is the input's plus one."""
    _sleep(task_s)
    return np.full(x.nbytes, (int(x[0]) + 1) % _MOD, dtype=np.uint8)


def pieces_input(i: int, nbytes: int, n: int) -> np.ndarray:
    """Shuffle input ``i``: ``n`` pieces, piece ``j`` filled with ``(i * n + j) % 251``."""
    out = np.empty(nbytes, dtype=np.uint8)
    bounds = _bounds(nbytes, n)
    for j in range(n):
        out[bounds[j] : bounds[j + 1]] = (i * n + j) % _MOD
    return out


def split(x: np.ndarray, n: int, task_s: float) -> list[np.ndarray]:
    """Sleep, then the input cut into ``n`` pieces (views: no copy)."""
    _sleep(task_s)
    bounds = _bounds(x.nbytes, n)
    return [x[bounds[j] : bounds[j + 1]] for j in range(n)]


def gather_pieces(pieces: list[np.ndarray], task_s: float) -> np.ndarray:
    """Sleep, then one output partition: its piece of every input, concatenated."""
    _sleep(task_s)
    return np.concatenate(pieces)


def piece_checksum(x: np.ndarray, piece: int) -> int:
    """The sum of the first value of each piece of a shuffle output (tiny, no sleep)."""
    return int(x[::piece].sum(dtype=np.int64))


def first_value(x: np.ndarray) -> int:
    return int(x[0])


def mapped(x: np.ndarray, i: int, task_s: float) -> int:
    """Sleep (a straggler sleeps longer), then a scalar from the input."""
    _sleep(task_s)
    return int(x[0]) + i


def total(values: list[int]) -> int:
    return int(sum(values))


def _letters(i: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'ba': a name part Dask's key_split keeps as a word."""
    out = ""
    while True:
        out = chr(ord("a") + i % 26) + out
        i //= 26
        if i == 0:
            return out


def _bounds(nbytes: int, n: int) -> list[int]:
    return [nbytes * j // n for j in range(n + 1)]


# -- graphs laid out once, named per run ------------------------------------------------------


class _Ref(NamedTuple):
    """A task of the graph, before the run gives its name a token."""

    name: str
    index: int


@dataclass
class _Inputs:
    """Persisted inputs: their keys and futures (``release`` drops them)."""

    futures: dict[Any, Any] = field(default_factory=dict)
    keys: list[Any] = field(default_factory=list)


@dataclass
class _Plan:
    """A graph's shape: tasks as (name, index, function, args), args holding _Refs to
    other tasks of the plan or the persisted inputs' keys."""

    tasks: list[tuple[str, int, Callable[..., Any], tuple]]
    output: _Ref
    inputs: _Inputs
    expected: int
    sleep_total_s: float
    critical_path_s: float

    def materialise(self, token: str) -> tuple[dict[Any, Any], Any]:
        def sub(arg: Any) -> Any:
            if type(arg) is _Ref:
                return (f"{arg.name}-{token}", arg.index)
            if type(arg) is list:
                return [sub(a) for a in arg]
            return arg

        dsk: dict[Any, Any] = dict(self.inputs.futures)
        for name, index, fn, args in self.tasks:
            dsk[(f"{name}-{token}", index)] = (fn, *[sub(a) for a in args])
        return dsk, sub(self.output)


class _SleepGraph(Workload):
    """What the four graphs share: parameters, inputs, the timed run and its check."""

    size_unit = "tasks"
    has_inputs = True

    def _sizes(self, size: float, params: Mapping[str, Any]) -> int:
        n = int(size)
        if n != size or n < 1:
            raise WorkloadError(f"workload {self.name!r}: size must be a whole number >= 1")
        self.require_positive(params, "bytes_per_task")
        if params["task_s"] < 0:  # 0 is allowed: the graph's overhead alone
            raise WorkloadError(f"parameter 'task_s' of workload {self.name!r} must be >= 0")
        return n

    def input_bytes(self, size: float, params: Mapping[str, Any]) -> int | None:
        return int(size) * int(params.get("bytes_per_task", self.defaults["bytes_per_task"]))

    def prepare(self, client: Any, size: float, params: Mapping[str, Any]) -> _Inputs:
        from distributed import wait

        n = self._sizes(size, params)
        inputs = _Inputs()
        if not self.has_inputs:
            return inputs
        name = f"{self.name}-input-{uuid.uuid4().hex}"
        inputs.keys = [(name, i) for i in range(n)]
        # Input i is pinned to worker i mod p (workers in address order): an even spread,
        # the placement the simulator assumes at a worker count it did not measure. Left
        # to itself, Dask's queue hands a persist's partitions to whichever worker asks
        # first (5 down to 3 of 32 on 8 workers here), which no trace of another worker
        # count can foretell.
        workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
        futures = []
        for i, key in enumerate(inputs.keys):
            fn, *args = self._input_task(i, n, params)
            futures.append(
                client.submit(fn, *args, key=key, workers=[workers[i % len(workers)]], pure=False)
            )
        wait(futures)
        inputs.futures = {f.key: f for f in futures}
        return inputs

    def _input_task(self, i: int, n: int, params: Mapping[str, Any]) -> tuple:
        return (block, i, params["bytes_per_task"], 0.0)

    def build(self, client: Any, inputs: _Inputs, size: float, params: Mapping[str, Any]):
        return self.plan(self._sizes(size, params), params, inputs)

    def plan(self, n: int, params: Mapping[str, Any], inputs: _Inputs) -> _Plan:
        raise NotImplementedError

    def run(self, client: Any, built: _Plan, size: float, params: Mapping[str, Any]):
        dsk, out = built.materialise(uuid.uuid4().hex)
        result = client.get(dsk, out)
        check = int(result[0]) if isinstance(result, np.ndarray) else int(result)
        if check != built.expected:
            raise WorkloadError(
                f"workload {self.name!r}: checksum {check} != expected {built.expected}"
            )
        return WorkDone(
            items=float(len(built.tasks)),
            unit="tasks",
            check=float(check),
            extra={
                "sleep_total_s": built.sleep_total_s,
                "critical_path_s": built.critical_path_s,
            },
        )

    def release(self, inputs: _Inputs | None) -> None:
        if inputs is not None:
            inputs.futures.clear()


def _tree(
    tasks: list,
    level: list[_Ref],
    prefix: str,
    fan_in: int,
    fn: Callable[..., Any],
    extra: tuple = (),
) -> tuple[_Ref, int]:
    """Reduce ``level`` in a tree of ``fan_in`` (appending to ``tasks``); the root and depth."""
    depth = 0
    while len(level) > 1:
        name = f"{prefix}-{depth}"
        nxt = []
        for j in range(0, len(level), fan_in):
            tasks.append((name, j // fan_in, fn, (level[j : j + fan_in], *extra)))
            nxt.append(_Ref(name, j // fan_in))
        level, depth = nxt, depth + 1
    return level[0], depth


class SleepTree(_SleepGraph):
    """Tree reduction of sleeping leaves, real bytes at every level."""

    name = "sleep-tree"
    description = "size sleeping leaves of bytes_per_task bytes, tree-combined (fan-in 4)"
    defaults: ClassVar[Mapping[str, Any]] = {
        "task_s": 0.03,
        "bytes_per_task": 2_000_000,
        "fan_in": 4,
        "seed": 0,
    }
    has_inputs = False

    def plan(self, n, params, inputs):
        task_s, nbytes, fan_in = params["task_s"], params["bytes_per_task"], params["fan_in"]
        if fan_in < 2:
            raise WorkloadError("parameter 'fan_in' of workload 'sleep-tree' must be >= 2")
        tasks: list = [("sleep-leaf", i, block, (i, nbytes, task_s)) for i in range(n)]
        leaves = [_Ref("sleep-leaf", i) for i in range(n)]
        root, depth = _tree(tasks, leaves, "sleep-combine", fan_in, combine, (nbytes, task_s / 4))
        return _Plan(
            tasks=tasks,
            output=root,
            inputs=inputs,
            expected=sum(range(n)) % _MOD,
            sleep_total_s=n * task_s + (len(tasks) - n) * task_s / 4,
            critical_path_s=task_s + depth * task_s / 4,
        )


class SleepShuffle(_SleepGraph):
    """An all-to-all of real bytes: split, getitem, concatenate."""

    name = "sleep-shuffle"
    description = "size x size shuffle of persisted partitions of bytes_per_task bytes"
    defaults: ClassVar[Mapping[str, Any]] = {"task_s": 0.04, "bytes_per_task": 2_000_000, "seed": 0}

    def _input_task(self, i, n, params):
        if params["bytes_per_task"] < n:
            raise WorkloadError(
                "workload 'sleep-shuffle': bytes_per_task must be at least size (one byte a piece)"
            )
        return (pieces_input, i, params["bytes_per_task"], n)

    def plan(self, n, params, inputs):
        task_s, nbytes = params["task_s"], params["bytes_per_task"]
        tasks: list = []
        for i, key in enumerate(inputs.keys):
            tasks.append(("shuffle-split", i, split, (key, n, task_s)))
        for i in range(n):
            for j in range(n):
                ref = _Ref("shuffle-split", i)
                tasks.append(("shuffle-getitem", i * n + j, operator.getitem, (ref, j)))
        bounds = _bounds(nbytes, n)
        sums = []
        for j in range(n):
            pieces = [_Ref("shuffle-getitem", i * n + j) for i in range(n)]
            tasks.append(("shuffle-output", j, gather_pieces, (pieces, task_s)))
            piece = bounds[j + 1] - bounds[j]
            ref = _Ref("shuffle-output", j)
            tasks.append(("shuffle-check", j, piece_checksum, (ref, piece)))
            sums.append(_Ref("shuffle-check", j))
        tasks.append(("shuffle-total", 0, total, (sums,)))
        return _Plan(
            tasks=tasks,
            output=_Ref("shuffle-total", 0),
            inputs=inputs,
            expected=sum((i * n + j) % _MOD for i in range(n) for j in range(n)),
            sleep_total_s=2 * n * task_s,
            critical_path_s=2 * task_s,
        )


class SleepStragglers(_SleepGraph):
    """Independent sleeping tasks over persisted inputs, a seeded tenth of them slow."""

    name = "sleep-stragglers"
    description = "map over persisted inputs, a seeded 10% of tasks 5x slower, then a sum"
    defaults: ClassVar[Mapping[str, Any]] = {
        "task_s": 0.02,
        "bytes_per_task": 2_000_000,
        "straggler_fraction": 0.1,
        "straggler_factor": 5.0,
        "seed": 0,
    }

    def durations(self, n: int, params: Mapping[str, Any]) -> list[float]:
        """Each map task's sleep: ``task_s``, or ``straggler_factor`` times it."""
        rng = np.random.default_rng(params["seed"])
        count = min(n, max(1, round(params["straggler_fraction"] * n)))
        slow = set(rng.choice(n, size=count, replace=False).tolist())
        factor = params["straggler_factor"]
        return [params["task_s"] * (factor if i in slow else 1.0) for i in range(n)]

    def plan(self, n, params, inputs):
        durations = self.durations(n, params)
        tasks: list = [
            ("sleep-map", i, mapped, (key, i, durations[i])) for i, key in enumerate(inputs.keys)
        ]
        tasks.append(("sleep-sum", 0, total, ([_Ref("sleep-map", i) for i in range(n)],)))
        return _Plan(
            tasks=tasks,
            output=_Ref("sleep-sum", 0),
            inputs=inputs,
            expected=sum(i % _MOD + i for i in range(n)),
            sleep_total_s=sum(durations),
            critical_path_s=max(durations),
        )


class SleepPipeline(_SleepGraph):
    """Independent chains of sleeping stages over persisted inputs, then a scalar tree."""

    name = "sleep-pipeline"
    description = "size chains of 3 sleeping stages of bytes_per_task bytes, tree-summed"
    defaults: ClassVar[Mapping[str, Any]] = {
        "task_s": 0.02,
        "bytes_per_task": 2_000_000,
        "stages": 3,
        "fan_in": 4,
        "seed": 0,
    }

    def plan(self, n, params, inputs):
        task_s, stages, fan_in = params["task_s"], params["stages"], params["fan_in"]
        if stages < 1 or fan_in < 2:
            raise WorkloadError("workload 'sleep-pipeline': stages must be >= 1, fan_in >= 2")
        tasks: list = []
        heads = []
        for i, key in enumerate(inputs.keys):
            prev: Any = key
            for s in range(stages):
                stage = f"sleep-stage-{_letters(s)}"  # letters: key_split keeps them
                tasks.append((stage, i, step, (prev, task_s)))
                prev = _Ref(stage, i)
            tasks.append(("sleep-first", i, first_value, (prev,)))
            heads.append(_Ref("sleep-first", i))
        root, _ = _tree(tasks, heads, "sleep-sum", fan_in, total)
        return _Plan(
            tasks=tasks,
            output=root,
            inputs=inputs,
            expected=sum((i % _MOD + stages) % _MOD for i in range(n)),
            sleep_total_s=n * stages * task_s,
            critical_path_s=stages * task_s,
        )
