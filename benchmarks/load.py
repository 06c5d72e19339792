"""A class on one server: redraw latency and page load, alone and while others train; memory.

    .venv/bin/python -m benchmarks.load [--sessions 8] [--trainers 2] [--points 100000]

Everything is measured where the user feels it, in headless Chromium against ``panel serve``:
- *redraw*: from the key press (Enter in the ρ box of Lorenz) to the new attractor image in the
  Bokeh document plus two animation frames, timed inside the page (``performance.now``), so the
  benchmark's own polling adds nothing;
- *page load*: from ``goto`` to the first attractor image.
Three phases: one session alone (the reference); N sessions opened at the same moment, then
changing ρ every ``--think`` seconds on average while K other sessions train neural models (neural
ODE, LSTM) with auto-tune off, and a newcomer opening the page every ``--arrivals`` seconds; then 50 sessions of
10^6 points opened and closed one after another, with the server's memory (its process and the
Dask workers) before and after. The server log's tracebacks are printed at the end. Targets on the 2-core machine:
alone ≤ 0.3 s (10^5 points), under load p95 ≤ 1.5 s, page load ≤ 5 s, both trainings finish.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from benchmarks.served import lab_server  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.browser.helpers import IDLE, server_errors  # noqa: E402

# In the page: arm a watcher on the attractor image's array; the clock starts at the next key
# press (captured at the document) and stops two animation frames after the array is replaced.
ARM = """(timeout) => {
  let source = null;  // found once: scanning every model each frame would load the browser itself
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    if (((m.below[0] && m.below[0].axis_label) || "") !== "screen x") continue;
    for (const r of m.renderers) {
      if (r.data_source && r.data_source.data && r.data_source.data.image) source = r.data_source;
    }
  }
  const image = () => source.data.image[0];
  const before = image();
  window.__pressed = null;
  document.addEventListener("keydown", () => { window.__pressed = performance.now(); },
                            {capture: true, once: true});
  window.__redraw = new Promise(resolve => {
    const armed = performance.now();
    const tick = () => {
      if (window.__pressed !== null && image() !== before) {
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - window.__pressed)));
      } else if (performance.now() - armed > timeout) {
        resolve(null);
      } else {
        requestAnimationFrame(tick);
      }
    };
    tick();
  });
}"""


async def open_page(browser, url: str) -> tuple:
    """A fresh session; returns (page, seconds from goto to the first attractor image)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url)
    await page.wait_for_function(IDLE, timeout=120_000)
    await page.wait_for_function(
        """() => [...Bokeh.documents[0].all_models].some(m => (m.type === "Figure" || m.type === "Plot") && m.below[0]
             && m.below[0].axis_label === "screen x" && m.renderers.some(r => r.data_source
             && r.data_source.data.image && r.data_source.data.image[0].some(v => v !== 0 && Number.isFinite(v))))""",
        timeout=120_000)
    return page, time.perf_counter() - start


async def redraw(page, value: float, timeout: float = 60.0) -> float | None:
    """Type ``value`` into the ρ box and press Enter; seconds until the new image is painted."""
    box = page.get_by_label("rho", exact=True)
    await box.fill(f"{value:.4f}")
    await page.evaluate(ARM, timeout * 1000)
    await box.press("Enter")
    ms = await page.evaluate("window.__redraw")
    return None if ms is None else ms / 1000


async def student(page, stop: asyncio.Event, times: list, think: float, seed: int) -> None:
    """Change ρ, wait for the picture, look at it for ``think`` seconds, again."""
    rng = np.random.default_rng(seed)
    while not stop.is_set():
        elapsed = await redraw(page, 24.0 + 12.0 * rng.random())
        times.append(np.inf if elapsed is None else elapsed)
        await asyncio.sleep(think * (0.5 + rng.random()))


async def start_training(page, family: str) -> None:
    await page.locator(".bk-tab", has_text="Forecast").click()
    await page.locator("select:not([multiple])").filter(has=page.locator("option[value='analog']")).select_option(family)
    await page.wait_for_function(IDLE)
    await asyncio.sleep(0.5)  # the server applies the family on one of its threads
    autotune = page.locator(".forecast-autotune input")
    if await autotune.is_checked():
        await autotune.uncheck()
    await page.get_by_role("button", name="Train", exact=True).click()


async def training_finished(page) -> bool:
    note = " ".join(await page.locator(".forecast-training").locator("p").all_inner_texts())
    return "finished" in note or "stopped" in note or "failed" in note


