"""How heavy a page is: what a session costs the server to build, what each tab adds to the
document, and what a visitor feels — the first paint and a key press to the new attractor.

    .venv/bin/python -m benchmarks.page [--repeat 10]

- *server build*: CPU seconds of this process building one session's page (``serve``, as ``app.py``,
  into a Bokeh document, the first picture remembered as the server remembers it), median of
  ``--repeat`` after one warm-up;
- *models per tab*: the Bokeh models of the page as sent (the explorer and the sidebar) and those
  each other tab adds when it is first shown (tabs are built when first shown);
- *first paint*: Chromium's ``goto`` to the attractor image painted, against ``panel serve``;
- *key press → new attractor*: Enter in the ρ box to the new image in the Bokeh document plus two
  animation frames, timed inside the page.
Targets (issue 20, 2-core machine, one visitor alone): build ≤ 0.3 core-s, first paint ≤ 2 s,
key press ≤ 0.3 s median.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from core import limit_threads  # noqa: E402

limit_threads()

import panel as pn  # noqa: E402
from bokeh.document import Document  # noqa: E402

from benchmarks.load import open_page, redraw  # noqa: E402
from benchmarks.served import lab_server  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402

TARGETS = {"server build": 0.3, "first paint": 2.0, "key press → new attractor": 0.3}


def models(viewable) -> int:
    doc = Document()
    doc.add_root(pn.panel(viewable).get_root(doc))
    return len(doc.models)


def server_side(repeat: int) -> tuple[list[float], dict[str, int]]:
    """CPU seconds per page build, and the models of the page and of each tab."""
    import gc

    from dashboards.diagnostics import LyapunovDashboard
    from dashboards.forecast import ForecastDashboard
    from dashboards.lab import serve
    from dashboards.leaderboard import LeaderboardDashboard
    from dashboards.selection import Selection
    from dashboards.teach import TeachDashboard

    serve(Document())  # imports, kernels, the remembered first picture
    gc.collect()
    gc.freeze()  # as dashboards/warm.py leaves the server
    seconds, counted = [], {}
    for _ in range(repeat):
        doc = Document()
        start = time.process_time()
        serve(doc)
        seconds.append(time.process_time() - start)
        counted["the page as sent (explorer, sidebar, template)"] = len(doc.models)
    selection = Selection()
    for name, make in (("Lyapunov tab", LyapunovDashboard), ("Forecast tab", ForecastDashboard),
                       ("Teach tab", TeachDashboard), ("Leaderboard tab", LeaderboardDashboard)):
        dashboard = make(selection, open_forecast=lambda cell: None) if make is LeaderboardDashboard \
            else make(selection)
        if hasattr(dashboard, "prepare"):
            dashboard.prepare()
        counted[f"+ {name}, when first shown"] = models(dashboard.main())
    return seconds, counted


async def felt(repeat: int) -> tuple[list[float], list[float]]:
    from playwright.async_api import async_playwright

    paints, presses = [], []
    with lab_server() as server:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            for k in range(3):
                page, seconds = await open_page(browser, server.url)
                paints.append(seconds)
                if k == 0:
                    await redraw(page, 29.0)  # a session's first redraw pays its plots' first update
                    presses = [await redraw(page, 30.0 + 0.5 * i) for i in range(repeat)]
                await page.context.close()
            await browser.close()
    return paints[1:], [t for t in presses if t is not None]  # the first visit pays the server's first page


def row(case: str, value: str, target: str = "", verdict: str = "") -> str:
    return f"  {case:52s} {value:>22s} {target:>10s} {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    builds, counted = server_side(args.repeat)
    paints, presses = asyncio.run(felt(args.repeat))
    measured = {"server build": statistics.median(builds), "first paint": statistics.median(paints),
                "key press → new attractor": statistics.median(presses)}
    print("\nA page of Chaos Lab, one visitor alone (command: .venv/bin/python -m benchmarks.page)")
    print(row("case", "measured (median)", "target", "ratio"))
    units = {"server build": "core-s"}
    for case, value in measured.items():
        unit = units.get(case, "s")
        print(row(case, f"{value:.3f} {unit}", f"{TARGETS[case]:g} {unit}", f"{value / TARGETS[case]:.2f}"))
    print(row("key press → new attractor, p95", f"{sorted(presses)[int(0.95 * (len(presses) - 1))]:.3f} s"))
    for case, count in counted.items():
        print(row(case, f"{count} models"))


if __name__ == "__main__":
    main()
