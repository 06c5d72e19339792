"""The explorer as a person uses it: in headless Chromium against a real ``panel serve``."""

import re
import time
from urllib.parse import parse_qs, urlparse

from tests.browser.helpers import (
    IDLE,
    X_RANGE,
    attractor,
    choose_system,
    images,
    open_app,
    server_errors,
    set_text,
    text,
    wait_for,
    wait_for_change,
)


def test_page_loads_with_an_attractor_and_no_console_errors(server, page):
    url, _ = server
    start = time.perf_counter()
    open_app(page, url)
    load = time.perf_counter() - start
    assert page.errors == []
    assert "Chaos Lab" in page.title() or page.get_by_text("Chaos Lab").count() > 0
    status = text(page, ".chaoslab-status")
    assert re.search(r"Lorenz · 100,000 points · integrated in [\d.]+ s · rendered in [\d.]+ s", status)
    assert {"screen x", "t"} <= set(images(page))
    scripts = page.evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert any("bokeh.min.js" in src for src in scripts)
    assert not [src for src in scripts if "mathjax" in src.lower()], "the page ships MathJax, which it never uses"
    start, end = page.evaluate(X_RANGE, "t")  # the time series open on their last ten periods: readable
    assert 10 * 1.45 < end - start < 10 * 1.55  # Lorenz's dominant period: 1.501
    print(f"first load with the attractor drawn: {load:.2f} s")


def test_picking_a_system_and_changing_a_parameter_redraw_the_attractor(server, page):
    url, _ = server
    open_app(page, url)
    lorenz = attractor(page)
    set_text(page, "rho", 35)
    rho35 = wait_for_change(page, lorenz)
    choose_system(page, "Rossler")
    rossler = wait_for_change(page, rho35)
    assert rossler != lorenz
    wait_for(lambda: "Rossler" in text(page, ".chaoslab-status"))
    assert "Rossler" in text(page, ".system-card")
    assert page.get_by_label("c", exact=True).input_value() == "5.7"
    assert page.errors == []


def test_a_diverging_parameter_shows_a_message_and_keeps_the_plot(server, page):
    url, log = server
    open_app(page, url)
    before = attractor(page)
    set_text(page, "beta", -1)
    alert = page.locator(".chaoslab-error")
    wait_for(lambda: alert.is_visible() and "Lorenz" in text(page, ".chaoslab-error"))
    message = text(page, ".chaoslab-error")
    assert "t=" in message and "beta towards its published 2.667" in message and "last good plot is kept" in message
    assert attractor(page) == before
    # text in a number box: a message naming the box, nothing sent to the integrator
    set_text(page, "sigma", "abc")
    wait_for(lambda: "sigma: 'abc' is not a number" in text(page, ".chaoslab-error"))
    assert attractor(page) == before
    # a good value clears the message and redraws
    set_text(page, "beta", 2.667)
    set_text(page, "sigma", 10)
    wait_for(lambda: not alert.is_visible())
    assert server_errors(log) == []
    assert page.errors == []


def test_the_url_round_trips_the_state(server, page, browser):
    url, _ = server
    open_app(page, url)
    choose_system(page, "Rossler")
    href = lambda: page.evaluate("location.href")
    wait_for(lambda: "system=Rossler" in href())
    set_text(page, "c", 6.5)
    wait_for(lambda: "param_overrides=" in href() and "6.5" in href())
    page.wait_for_function(IDLE)
    shared = href()
    query = parse_qs(urlparse(shared).query)
    assert query["system"] == ["Rossler"]
    other = browser.new_page(viewport={"width": 1500, "height": 1100})
    try:
        open_app(other, shared)
        assert other.get_by_label("c", exact=True).input_value() == "6.5"
        assert "Rossler" in text(other, ".chaoslab-status")
        assert other.locator("select").filter(has=other.locator("option[value='Rossler']")).input_value() == "Rossler"
    finally:
        other.close()


