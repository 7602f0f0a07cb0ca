"""First plots first: work a page can do without runs after every waiting viewer has a plot.

Usage (in a served session)::

    waiting = FirstPlots()                 # one per server process (``FIRST_PLOTS``)
    waiting.started(doc)                   # while the session's page is built
    pn.state.onload(lambda: waiting.drawn(doc, rest))  # ``rest`` runs when no session
                                           # is waiting for its first plot

A dashboard server runs every session on one event loop. When a team opens the
dashboard at once, each session's work runs in turn, and the last visitor waits for all
of it before its browser can draw anything. Most of a page is not needed for that first
plot: the sidebar's filters and the headers of tabs not yet opened. ``FirstPlots`` holds
that part back while any session in the process is still waiting for its first plot (its
page built, its browser not yet drawn), so a burst of visitors is served first plots
first. A visitor on a quiet server gets the rest as soon as its page is drawn.

A session whose browser never draws (a tab closed while loading) stops counting as
waiting after ``patience_s``; no held-back work waits longer than that either.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["FIRST_PLOTS", "FirstPlots"]


class FirstPlots:
    """Sessions waiting for their first plot, and the work held back until none is."""

    def __init__(self, check_ms: int = 100, patience_s: float = 5.0):
        self.check_ms = check_ms
        self.patience_s = patience_s
        self._waiting: dict[int, float] = {}  # id(document) -> when its page was built

    def started(self, doc) -> None:
        """A session's page is being built: it waits for its first plot from now."""
        self._waiting[id(doc)] = time.monotonic()

    def waiting(self, now: float | None = None) -> int:
        """How many sessions are waiting for their first plot (forgetting stale ones)."""
        now = time.monotonic() if now is None else now
        for key, since in list(self._waiting.items()):
            if now - since > self.patience_s:
                del self._waiting[key]
        return len(self._waiting)

    def drawn(self, doc, rest: Callable[[], None]) -> None:
        """``doc``'s browser has drawn its page: run ``rest`` once no session waits.

        Called from the session's ``onload``; ``rest`` then runs in that session (a
        background periodic callback, so it flips no busy indicator)."""
        from panel.io.callbacks import PeriodicCallback

        self._waiting.pop(id(doc), None)
        since = time.monotonic()
        if not self.waiting(since):
            rest()
            return

        def check() -> None:
            now = time.monotonic()
            if self.waiting(now) and now - since < self.patience_s:
                return
            callback.stop()
            rest()

        callback = PeriodicCallback(callback=check, period=self.check_ms, background=True)
        callback.start()


# One per server process: every session of the process shares the event loop.
FIRST_PLOTS = FirstPlots()
