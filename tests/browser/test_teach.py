"""The Teach tab in a real browser: an orbit diagram that recomputes on zoom and sets the
parameter where it is clicked."""

from tests.browser.helpers import FRAME, IDLE, WATCH_FRAMES, images, open_app, server_errors, text, wait_for


def orbit(page):
    return tuple(images(page).get("r", (0, 0)))


def test_zoom_into_the_orbit_diagram_and_click_to_set_the_parameter(server, page):
    url, log = server
    open_app(page, url + "?tab=teach&system=Logistic&orbit_low=2.8&orbit_high=4")
    wait_for(lambda: orbit(page)[0] > 10_000, timeout=60, why=lambda: (orbit(page), text(page, ".teach-error")))
    first = orbit(page)
    plot = page.evaluate(FRAME, "iterates after a transient")  # the diagram, not λ1 against r below it
    # zoom in around r = 3.6 with the mouse wheel: the window is recomputed, not re-binned
    page.mouse.move(plot["x"] + plot["width"] * 0.66, plot["y"] + plot["height"] * 0.5)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(100)
    wait_for(lambda: orbit(page) not in (first, (0, 0)), timeout=30, why=lambda: orbit(page))
    assert "values of r computed" in text(page, ".teach-note")
    # a click sets r there, for every tab (the URL carries it)
    page.mouse.click(plot["x"] + plot["width"] * 0.5, plot["y"] + plot["height"] * 0.5)
    wait_for(lambda: "param_overrides" in page.evaluate("window.location.search"),
             why=lambda: page.evaluate("window.location.search"))
    page.screenshot(path=str(log.parent / "teach_orbit.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


def test_the_cobweb_steps_runs_and_pauses(server, page):
    url, log = server
    open_app(page, url + "?tab=teach&system=Logistic&cobweb_start=0.2")
    wait_for(lambda: "0 steps of f(x) from x₀ = 0.2" in text(page, ".cobweb-note"), timeout=60,
             why=lambda: text(page, ".cobweb-note"))
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for(lambda: "2 steps of f(x)" in text(page, ".cobweb-note"), why=lambda: text(page, ".cobweb-note"))
    page.get_by_role("button", name="Run", exact=True).click()
    wait_for(lambda: int(text(page, ".cobweb-note").split()[0]) >= 6, why=lambda: text(page, ".cobweb-note"))
    page.get_by_role("button", name="Pause", exact=True).click()
    # the label changes on the server after the ticker stopped: every step sent came before it
    page.get_by_role("button", name="Run", exact=True).wait_for()
    page.wait_for_function(IDLE)
    paused = text(page, ".cobweb-note")
    page.wait_for_timeout(800)
    assert text(page, ".cobweb-note") == paused  # paused: no more steps
    page.screenshot(path=str(log.parent / "teach_cobweb.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


LAUNCHED = """() => {
  for (const m of Bokeh.documents[0].all_models)
    if (m.type === "ColumnDataSource" && m.data.colour !== undefined) return m.data.colour.length;
  return -1;
}"""


def test_click_on_a_poincare_section_and_see_a_new_orbit(server, page):
    url, log = server
    open_app(page, url + "?tab=teach&system=Lorenz")
    wait_for(lambda: images(page).get("x", (0, 0))[0] > 100, timeout=60,
             why=lambda: (images(page), text(page, ".teach-error")))
    assert "crossings of one orbit" in text(page, ".section-note")
    plot = page.evaluate(FRAME, "click to launch an orbit")
    page.mouse.click(plot["x"] + plot["width"] * 0.3, plot["y"] + plot["height"] * 0.4)
    wait_for(lambda: page.evaluate(LAUNCHED) == 300, why=lambda: (page.evaluate(LAUNCHED), text(page, ".teach-error")))
    assert "launched from" in text(page, ".section-note")
    page.screenshot(path=str(log.parent / "teach_section.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


def test_the_butterfly_effect_plays_pauses_and_steps(server, page):
    url, log = server
    open_app(page, url + "?tab=teach&system=Lorenz&butterfly_distance=1e-06&butterfly_speed=5")
    note = lambda: text(page, ".butterfly-note")  # noqa: E731
    wait_for(lambda: "t = 0.00" in note(), timeout=60, why=note)
    assert page.evaluate(FRAME, " apart")  # scrolled into view: the animation is painted
    assert page.evaluate(WATCH_FRAMES)
    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(lambda: float(note().split("t = ")[1].split()[0].rstrip(":")) > 3.0, timeout=30, why=note)
    page.get_by_role("button", name="Pause", exact=True).click()
    # the label changes on the server after the ticker stopped: every frame sent came before it
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.wait_for_function(IDLE)
    frames = page.evaluate("window.butterflyFrames")
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    print(f"butterfly: {len(frames)} frames painted, median gap {sorted(gaps)[len(gaps) // 2]:.0f} ms")
    assert len(frames) > 20  # it moved, frame after frame (not one jump at the end)
    paused, painted = note(), len(frames)
    page.wait_for_timeout(700)
    assert note() == paused and len(page.evaluate("window.butterflyFrames")) == painted  # paused: not one frame more
    page.get_by_role("button", name="Step frame", exact=True).click()
    wait_for(lambda: note() != paused, why=note)
    assert "Lyapunov times" in note() and "separation" in note()
    sep = page.evaluate("""() => { for (const m of Bokeh.documents[0].all_models)
        if (m.type === "ColumnDataSource" && m.data.d !== undefined && m.data.d.length > 2) return Array.from(m.data.d);
        return []; }""")
    assert len(sep) > 100 and sep[-1] > 10 * sep[0]  # the separation grew (e^3 in 3 Lyapunov times), on the page
    page.screenshot(path=str(log.parent / "teach_butterfly.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []
