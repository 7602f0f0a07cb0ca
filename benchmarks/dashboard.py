"""How fast is the dashboard on a large store? Load and re-render times in a real browser.

    python benchmarks/dashboard.py [--records 10000] [--loads 3]

Builds a results store of ``--records`` records in 20 studies (copies of the committed
example study's measured records, many repeats per point: a load test of the dashboard,
not a measurement), serves the app with `panel serve`, and drives Debian's chromium with
Playwright. Prints the median of ``--loads`` page loads from navigation to the first
plot visible (target: at most 2 s), and the median time for a widget change (the
Recommendations target size) to re-render the options table (target: 300 ms).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from scaling_lib import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "example" / "train-blocks8"


def build_store(folder: Path, count: int, studies: int = 20) -> None:
    """``count`` records in ``studies`` studies, each a 4-size x 2-worker grid with many
    repeats: copies of the example study's measured records."""
    records = []
    for path in sorted((EXAMPLE / "records").glob("*.json")):
        records.extend(json.loads(path.read_text())["records"])
    points = sorted({r["point_id"] for r in records})
    store = ResultsStore(str(folder))
    per_study = count // studies
    for s in range(studies):
        written, batch = 0, 0
        while written < per_study:
            for point in points:
                group = [
                    dict(
                        r,
                        study=f"s{s:02d}",
                        point_id=f"{point}-{batch}",
                        repeat=batch * 10 + r["repeat"],
                    )
                    for r in records
                    if r["point_id"] == point
                ][: per_study - written]
                if not group:
                    break
                store.append(f"s{s:02d}", f"{point}-{batch}", group)
                written += len(group)
            batch += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="scaling-lib-dashboard-"))
    results = tmp / "results"
    started = time.perf_counter()
    build_store(results, args.records)
    print(f"store of {args.records} records built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    n = len(ResultsStore(str(results)).load())
    print(f"load_results of {n} records: {time.perf_counter() - started:.2f} s")

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "panel",
            "serve",
            str(ROOT / "dashboards" / "app.py"),
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--allow-websocket-origin",
            f"127.0.0.1:{port}",
            "--args",
            "--results",
            str(results),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/app?study=s00"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            loads, changes = [], []
            for i in range(args.loads + 1):  # the first load warms the server's imports
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                start = time.perf_counter()
                page.goto(url)
                page.locator("canvas").first.wait_for(state="visible", timeout=120_000)
                if i:
                    loads.append(time.perf_counter() - start)
                page.locator(".bk-tab", has_text="Recommendations").click()
                rows = page.locator(".tabulator-row:visible")
                rows.first.wait_for(state="visible", timeout=120_000)
                target = page.locator("input.bk-input:visible").first
                for value in ("2e7", "3e7", "4e7"):
                    before = rows.first.inner_text()
                    start = time.perf_counter()
                    target.fill(value)
                    target.press("Enter")
                    while rows.first.inner_text() == before:
                        page.wait_for_timeout(5)
                    if i:
                        changes.append(time.perf_counter() - start)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    load, change = statistics.median(loads), statistics.median(changes)
    print(
        f"navigation to first plot visible: median {load:.2f} s over {len(loads)} loads "
        f"(target <= 2 s: {'meets' if load <= 2 else 'MISSES'})"
    )
    print(
        f"widget change to re-rendered table: median {change * 1000:.0f} ms over "
        f"{len(changes)} changes (target <= 300 ms: {'meets' if change <= 0.3 else 'MISSES'})"
    )


if __name__ == "__main__":
    main()
