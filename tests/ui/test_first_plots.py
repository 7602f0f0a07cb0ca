"""First plots first: the work a page holds back waits only for sessions still waiting."""

from bokeh.document import Document

from scaling_lib.dashboard.first_plots import FirstPlots


def test_a_session_waits_from_its_page_until_its_browser_has_drawn_it():
    # Patience far beyond any stall between two lines, so no session is forgotten here
    # (forgetting is the next test's, on explicit clock readings).
    plots = FirstPlots(patience_s=3600.0)
    a, b = Document(), Document()
    plots.started(a)
    plots.started(b)
    assert plots.waiting() == 2
    ran = []
    plots._waiting.pop(id(b))  # b drawn earlier
    plots.drawn(a, lambda: ran.append("a"))
    assert plots.waiting() == 0 and ran == ["a"]  # nobody else waiting: at once


def test_a_session_whose_browser_never_draws_stops_counting_after_the_patience():
    plots = FirstPlots(patience_s=5.0)
    doc = Document()
    plots.started(doc)
    since = plots._waiting[id(doc)]
    assert plots.waiting(now=since + 4.9) == 1
    assert plots.waiting(now=since + 5.1) == 0  # a tab closed while loading


def test_drawn_for_a_page_built_outside_a_server_runs_at_once():
    plots = FirstPlots()
    ran = []
    plots.drawn(None, lambda: ran.append(True))  # a notebook or a test: no session
    assert ran == [True]


def test_held_back_work_runs_once_the_last_waiting_session_has_drawn():
    import asyncio
    import time

    plots = FirstPlots(check_ms=20, patience_s=3600.0)  # never forgotten during the test
    first, second = Document(), Document()
    ran = []

    async def burst():
        plots.started(first)
        plots.started(second)
        plots.drawn(first, lambda: ran.append("first"))
        await asyncio.sleep(0.2)
        held = list(ran)  # second still waiting: nothing ran
        plots.drawn(second, lambda: ran.append("second"))  # nobody waiting: runs at once
        # The held work's next check runs it (every 20 ms on this loop); the deadline is
        # only a hang guard.
        deadline = time.monotonic() + 60
        while "first" not in ran and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return held

    assert asyncio.run(burst()) == []
    assert ran == ["second", "first"]


def test_the_heap_alive_after_the_first_session_is_frozen_once_per_process():
    import subprocess
    import sys

    # In a process of its own: frozen objects are never collected, not in this one.
    script = (
        "import gc\n"
        "from scaling_lib.dashboard.app import settle_heap\n"
        "assert gc.get_freeze_count() == 0\n"
        "settle_heap()\n"
        "frozen = gc.get_freeze_count()\n"
        "keep = [[i] for i in range(1000)]  # tracked objects made after the first\n"
        "settle_heap()\n"
        "assert frozen > 0 and gc.get_freeze_count() == frozen, frozen\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