def test_a_map_and_an_ensemble_render(server, page):
    url, _ = server
    open_app(page, url + "?system=Henon")
    assert "Henon" in text(page, ".chaoslab-status")
    page.locator(".card-header", has_text="Ensemble").click()  # open the sidebar card
    page.locator(".bk-tab", has_text="Ensemble").click()
    page.locator(".bk-btn", has_text="ensemble").click()
    cloud = lambda: [v for k, v in images(page).items() if k.endswith("(members)")]
    wait_for(lambda: cloud() and cloud()[0][0] > 0)
    assert "Henon" in text(page, ".chaoslab-status")
    assert page.errors == []


def test_rotating_the_view_redraws_and_the_server_log_stays_clean(server, page):
    url, log = server
    open_app(page, url)
    before = attractor(page)
    page.get_by_label("x coordinate").select_option("z")  # by name
    wait_for_change(page, before)
    assert page.errors == []
    assert server_errors(log) == []


def test_a_long_integration_shows_progress_and_never_blocks_another_session(server, two_pages):
    url, log = server
    a, b = two_pages
    open_app(a, url)
    open_app(b, url)
    before_a, before_b = attractor(a), attractor(b)
    points = a.get_by_label("Points", exact=True)
    points.fill("10000000")
    points.press("Enter")
    progress = a.locator(".explorer-progress").first
    wait_for(lambda: progress.is_visible(), timeout=10)
    # meanwhile, another visitor changes a parameter and gets the new picture
    set_text(b, "rho", 45)
    wait_for_change(b, before_b, timeout=15)
    assert progress.is_visible(), "the other session finished before the long one: nothing was tested"
    wait_for(lambda: "10,000,000 points" in text(a, ".chaoslab-status"), timeout=120)
    wait_for_change(a, before_a, timeout=30)
    a.screenshot(path=str(log.parent / "ten_million_points.png"))
    assert server_errors(log) == []


def test_out_of_range_numbers_get_a_message_and_change_nothing(server, page):
    url, log = server
    open_app(page, url)
    before = attractor(page)
    points = page.get_by_label("Points", exact=True)
    points.fill("20000000")
    points.press("Enter")
    wait_for(lambda: "Points must be between 100 and 10,000,000, got 20,000,000" in text(page, ".chaoslab-error"))
    noise = page.get_by_label("Noise", exact=True)
    noise.fill("5")
    noise.press("Enter")
    wait_for(lambda: "Noise must be between 0.0 and 1.0, got 5" in text(page, ".chaoslab-error"))
    assert attractor(page) == before
    assert server_errors(log) == [] and page.errors == []


def test_a_system_typed_by_hand_is_drawn_and_analysed_and_hostile_text_refused(server, page):
    url, log = server
    open_app(page, url)
    before = attractor(page)
    page.get_by_text("Your own equations").click()  # open the card
    box = page.locator(".equations-input textarea")
    box.fill("dx = sigma*(y - x); dy = x*(rho - z) - y; dz = x*y - beta*z\nsigma = 10; rho = 35; beta = 8/3")
    box.press("Tab")
    page.get_by_role("button", name="Use these equations").click()
    after = wait_for_change(page, before)
    assert after[0] > 1000
    assert "Typed by hand" in text(page, ".system-card")
    wait_for(lambda: "system=" in page.evaluate("window.location.search")
             and "equations=" in page.evaluate("window.location.search"))
    # the other tabs take it like any system: its spectrum (rho = 35: chaotic, lambda_1 about 1)
    page.locator(".bk-tab", has_text="Lyapunov").click()
    wait_for(lambda: "Typed_" in text(page, ".lyapunov-summary"), timeout=60,
             why=lambda: text(page, ".lyapunov-summary") + text(page, ".lyapunov-error"))
    assert "chaotic" in text(page, ".lyapunov-summary")
    page.locator(".bk-tab", has_text="Explorer").click()
    box.fill("dx = __import__('os').system('rm -rf /')")
    box.press("Tab")
    page.get_by_role("button", name="Use these equations").click()
    wait_for(lambda: "__import__" in text(page, ".chaoslab-error"), why=lambda: text(page, ".chaoslab-error"))
    assert "Typed by hand" in text(page, ".system-card") and attractor(page) == after  # the previous system stays
    page.screenshot(path=str(log.parent / "typed_system.png"), full_page=True)
    assert page.errors == []
    assert server_errors(log) == []


