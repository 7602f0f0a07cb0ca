"""Max-min fair sharing: exact on small components, feasible and local on large ones.

Usage::

    .venv/bin/pytest tests/unit/simulate/test_network.py -q
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_lib.simulate.network import FairShareNetwork, Flow

BW = 100.0


def brute_force_max_min(pairs: list[tuple[int, int]], n_workers: int) -> list[float]:
    """Global progressive filling, written independently of the module under test."""
    rates: list[float | None] = [None] * len(pairs)
    cap = {("o", w): BW for w in range(n_workers)} | {("i", w): BW for w in range(n_workers)}
    while any(r is None for r in rates):
        users: dict[tuple[str, int], list[int]] = {}
        for k, (s, d) in enumerate(pairs):
            if rates[k] is None:
                users.setdefault(("o", s), []).append(k)
                users.setdefault(("i", d), []).append(k)
        link = min(users, key=lambda lk: cap[lk] / len(users[lk]))
        share = cap[link] / len(users[link])
        for k in users[link]:
            rates[k] = share
            s, d = pairs[k]
            cap[("o", s)] -= share
            cap[("i", d)] -= share
    return [float(r) for r in rates if r is not None]


pairs_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda p: p[0] != p[1]),
    min_size=1,
    max_size=14,
)


@settings(max_examples=200, deadline=None)
@given(pairs_strategy, st.integers(0, 13))
def test_small_components_are_exact_max_min(pairs: list[tuple[int, int]], n_removed: int) -> None:
    net = FairShareNetwork(6, BW, exact_limit=100)
    flows = [Flow(s, d, 1e9, None) for s, d in pairs]
    for f in flows:
        net.add(f, 0.0)
        net.settle(0.0)  # one at a time: each step must stay exact
    n_removed = min(n_removed, len(flows) - 1)
    for f in flows[:n_removed]:
        net.remove(f, 1.0)
    net.settle(1.0)
    left = flows[n_removed:]
    expected = brute_force_max_min([(f.src, f.dst) for f in left], 6)
    for f, want in zip(left, expected, strict=True):
        assert abs(f.rate - want) <= 1e-9 * BW


@settings(max_examples=200, deadline=None)
@given(pairs_strategy, st.lists(st.booleans(), min_size=14, max_size=14))
def test_large_components_stay_within_capacity(
    pairs: list[tuple[int, int]], drop: list[bool]
) -> None:
    net = FairShareNetwork(6, BW, exact_limit=2)
    flows = [Flow(s, d, 1e9, None) for s, d in pairs]
    t = 0.0
    for f, gone in zip(flows, drop, strict=False):
        net.add(f, t)
        net.settle(t)
        t += 1.0
        if gone and f.rate > 0:
            net.remove(f, t)
            net.settle(t)
    live = [f for f, gone in zip(flows, drop, strict=False) if f.remaining > 0]
    for link in range(12):
        on_link = [f for f in live if link in (f.src, 6 + f.dst)]
        assert sum(f.rate for f in on_link) <= BW * (1 + 1e-9)
        assert abs(net.link_load(link) - sum(f.rate for f in on_link)) <= 1e-6 * BW
    # Every live flow still moves: a changed link always re-shares its own flows.
    assert all(f.rate > 0 for f in live)


def test_remaining_bytes_advance_under_the_old_rate() -> None:
    net = FairShareNetwork(3, BW)
    a = Flow(0, 2, 1000.0, None)
    net.add(a, 0.0)
    net.settle(0.0)
    assert a.rate == BW
    b = Flow(1, 2, 1000.0, None)
    net.add(b, 2.0)
    net.settle(2.0)
    assert a.remaining == 800.0 and a.rate == BW / 2 and b.rate == BW / 2
