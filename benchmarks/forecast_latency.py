"""Train → forecast painted, as the user feels it: from the click in Chromium to the new forecast
curves drawn in the page.

    .venv/bin/python -W ignore -m benchmarks.forecast_latency [--family nvar] [--repeat 5]

Two cases on Lorenz (10^4 training points, the page's defaults), each repeated:
1. auto-tune off: every click trains a new model (on a training set a few points longer each
   time, so nothing is loaded and the test window moves);
2. auto-tune on with the tuned configuration already stored (the first click tunes and is not
   counted): a click reuses the tuning and the model;
3. case 1 again after the Lyapunov and Teach tabs were opened: a hidden tab's plots must not
   weigh on the shown one (BokehJS lays out and paints every plot of its document at each change,
   so a hidden tab leaves the document).
The clock stops when the truth-and-forecast plot's data in the Bokeh document has changed and two
animation frames have passed. The reference is the server's own share of the same work, timed
in-process: integrating the split, fitting and the short-term forecast (``core.forecasting.experiment``).
Target: ≤ 1.5 s for a classical family.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORECAST_SIGNATURE = """() => {
  let sum = 0, n = 0;
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    if (!(m.left[0] && m.left[0].axis_label === "x0")) continue;
    for (const r of m.renderers) {
      const d = r.data_source && r.data_source.data;
      if (!d || !d.y) continue;
      for (const v of d.y) { if (Number.isFinite(v)) { sum += v * (1 + (n % 5)); n++; } }
    }
  }
  return [n, sum];
}"""
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def server_share(family: str, lengths) -> float:
    """Median seconds of the same work without the page: split, fit, short-term scores."""
    import numpy as np

    from core import systems
    from core.forecasting import experiment
    from core.forecasting.families import registry

    times = []
    for n_train in lengths:
        start = time.perf_counter()
        split = experiment.make_split(experiment.ForecastTask(systems.get("Lorenz"), n_train=n_train))
        model = registry.create(family, split.timescales).fit(split.train, split.dt)
        experiment.score_forecast(model, split)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="nvar")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Debian's chromium (make chromium)")
    import numpy as np
    from playwright.sync_api import sync_playwright

    from benchmarks.served import lab_server
    from tests.browser.conftest import CHROMIUM_FLAGS
    from tests.browser.helpers import IDLE, open_app, text, wait_for

    store = tempfile.mkdtemp(prefix="chaoslab-latency-")
    results = {}
    with lab_server({"CHAOSLAB_STORE": store}) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        open_app(page, served.url)
        page.locator(".bk-tab", has_text="Forecast").click()
        if args.family != "nvar":
            page.locator("select:not([multiple])").filter(has=page.locator("option[value='analog']")).select_option(args.family)
            wait_for(lambda: text(page, ".forecast-family").startswith(args.family))
        length_box = page.get_by_label("Training points", exact=True)
        autotune = page.locator(".forecast-autotune input")
        train = page.get_by_role("button", name="Train", exact=True)

        def set_length(n: int) -> None:
            # the server applies a value change on one of its threads: give it time to land
            # before the click, or the click may train on the previous length
            length_box.fill(str(n))
            length_box.press("Enter")
            page.wait_for_function(IDLE)
            time.sleep(0.3)

        def click_and_time() -> float:
            before = page.evaluate(FORECAST_SIGNATURE)
            start = time.perf_counter()
            train.click()
            wait_for(lambda: page.evaluate(FORECAST_SIGNATURE) != before, timeout=120, interval=0.01,
                     why=lambda: f"{text(page, '.forecast-summary')!r} {text(page, '.forecast-error')!r} "
                                 f"{page.evaluate(FORECAST_SIGNATURE)}")
            page.evaluate(TWO_FRAMES)
            elapsed = time.perf_counter() - start
            wait_for(lambda: train.is_enabled(), timeout=120)  # the free run and its metrics end
            return elapsed

        if autotune.is_checked():
            autotune.uncheck()
        cold = []
        for k in range(args.repeat + 1):
            set_length(10_000 + 7 * (k + 1))
            cold.append(click_and_time())
        results["tuning off, a new model each click"] = cold[1:]  # the first pays the JIT of a new dt
        autotune.check()
        stored = []
        for k in range(args.repeat + 1):  # each length once to tune and store, once to time
            set_length(10_000 + 7 * (k + 1))
            click_and_time()
            set_length(10_000 + 7 * k)  # another test window in between, so the plot changes
            click_and_time()
            set_length(10_000 + 7 * (k + 1))
            stored.append(click_and_time())
        results["tuned configuration and model stored"] = stored[1:]
        # 3. the Lyapunov and Teach tabs opened in between, as a lesson does: their plots stay
        # with the session, and the page must not pay for them while the Forecast tab is shown
        page.locator(".bk-tab", has_text="Lyapunov").click()
        wait_for(lambda: "λ1 =" in text(page, ".lyapunov-summary"), timeout=120)
        page.locator(".bk-tab", has_text="Teach").click()
        wait_for(lambda: "t = 0.00" in text(page, ".butterfly-note"), timeout=120)
        wait_for(lambda: "crossings of one orbit" in text(page, ".section-note"), timeout=120)
        page.wait_for_function(IDLE)
        page.locator(".bk-tab", has_text="Forecast").click()
        page.wait_for_function(IDLE)
        autotune.uncheck()
        visited = []
        for k in range(args.repeat + 1):
            set_length(10_000 + 7 * (k + 1) + 3)
            visited.append(click_and_time())
        results["tuning off, after the Lyapunov and Teach tabs"] = visited[1:]
        browser.close()
    reference = server_share(args.family, [10_000 + 7 * (k + 1) for k in range(args.repeat + 1)][1:])
    print(f"{'case (' + args.family + ' on Lorenz, Train → forecast painted in Chromium)':62s} {'median':>7s} "
          f"{'max':>6s} {'server share':>13s} {'ratio':>6s}")
    for case, times in results.items():
        median = float(np.median(times))
        print(f"{case:62s} {median:7.2f} {max(times):6.2f} {reference:13.2f} {median / reference:5.1f}x   target ≤ 1.5 s")
    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