# the overview's plotting frame in page coordinates, its x range, and the series' window on it
OVERVIEW = """() => {
  function* walk(v) { yield v; for (const c of (v.child_views ?? [])) yield* walk(c); }
  for (const root of Object.values(Bokeh.index)) for (const v of walk(root)) {
    const m = v.model;
    if ((m.type === "Figure" || m.type === "Plot") && m.title && m.title.text && m.title.text.includes("the whole run")) {
      v.el.scrollIntoView({block: "center"});
      const r = v.el.getBoundingClientRect(), f = v.frame.bbox;
      const tool = m.toolbar.tools.find(t => t.type === "RangeTool");
      return {x: r.x + f.x, y: r.y + f.y, width: f.width, height: f.height, x0: m.x_range.start,
              x1: m.x_range.end, w0: tool.x_range.start, w1: tool.x_range.end};
    }
  }
  return null;
}"""


def test_drag_the_window_on_the_whole_run_and_the_series_recompute_there(server, page):
    url, log = server
    open_app(page, url)
    wait_for(lambda: page.evaluate(OVERVIEW) is not None and images(page).get("t", (0, 0))[0] > 100,
             why=lambda: images(page))
    box = page.evaluate(OVERVIEW)
    assert box["x0"] < box["w0"] - 1000 and abs(box["x1"] - box["w1"]) < 0.05 * (box["x1"] - box["x0"])
    before = images(page)["t"]
    px = lambda t: box["x"] + (t - box["x0"]) / (box["x1"] - box["x0"]) * box["width"]  # noqa: E731
    middle = px((box["w0"] + box["w1"]) / 2)
    page.mouse.move(middle, box["y"] + box["height"] / 2)
    page.mouse.down()
    for k in range(1, 11):  # drag the window a third of the way back
        page.mouse.move(middle - 20 * k, box["y"] + box["height"] / 2)
        page.wait_for_timeout(30)
    page.mouse.up()
    start, end = page.evaluate(X_RANGE, "t")
    assert start < box["w0"] - 100 and abs((end - start) - (box["w1"] - box["w0"])) < 1.0  # moved, same width
    wait_for(lambda: images(page)["t"] != before, why=lambda: images(page))  # re-aggregated there
    page.screenshot(path=str(log.parent / "explorer_overview.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


# a script changing the ρ box every 10 ms, as a student's script (or a held key) would
FLOOD = """() => {
  let box = null;
  for (const m of Bokeh.documents[0].all_models) { if (m.title === "rho" && typeof m.value === "string") box = m; }
  let i = 0;
  window.floodSent = 0;
  window.flood = setInterval(() => { box.value = String(20 + (i++ % 400) * 0.05); window.floodSent = i; }, 10);
}"""


def test_a_session_flooding_changes_leaves_another_its_redraws_and_ends_on_its_last_value(server, two_pages):
    url, log = server
    a, b = two_pages
    errors = []
    for page in (a, b):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_app(page, url)
    a.evaluate(FLOOD)
    try:
        for rho in (45, 38):  # meanwhile another student keeps getting pictures
            before = attractor(b)
            set_text(b, "rho", rho)
            wait_for_change(b, before, timeout=15)
        # a flood of a few seconds at least, however fast b's pictures came: waited on, not timed
        wait_for(lambda: a.evaluate("() => window.floodSent") >= 300, timeout=30,
                 why=lambda: f"the script sent only {a.evaluate('() => window.floodSent')} changes")
    finally:
        a.evaluate("() => clearInterval(window.flood)")
    # the flood's session ends on its last value: asking what b shows, it shows b's very picture
    # (one shared computation for both)
    set_text(a, "rho", 38)
    wait_for(lambda: attractor(a) == attractor(b), timeout=20,
             why=lambda: f"flooded page {attractor(a)}, other page {attractor(b)}")
    assert errors == [] and server_errors(log) == []
