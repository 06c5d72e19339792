"""The Leaderboard tab's first paint with the shipped table, in Chromium, and reading the table.

    .venv/bin/python -m benchmarks.leaderboard [--repeat 3]

First paint of the tab (target ≤ 2 s), two ways:
- on a page already open on the explorer, from the click on the "Leaderboard" tab to its summary
  note and table rows shown and its box plot painted (BokehJS's view of it finished);
- from ``page.goto(…?tab=leaderboard)``, which pays the whole page's load first: its anchor is the
  same page opened on the explorer (its attractor drawn), and ``goto`` returning (the document and
  its scripts, built by the server) is printed beside it.

Then the sub-tabs built when first chosen: from the click on "VPT against λ1 and dimension" to
both scatters painted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time

import numpy as np

from benchmarks.load import IDLE  # noqa: E402
from benchmarks.served import lab_server  # noqa: E402
from benchmarks.timing import best_of  # noqa: E402
from core.forecasting import sweep  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.browser.helpers import PAINTED  # noqa: E402

BOARD_READY = ".leaderboard-note p:has-text('Best median')"
ROWS_READY = ".leaderboard-table .tabulator-row .tabulator-cell[tabulator-field='system']"
BOXES = ["valid prediction time across systems"]
SCATTERS = ["VPT against λ1", "VPT against correlation dimension"]


def first_paint(browser, url: str, ready: str) -> tuple[float, float]:
    """Seconds from ``goto`` until it returned, and until ``ready`` is shown."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    loaded = time.perf_counter() - start
    page.wait_for_function(IDLE, timeout=120_000)
    page.locator(ready).first.wait_for(timeout=120_000)
    seconds = time.perf_counter() - start
    context.close()
    return loaded, seconds


def tab_click(browser, url: str) -> tuple[float, float]:
    """The explorer's page, loaded and idle; seconds from the click on the Leaderboard tab to the
    summary, the table's rows and the box plot shown, then from the click on the scatters'
    sub-tab to both scatters painted."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(IDLE, timeout=120_000)
    page.locator(".chaoslab-status p:has-text('points')").first.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    start = time.perf_counter()
    page.locator(".bk-tab", has_text="Leaderboard").first.click()
    page.locator(BOARD_READY).first.wait_for(timeout=120_000)
    page.locator(ROWS_READY).first.wait_for(timeout=120_000)
    page.wait_for_function(PAINTED, arg=BOXES, timeout=120_000, polling="raf")
    seconds = time.perf_counter() - start
    page.wait_for_timeout(500)
    start = time.perf_counter()
    page.locator(".leaderboard-sections .bk-tab", has_text="VPT against λ1").first.click()
    page.wait_for_function(PAINTED, arg=SCATTERS, timeout=120_000, polling="raf")
    sub_tab = time.perf_counter() - start
    context.close()
    return seconds, sub_tab


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
            click, sub_tab = np.array([tab_click(browser, server.url) for _ in range(args.repeat)]).T
            board = np.array([first_paint(browser, server.url + "?tab=leaderboard", BOARD_READY)
                              for _ in range(args.repeat)])
            explorer = np.array([first_paint(browser, server.url, ".chaoslab-status p:has-text('points')")
                                 for _ in range(args.repeat)])
            browser.close()
    rows += [("click on the Leaderboard tab → summary, rows, box plot shown", f"median {np.median(click):.2f} s "
              f"(runs {', '.join(f'{c:.2f}' for c in click)}; target ≤ 2 s)"),
             ("then click on its scatters' sub-tab → both painted", f"median {np.median(sub_tab):.2f} s "
              f"(runs {', '.join(f'{c:.2f}' for c in sub_tab)})"),
             ("goto ?tab=leaderboard → summary shown", f"median {np.median(board[:, 1]):.2f} s"),
             ("anchor: goto the explorer → attractor drawn", f"median {np.median(explorer[:, 1]):.2f} s"),
             ("ratio (leaderboard / explorer, from goto)", f"{np.median(board[:, 1]) / np.median(explorer[:, 1]):.2f}"),
             ("of which goto returned (document and scripts)",
              f"median {np.median(board[:, 0]):.2f} s / {np.median(explorer[:, 0]):.2f} s")]
    print("\nThe Leaderboard tab (command: .venv/bin/python -m benchmarks.leaderboard)")
    for case, value in rows:
        print(f"  {case:52s} {value}")


if __name__ == "__main__":
    main()
