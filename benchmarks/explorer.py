"""Explorer responsiveness: server time of a parameter change, and the page's first load.

    .venv/bin/python -m benchmarks.explorer

1. The work of a redraw of a 10^5-point attractor after a parameter change, as the job runs it on
   a worker (integration, projection, Datashader aggregation and shading of the attractor, time
   series and delay embedding); anchor: the same with dysts's ``make_trajectory`` integrating.
   What the user feels, key press to image in Chromium, is ``benchmarks/load.py``'s.
2. First load of the page in headless Chromium until the attractor is drawn, target < 3 s
   (needs Debian's chromium; skipped without it).
"""

from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def redraw_times(repeat: int = 5):
    """The job a parameter change submits (``core.pictures.portraits.run``: integration, projection,
    aggregation and shading of every view), in this process; the anchor integrates with dysts."""
    import dysts.flows

    from core import systems
    from core.dynamics import integrate
    from core.pictures import portraits
    from core.runtime import jobs

    spec = portraits.ViewSpec()
    portraits.run(systems.get("Lorenz"), {"n": 1000}, spec, job=jobs.local_context())  # JIT paid
    ours = []
    for i in range(repeat):
        system = systems.get("Lorenz", rho=28.0 + i + 1)
        start = time.perf_counter()
        portraits.run(system, {"n": 100_000, "transient": 1000}, spec, job=jobs.local_context())
        ours.append(time.perf_counter() - start)

    model = dysts.flows.Lorenz()
    system = systems.get("Lorenz", rho=30.0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.params["rho"] = 30.0
        x = model.make_trajectory(101_000, method="DOP853", rtol=1e-9, atol=1e-9)[1000:]
    portraits.render(integrate.Trajectory(t=np.arange(len(x)) * system.dt, x=x, system=system), None, spec)
    anchor = time.perf_counter() - start
    return min(ours), anchor


def first_load() -> float | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    from benchmarks.served import lab_server
    from tests.browser.conftest import CHROMIUM_FLAGS
    from tests.browser.helpers import open_app

    with lab_server() as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        start = time.perf_counter()
        open_app(page, served.url)
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def main() -> None:
    ours, anchor = redraw_times()
    print(f"{'case':52s} {'ours [s]':>9s} {'anchor [s]':>10s} {'ratio':>6s}")
    print(f"{'redraw 1e5-point Lorenz after a parameter change':52s} {ours:9.3f} {anchor:10.2f} {anchor / ours:5.0f}x"
          "   target < 0.3 s; anchor: dysts make_trajectory + the same rendering")
    load = first_load()
    if load is None:
        print("first page load: skipped (no chromium)")
    else:
        print(f"{'first page load until the attractor is drawn':52s} {load:9.2f} {'':>10s} {'':>6s}   target < 3 s")


if __name__ == "__main__":
    main()