def memory_mb(pid: int) -> dict:
    """Resident memory (MB) of the server and of each process it started (the Dask workers)."""
    def rss(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    children = []
    for task in Path("/proc").glob("[0-9]*"):
        try:
            if int((task / "stat").read_text().split(") ")[1].split()[1]) == pid:
                children.append(int(task.name))
        except (OSError, IndexError, ValueError):
            continue
    return {"server": rss(pid), "workers": sum(rss(c) for c in children)}


def summary(times) -> str:
    t = np.asarray([x for x in times if x is not None], dtype=float)
    lost = int(np.sum(~np.isfinite(t)))
    t = t[np.isfinite(t)]
    if not len(t):
        return "no redraw finished"
    return (f"median {np.median(t):5.2f} s  p95 {np.percentile(t, 95):5.2f} s  max {t.max():5.2f} s  "
            f"({len(t)} redraws" + (f", {lost} timed out)" if lost else ")"))


async def run(args) -> None:
    from playwright.async_api import async_playwright

    store = tempfile.mkdtemp(prefix="chaoslab-load-")
    with lab_server({"CHAOSLAB_STORE": store}) as server:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            rows = []
            await lonely(browser, server, args, rows)
            if args.sessions or args.trainers:
                await crowded(browser, server, args, rows)
            if args.churn:
                await churn(browser, server, args, rows)
            await browser.close()
        errors = server_errors(server.log)
    shutil.rmtree(store, ignore_errors=True)
    print(f"\nChaos Lab under load ({os.cpu_count()} cores; Lorenz, {args.points:,} points; "
          f"command: .venv/bin/python -m benchmarks.load)")
    for case, value in rows:
        print(f"  {case:52s} {value}")
    print(f"  {'tracebacks in the server log':52s} {len(errors)}")
    for error in errors[:5]:
        print("    " + error.replace("\n", "\n    "))


async def lonely(browser, server, args, rows) -> None:
    page, load = await open_page(browser, server.url + f"?n_points={args.points}")
    await redraw(page, 29.0)  # the first redraw of a session pays its plots' first update
    times = [await redraw(page, 30.0 + k) for k in range(args.repeat)]
    rows += [("alone: page load", f"{load:5.2f} s"), ("alone: redraw, key press → image", summary(times))]
    await page.context.close()


async def crowded(browser, server, args, rows) -> None:
    families = ["neural_ode", "lstm", "gru", "shplrnn"]
    trainers = []
    for k in range(args.trainers):
        page, _ = await open_page(browser, server.url)
        await start_training(page, families[k % len(families)])
        trainers.append(page)
    started = time.perf_counter()
    opened = await asyncio.gather(*(open_page(browser, server.url + f"?n_points={args.points}")
                                    for _ in range(args.sessions)))
    burst = [load for _, load in opened]
    stop, times = asyncio.Event(), []
    students = [asyncio.create_task(student(page, stop, times, args.think, seed)) for seed, (page, _) in
                enumerate(opened)]
    arrivals = []  # visitors who open the page while the class works
    deadline = time.perf_counter() + args.duration
    while time.perf_counter() < deadline - args.arrivals:
        await asyncio.sleep(args.arrivals)
        page, load = await open_page(browser, server.url + f"?n_points={args.points}")
        arrivals.append(load)
        await page.context.close()
    await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
    stop.set()
    await asyncio.gather(*students)
    finished = []
    for page in trainers:
        limit = time.perf_counter() + args.train_timeout
        while not await training_finished(page) and time.perf_counter() < limit:
            await asyncio.sleep(1.0)
        finished.append(await training_finished(page))
    who = f"{args.sessions} sessions (think {args.think:g} s) + {args.trainers} training"
    rows += [(f"{args.sessions} pages opened at the same moment", f"median {np.median(burst):5.2f} s  "
                                                               f"max {max(burst):5.2f} s"),
             (f"{who}: page load of a newcomer", f"median {np.median(arrivals):5.2f} s  max {max(arrivals):5.2f} s"
                                                  f"  ({len(arrivals)} visitors)" if arrivals else "none measured"),
             (f"{who}: redraw", summary(times)),
             ("trainings finished", f"{sum(finished)} of {len(finished)} "
                                    f"({time.perf_counter() - started:.0f} s after they started)")]
    for page, _ in opened:
        await page.context.close()
    for page in trainers:
        await page.context.close()


async def churn(browser, server, args, rows) -> None:
    await asyncio.sleep(2.0)
    before = memory_mb(server.pid)
    for _ in range(args.churn):
        page, _ = await open_page(browser, server.url + "?n_points=1000000")
        await redraw(page, 31.0)
        await page.context.close()
    await asyncio.sleep(30.0)  # Bokeh destroys a closed session on its next sweep (every 17 s)
    after = memory_mb(server.pid)
    rows += [(f"memory before {args.churn} sessions of 10^6 points", _mb(before)),
             ("memory after they closed", _mb(after))]


def _mb(memory: dict) -> str:
    return f"server {memory['server']:6.0f} MB  workers {memory['workers']:6.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="sessions changing parameters")
    parser.add_argument("--trainers", type=int, default=2, help="sessions training neural models")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10, help="redraws of the lone session")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of the crowded phase")
    parser.add_argument("--think", type=float, default=3.0,
                        help="seconds a student looks at a picture before the next change (on average)")
    parser.add_argument("--arrivals", type=float, default=15.0, help="seconds between newcomers opening the page")
    parser.add_argument("--churn", type=int, default=50, help="sessions opened and closed for the memory check")
    parser.add_argument("--train-timeout", type=float, default=600.0)
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        sys.exit("needs Debian's chromium (make chromium)")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
