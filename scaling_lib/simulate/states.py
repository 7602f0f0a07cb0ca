"""Integer codes shared by the simulation modules.

Usage::

    from scaling_lib.simulate.states import DONE, QUEUED

Event kinds order nothing (events are ordered by time, class, insertion); task states
are what ``core.Simulation.state`` holds.
"""

from __future__ import annotations

__all__ = [
    "ASSIGNED",
    "DONE",
    "DONE_STATE",
    "EXECUTING",
    "FLOW",
    "HELD",
    "LATENCY",
    "QUEUED",
    "SCHED",
    "TICK",
    "WAITING",
]

# Event kinds: a task finished on its worker; the scheduler handled that completion; a
# transfer's latency is over; a flow's bytes arrived; a work-stealing pass.
DONE, SCHED, LATENCY, FLOW, TICK = range(5)
# Task states.
WAITING, QUEUED, ASSIGNED, EXECUTING, DONE_STATE, HELD = range(6)
