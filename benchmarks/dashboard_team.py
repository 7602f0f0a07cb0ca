"""A team on one dashboard server: ten sessions at once, each viewer on a machine of its own.

    python benchmarks/dashboard.py --loads 0 --sessions 10    # runs this part too

On a dashboard a team shares, the server is shared and each viewer's browser runs on
that viewer's own machine. One small machine cannot give ten Chromiums a machine each:
rendering at once, they measure mostly each other (``dashboard.py`` prints the same ten
browsers on a one-figure Bokeh app as that floor). So each round here opens ten
sessions at once on the server, nine of them viewers that ask the server for exactly
what a browser asks for without drawing anything (``dashboard_viewers``: the page, its
static files, the document, and the messages a real browser sent once drawn, replayed)
and one real Chromium, which starts a moment after the nine have sent their requests:
its session is the last of the ten in the server's queue. Its navigation to first plot
visible is the figure for the viewer who waits longest.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from dashboard_viewers import (
    after_pull,
    model_ids,
    pulled_document,
    record_browser_messages,
    viewer_session,
)

from scaling_lib.dashboard.app import TABS

# After starting the viewers, the browser waits this long before it navigates, so that
# their page requests reach the server first (each is sent within a few milliseconds).
HEAD_START_S = 0.05
VIEWPORT = {"width": 1400, "height": 1000}


async def _record_browser(browser, url: str) -> tuple[float, list, list[str], tuple[str, ...]]:
    """A first visit, recorded: (seconds to first plot, the messages the browser sent once
    drawn, the ids of the document it pulled, the static files it fetched)."""
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    sent, received, resources = record_browser_messages(page)
    start = time.perf_counter()
    await page.goto(url, timeout=300_000)
    await page.locator("canvas").first.wait_for(state="visible", timeout=300_000)
    seconds = time.perf_counter() - start
    await page.wait_for_timeout(2000)  # what it sends once drawn: sizes, document_ready
    await context.close()
    return seconds, after_pull(sent), model_ids(pulled_document(received)), tuple(resources)


async def _round(browser, url: str, script, ids, resources, viewers: int, usage):
    """One round: (the browser's first plot s, its page complete s, the viewers'
    documents s, usage with all the round's sessions open)."""
    stop = asyncio.Event()
    tasks = [
        asyncio.ensure_future(viewer_session(url, script, ids, stop, resources))
        for _ in range(viewers)
    ]
    await asyncio.sleep(HEAD_START_S)
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url, timeout=300_000)
    await page.locator("canvas").first.wait_for(state="visible", timeout=300_000)
    first = time.perf_counter() - start
    # The rest of the page (the filters, the other tabs' headers) follows the first plot.
    await page.locator(".bk-tab").nth(len(TABS) - 1).wait_for(timeout=300_000)
    complete = time.perf_counter() - start
    stop.set()
    delivered = await asyncio.gather(*tasks)
    during = usage()
    await context.close()
    return first, complete, list(delivered), during


async def _team(url: str, rounds: int, viewers: int, usage, chromium: str, args: list[str]):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=args)
        warm, script, ids, resources = await _record_browser(browser, url)
        await asyncio.sleep(1)
        before = usage()
        results = []
        for _ in range(rounds):
            results.append(await _round(browser, url, script, ids, resources, viewers, usage))
            await asyncio.sleep(1)  # the round's sessions close before the next opens
        after = usage()
        await browser.close()
    return warm, len(script), results, before, after


def measure_team(url: str, usage, rounds: int, sessions: int, chromium: str, args: list[str]):
    """Print the team figures: ``rounds`` rounds of ``sessions`` sessions at once on the
    server at ``url`` (``sessions - 1`` viewers and one Chromium arriving last).
    ``usage()`` returns the server's (RSS bytes, CPU seconds)."""
    warm, messages, results, before, after = asyncio.run(
        _team(url, rounds, sessions - 1, usage, chromium, args)
    )
    firsts = [first for first, _, _, _ in results]
    completes = [complete for _, complete, _, _ in results]
    delivered = [s for _, _, d, _ in results for s in d]
    worst = max(firsts)
    growth = max(during[0] for _, _, _, during in results) - before[0]
    mib = 2**20
    print(
        f"{sessions} sessions at once, each viewer on a machine of its own ({rounds} rounds: "
        f"{sessions - 1} viewers without a browser + 1 Chromium arriving last):"
    )
    print(f"  recorded first visit: first plot after {warm:.2f} s, {messages} messages replayed")
    print(
        "  the last session's navigation to first plot visible (Chromium): "
        + ", ".join(f"{t:.2f}" for t in firsts)
        + f" s; worst {worst:.2f} s (target worst <= 3 s: {'meets' if worst <= 3 else 'MISSES'})"
    )
    print(
        "  its page complete (filters, every tab's header): "
        + ", ".join(f"{t:.2f}" for t in completes)
        + " s"
    )
    print(
        f"  the other {sessions - 1} sessions' documents delivered: median "
        f"{statistics.median(delivered):.2f} s, worst {max(delivered):.2f} s after their "
        "page request"
    )
    print(
        f"  server RSS with {sessions} more sessions open: {growth / mib:.0f} MiB more, "
        f"{growth / sessions / mib:.1f} MiB per session (target < 50 MB: "
        f"{'meets' if growth / sessions < 50e6 else 'MISSES'}); server CPU "
        f"{(after[1] - before[1]) / (rounds * sessions):.2f} s per session"
    )
