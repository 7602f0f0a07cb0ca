"""Small graph builders shared by the simulator tests.

Usage::

    g = graph([task("a", 1.0), task("b", 2.0, deps=[0])])
"""

from __future__ import annotations

from scaling_lib.simulate import SimGraph, SimTask

__all__ = ["graph", "task"]


def task(
    key: str,
    duration: float,
    deps: list[int] | tuple[int, ...] = (),
    nbytes: int = 0,
    held_on: int | None = None,
    group: str | None = None,
) -> dict:
    """A task spec; ``graph`` turns specs into SimTasks with priority = position."""
    return {
        "key": key,
        "duration": duration,
        "deps": tuple(deps),
        "nbytes": nbytes,
        "held_on": held_on,
        "group": group or key,
    }


def graph(specs: list[dict]) -> SimGraph:
    """SimGraph of ``specs``, priorities in list order."""
    return SimGraph(
        tuple(
            SimTask(
                key=s["key"],
                group=s["group"],
                prefix=s["group"],
                duration_s=s["duration"],
                output_bytes=s["nbytes"],
                dependencies=s["deps"],
                priority=(i,),
                held_on=s["held_on"],
            )
            for i, s in enumerate(specs)
        )
    )
