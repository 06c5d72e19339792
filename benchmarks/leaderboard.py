"""The Leaderboard tab's first paint with the shipped table, in Chromium, and reading the table.

    PYTHONPATH=. .venv/bin/python benchmarks/leaderboard.py [--repeat 3]

First paint: from ``page.goto(…?tab=leaderboard)`` to the table's rows and the summary note in the
page (target ≤ 2 s); the anchor is the same page opened on the explorer (its attractor drawn).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import IDLE  # noqa: E402
from benchmarks.served import lab_server  # noqa: E402
from benchmarks.timing import best_of  # noqa: E402
from core import sweep  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402


def first_paint(browser, url: str, ready: str) -> float:
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(IDLE, timeout=120_000)
    page.locator(ready).first.wait_for(timeout=120_000)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    read, table = best_of(lambda: sweep.leaderboard(sweep.SHIPPED), 3)
    rows = [("read the shipped table", f"{read:.3f} s ({len(table)} rows)")]
    with lab_server({"CHAOSLAB_SWEEPS": tempfile.mkdtemp(prefix="chaoslab-sweeps-")}) as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            first_paint(browser, server.url, ".chaoslab-status p")  # the first visitor pays Panel's caches
            board = [first_paint(browser, server.url + "?tab=leaderboard",
                                 ".leaderboard-note p:has-text('Best median')") for _ in range(args.repeat)]
            explorer = [first_paint(browser, server.url, ".chaoslab-status p:has-text('points')")
                        for _ in range(args.repeat)]
            browser.close()
    rows += [("Leaderboard tab: goto → table and summary shown", f"median {np.median(board):.2f} s (target ≤ 2 s)"),
             ("anchor: the explorer tab: goto → attractor drawn", f"median {np.median(explorer):.2f} s"),
             ("ratio", f"{np.median(board) / np.median(explorer):.2f}")]
    print("\nThe Leaderboard tab (command: PYTHONPATH=. .venv/bin/python benchmarks/leaderboard.py)")
    for case, value in rows:
        print(f"  {case:52s} {value}")


if __name__ == "__main__":
    main()
