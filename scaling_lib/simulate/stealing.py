"""Work stealing: Dask's ``WorkStealing.balance`` pass over a running simulation.

Usage (called by ``core.Simulation`` every ``steal_interval_s`` of simulated time while
something changed since the previous pass)::

    moved_any = balance(sim, now)

Follows distributed 2026.7.1 ``stealing.py``: thieves are the idle workers
(``is_unoccupied``), victims the saturated ones (or, failing those, the ten most
occupied with more tasks than threads); stealable tasks are walked level by level
(cheapest to move first) and one moves when
``occ_thief + comm_thief + compute <= occ_victim - (comm_victim + compute) / 2``, the thief
being the idle worker minimising ``stealing_objective``. Occupancies are a snapshot at
the start of the pass, adjusted by the moves made in it (Dask's in-flight occupancy).

Simplified: a move takes effect at once (Dask needs a request/confirm round trip, and a
worker refuses a task that started meanwhile; here executing tasks are never stealable).
Within a level, tasks are tried newest-assigned first (Dask iterates a set), so the
tasks that would run last on the victim move first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scaling_lib.simulate.policies import STEAL_LEVELS

if TYPE_CHECKING:
    from scaling_lib.simulate.core import Simulation

__all__ = ["balance"]


def balance(sim: Simulation, now: float) -> bool:
    """One stealing pass at ``now``; return whether any task moved."""
    W, nt, rank = sim.W, sim.nt, sim.rank
    occ0 = [sim.occupancy(w) for w in range(W)]
    nproc0 = list(sim.nproc)
    total = sim.total_occupancy()
    thieves = {w: None for w in sim.by_rank if sim.is_unoccupied(w, occ0[w], nproc0[w], total)}
    if not thieves or len(thieves) == W:
        return False
    d_occ = [0.0] * W
    d_np = [0] * W

    def comb(w: int) -> float:
        return occ0[w] + d_occ[w]

    # check_idle_saturated: busy workers whose queued work is well above the average.
    avg = total / (W * nt)
    victims = []
    for w in range(W):
        p = nproc0[w]
        if w in thieves or p <= nt:
            continue
        pending = occ0[w] * (p - nt) / (p * nt)
        if pending > 0.4 and pending > 1.9 * avg:
            victims.append(w)
    if not victims:
        top = sorted(range(W), key=lambda w: (-comb(w), rank[w]))[:10]
        victims = [w for w in top if comb(w) > 0.2 and nproc0[w] > nt and w not in thieves]
        if not victims:
            return False
    if len(victims) < 20:
        victims.sort(key=lambda w: (-comb(w), rank[w]))

    comm_cost, mem, dur = sim.comm_cost, sim.mem, sim.expected
    moved = False
    for level in range(STEAL_LEVELS):
        if not thieves:
            break
        for v in victims:
            stealable = sim.stealable[v][level]
            if not stealable or not thieves:
                continue
            for i in reversed(list(stealable)):
                if not thieves:
                    break
                thief = min(
                    thieves, key=lambda w, i=i: (comb(w) / nt + comm_cost(i, w), mem[w], rank[w])
                )
                c_thief = comm_cost(i, thief)
                c_victim = comm_cost(i, v)
                compute = dur[i]
                if comb(thief) + c_thief + compute <= comb(v) - (c_victim + compute) / 2:
                    d_occ[thief] += compute + c_thief
                    d_occ[v] -= compute + c_victim
                    d_np[thief] += 1
                    d_np[v] -= 1
                    sim.unassign(i)
                    sim.reassign(i, thief, now)
                    moved = True
                    if not sim.is_unoccupied(
                        thief, comb(thief), nproc0[thief] + d_np[thief], total
                    ):
                        del thieves[thief]
    return moved
