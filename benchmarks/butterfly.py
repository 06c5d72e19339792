"""The butterfly animation: frames painted in Chromium, alone and beside a busy class, and what a
chunk of frames costs against SciPy's integrator on the same members.

    .venv/bin/python -m benchmarks.butterfly [--seconds 8] [--students 3]

Frame gaps are timed in the page (requestAnimationFrame sees the members' column change), the
tick being 50 ms (20 frames a second, the target); the chunk is timed in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil

import numpy as np
from scipy.integrate import solve_ivp

from benchmarks.load import IDLE, open_page, student  # noqa: E402
from benchmarks.served import lab_server  # noqa: E402
from benchmarks.timing import best_of  # noqa: E402
from core import systems  # noqa: E402
from core.pictures import textbook
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.browser.helpers import server_errors  # noqa: E402

WATCH = """() => new Promise(resolve => {
  const find = () => { for (const m of Bokeh.documents[0].all_models)
    if (m.type === "ColumnDataSource" && m.data.size !== undefined && m.data.x !== undefined) return m; };
  const m = find(); if (!m) { resolve(false); return; }
  window.frames_at = []; let last = null;
  const watch = () => { const x = m.data.x[0];
    if (x !== undefined && x !== last) { window.frames_at.push(performance.now()); last = x; }
    requestAnimationFrame(watch); };
  watch(); resolve(true);
})"""


def gaps_summary(stamps: list[float]) -> str:
    gaps = np.diff(stamps)
    if not len(gaps):
        return "no frames"
    return (f"{len(stamps)} frames, median gap {np.median(gaps):4.0f} ms, p95 {np.percentile(gaps, 95):4.0f} ms "
            f"({1000 / np.median(gaps):4.1f} fps)")


async def ready(browser, url: str):
    """A Teach page on Lorenz whose animation is placed at t = 0 (its other views computed too)."""
    page, _ = await open_page(browser, url + "?tab=teach&system=Lorenz&butterfly_speed=2")
    await page.locator(".butterfly-note p", has_text="t = 0.00").wait_for(timeout=120_000)
    await page.locator(".section-note p", has_text="crossings").wait_for(timeout=120_000)
    await page.wait_for_function(IDLE)
    return page


async def play(page, seconds: float) -> str:
    assert await page.evaluate(WATCH)
    await page.get_by_role("button", name="Play", exact=True).click()
    await asyncio.sleep(seconds)
    stamps = await page.evaluate("window.frames_at")
    await page.get_by_role("button", name="Pause", exact=True).click()
    return gaps_summary(stamps[2:])  # the first frames wait for the first chunk


def redraws(times: list) -> str:
    finite = np.array([t for t in times if np.isfinite(t)])
    return f"median {np.median(finite):.2f} s, p95 {np.percentile(finite, 95):.2f} s over {len(finite)}" \
        if len(finite) else "none"


async def in_chromium(args) -> list[tuple[str, str]]:
    from playwright.async_api import async_playwright

    rows = []
    with lab_server() as server:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            viewer = await ready(browser, server.url)
            rows.append(("one viewer alone", await play(viewer, args.seconds)))
            opened = await asyncio.gather(*(open_page(browser, server.url) for _ in range(args.students)))
            stop, times = asyncio.Event(), []
            tasks = [asyncio.create_task(student(page, stop, times, 2.0, seed)) for seed, (page, _) in
                     enumerate(opened)]
            await asyncio.sleep(args.seconds)
            rows.append((f"{args.students} explorer sessions redraw, no animation", redraws(times)))
            times.clear()
            rows.append((f"the animation while {args.students} explorer sessions redraw",
                         await play(viewer, args.seconds)))
            rows.append(("  their redraws meanwhile, key press → image", redraws(times)))
            stop.set()
            await asyncio.gather(*tasks)
            await browser.close()
        rows.append(("tracebacks in the server log", str(len(server_errors(server.log)))))
    return rows


def chunk_cost(members: int = 10_000) -> list[tuple[str, str]]:
    """One chunk of frames for ``members`` of Lorenz: ours (compiled adaptive DOP853 per member)
    against SciPy's RK45 integrating the same members as one vectorised system, to the same frame
    times and tolerances (rtol 1e-10, atol 1e-12)."""
    lorenz = systems.get("Lorenz")
    start = textbook.butterfly_start(lorenz, members, 1e-6)
    frames = textbook.chunk_frames(members, 400)
    ours, _ = best_of(lambda: textbook.butterfly_frames(lorenz, start.states, 0.0, frames, start.step, start.camera), 3)
    s, r, b = (lorenz.params[k] for k in ("sigma", "rho", "beta"))

    def field(t, u):
        x, y, z = u.reshape(3, -1)
        return np.concatenate([s * (y - x), x * (r - z) - y, x * y - b * z])

    t_eval = start.step * np.arange(frames)
    anchor, _ = best_of(lambda: solve_ivp(field, (0, t_eval[-1]), start.states.T.ravel(), t_eval=t_eval,
                                       rtol=1e-10, atol=1e-12), 1)
    return [(f"a chunk: {members} members × {frames} frames, ours", f"{ours:.3f} s"),
            ("  anchor: scipy solve_ivp (RK45, vectorised over members, same tolerances)", f"{anchor:.3f} s"),
            ("  ratio anchor / ours", f"{anchor / ours:.1f}×")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--students", type=int, default=3)
    args = parser.parse_args()
    rows = chunk_cost() + asyncio.run(in_chromium(args))
    print(f"\nThe butterfly animation ({os.cpu_count()} cores; Lorenz; tick 50 ms = 20 fps target; "
          "command: .venv/bin/python -m benchmarks.butterfly)")
    for case, value in rows:
        print(f"  {case:58s} {value}")


if __name__ == "__main__":
    main()
