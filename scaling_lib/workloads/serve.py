"""``serve``: inference requests from concurrent clients, scored through Dask futures.

Size is the number of requests. Each request carries ``batch`` rows from the client
and asks a worker to score them with a trained MLP (weights replicated to every worker
before the timer starts). Two ways to load the cluster:

- closed loop (``rate: 0``): ``concurrency`` requests in flight; each completion sends
  the next, as that many users waiting for answers would;
- open loop (``rate > 0``): requests sent at ``rate`` per second whatever happens,
  as independent users arrive; latency then includes queueing when the cluster falls
  behind.

Latency is from sending a request to its result arriving at the client. The record's
metrics carry p50/p95/p99/mean/max latency; throughput is requests per second.

Usage::

    scaling-lib run examples/serve.yaml
    send_requests(client, weights, payloads, n=100, concurrency=8)  # the load loop alone
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scaling_lib.errors import WorkloadError
from scaling_lib.workloads import mlp
from scaling_lib.workloads.base import WorkDone, Workload

__all__ = ["ServeWorkload", "latency_summary", "score", "send_requests", "trained_weights"]

# Distinct request payloads cycled through: real data without holding n of them.
_PAYLOADS = 16


def score(weights: tuple[Any, Any], x: Any) -> Any:
    """The model's predictions for one request's rows."""
    return mlp.forward_shard((x, None), weights)[1]


def trained_weights(params: Mapping[str, Any], samples: int = 2048, steps: int = 5) -> tuple:
    """A briefly trained model (full-batch descent on the train workload's data)."""
    from scaling_lib.workloads.train import TrainWorkload, train_single_process

    train = TrainWorkload()
    train_params = train.check_params(
        {k: params[k] for k in ("features", "hidden", "outputs", "seed")} | {"steps": steps}
    )
    weights, _ = train_single_process(train.baseline_inputs(samples, train_params), train_params)
    return weights


def send_requests(
    client: Any,
    weights: Any,
    payloads: Sequence[Any],
    n: int,
    *,
    concurrency: int = 8,
    rate: float = 0.0,
    send_at: Sequence[float] | None = None,
) -> list[tuple[float, float]]:
    """Send ``n`` requests; (send time, latency) of each, times from the first send.

    Closed loop at ``concurrency`` when ``rate`` is 0, else open loop at ``rate``/s;
    or open loop at the given offsets in seconds (``send_at``, overriding both).
    """
    if send_at is None and rate > 0:
        send_at = [i / rate for i in range(n)]
    from distributed import as_completed, wait

    sent: dict[str, float] = {}
    done: dict[str, float] = {}
    lock = threading.Lock()

    def stamp(future: Any) -> None:
        with lock:
            done[future.key] = time.perf_counter()

    def submit(i: int) -> Any:
        now = time.perf_counter()
        future = client.submit(score, weights, payloads[i % len(payloads)], pure=False)
        sent[future.key] = now
        future.add_done_callback(stamp)
        return future

    start = time.perf_counter()
    futures = []
    if send_at is not None:
        for i, offset in enumerate(send_at):
            delay = start + offset - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(submit(i))
        wait(futures)
    else:
        in_flight = as_completed([submit(i) for i in range(min(concurrency, n))])
        next_i = in_flight.count()
        for future in in_flight:
            futures.append(future)
            if next_i < n:
                in_flight.add(submit(next_i))
                next_i += 1
    client.gather(futures)  # raises the first failed request's error
    # Done callbacks run on the client's event loop: wait until every stamp is in.
    deadline = time.perf_counter() + 5
    while len(done) < len(sent) and time.perf_counter() < deadline:
        time.sleep(0.001)
    return sorted((sent[k] - start, done[k] - sent[k]) for k in sent if k in done)


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of latencies in seconds (empty input: no keys)."""
    if len(latencies) == 0:
        return {}
    lat = np.asarray(latencies, dtype=float)
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    return {
        "latency_p50_s": float(p50),
        "latency_p95_s": float(p95),
        "latency_p99_s": float(p99),
        "latency_mean_s": float(lat.mean()),
        "latency_max_s": float(lat.max()),
    }


class ServeWorkload(Workload):
    name = "serve"
    size_unit = "requests"
    description = "batch scoring requests from concurrent clients through Dask futures"
    defaults: Mapping[str, Any] = {
        "concurrency": 8,
        "rate": 0.0,
        "batch": 256,
        "features": 32,
        "hidden": 1024,
        "outputs": 8,
        "seed": 0,
    }

    def check_params(self, params):
        out = super().check_params(params)
        self.require_positive(out, *("concurrency", "batch", "features", "hidden", "outputs"))
        if out["rate"] < 0:
            raise WorkloadError(
                f"parameter 'rate' must be 0 (closed loop) or more, got {out['rate']!r}"
            )
        return out

    def input_bytes(self, size, params):
        return _PAYLOADS * params["batch"] * params["features"] * 8

    def prepare(self, client, size, params):
        weights, payloads = self.baseline_inputs(size, params)
        return client.scatter(weights, broadcast=True), payloads

    def run(self, client, built, size, params):
        weights, payloads = built
        timings = send_requests(
            client, weights, payloads, int(size),
            concurrency=params["concurrency"], rate=params["rate"],
        )  # fmt: skip
        return self._work(size, params, [lat for _, lat in timings])

    def baseline_inputs(self, size, params):
        """The trained weights and the request payloads."""
        rng = np.random.default_rng([params["seed"], 7])
        shape = (params["batch"], params["features"])
        return trained_weights(params), [rng.standard_normal(shape) for _ in range(_PAYLOADS)]

    def baseline(self, inputs, size, params):
        # One process answering the requests one after another: latency is service time.
        weights, payloads = inputs
        latencies = []
        for i in range(int(size)):
            start = time.perf_counter()
            score(weights, payloads[i % len(payloads)])
            latencies.append(time.perf_counter() - start)
        return self._work(size, params, latencies)

    @staticmethod
    def _work(size: float, params: Mapping[str, Any], latencies: Sequence[float]) -> WorkDone:
        requests = int(size)
        parameters = mlp.parameter_count(params["features"], params["hidden"], params["outputs"])
        extra = {
            "requests": requests,
            "concurrency": params["concurrency"],
            "offered_rate": params["rate"],
            **latency_summary(latencies),
        }
        return WorkDone(
            items=float(requests),
            unit="requests",
            flops=2.0 * parameters * params["batch"] * requests,
            check=float(len(latencies)),
            extra=extra,
        )
