"""A network of maps in a real browser: the Networks tab draws it in space and time and on its
topology, refuses a size in the page, recomputes its coupling diagram on zoom; and every other
tab that takes a system takes the network too (the Fields tab's fields: tests/browser/test_fields.py)."""

import re

from tests.browser.helpers import FRAME, IDLE, images, open_app, server_errors, set_text, text, wait_for

SMALLEST = '&param_overrides={"N": 4.0, "R": 1.0, "coupling": 0.0, "hub": 0.0}'


def note(page) -> str:
    return text(page, ".networks-note")


def diagram_note(page) -> str:
    return text(page, ".networks-diagram-note")


def tab(page, label):
    page.locator(".bk-tab", has_text=label).first.click()


def test_a_ring_star_in_space_and_time_a_refused_size_and_the_diagram_recomputed_on_zoom(server, page):
    url, log = server
    open_app(page, url + '?tab=networks&system=ChialvoRingStar&param_overrides={"N": 30.0}')
    wait_for(lambda: images(page).get("iterate", (0, 0))[0] > 1000, timeout=60,
             why=lambda: (images(page).get("iterate"), note(page), text(page, ".networks-error")))
    assert "30 Chialvo maps on a ring-star" in note(page)
    assert "cross-correlation" in text(page, ".networks-measures")
    first = images(page)["iterate"]
    set_text(page, "nodes N", 3)
    wait_for(lambda: "must be an integer >= 4" in text(page, ".networks-error"),
             why=lambda: text(page, ".networks-error"))
    page.wait_for_function(IDLE)
    assert images(page)["iterate"] == first  # the last picture kept
    set_text(page, "nodes N", 12)
    wait_for(lambda: "12 Chialvo maps" in note(page) and text(page, ".networks-error") == "",
             why=lambda: (note(page), text(page, ".networks-error")))
    # the diagram: cross-correlation against the coupling, then a zoom recomputes the window
    set_text(page, "to", 0.2)
    page.get_by_role("button", name="Draw the diagram", exact=True).click()
    wait_for(lambda: "60 values of coupling from 0 to 0.2" in diagram_note(page), timeout=60,
             why=lambda: diagram_note(page))
    plot = page.evaluate(FRAME, "cross-correlation against coupling")
    page.mouse.move(plot["x"] + plot["width"] * 0.25, plot["y"] + plot["height"] * 0.5)
    for _ in range(3):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(100)
    window = lambda: re.search(r"values of coupling from (\S+) to (\S+) in", diagram_note(page))  # noqa: E731
    wait_for(lambda: window() and "from 0 to 0.2 " not in diagram_note(page), timeout=60,
             why=lambda: diagram_note(page))
    low, high = float(window().group(1)), float(window().group(2))
    assert 0 <= low < high < 0.2
    page.screenshot(path=str(log.parent / "networks_ring_star.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


def test_the_smallest_ring_star_in_every_tab_that_takes_a_system(server, page):
    url, log = server
    open_app(page, url + "?system=ChialvoRingStar&auto_tune=false" + SMALLEST)
    assert "x0" in images(page) or "screen x" in images(page)  # the explorer drew its attractor
    tab(page, "Lyapunov")
    summary = lambda: text(page, ".lyapunov-summary")  # noqa: E731
    wait_for(lambda: "ChialvoRingStar" in summary() and "λ1 = " in summary(), timeout=90, why=summary)
    tab(page, "Teach")
    wait_for(lambda: images(page).get("coupling", (0, 0))[0] > 1000, timeout=60,
             why=lambda: (images(page).get("coupling"), text(page, ".teach-error")))
    tab(page, "Forecast")
    page.get_by_role("button", name="Train", exact=True).click()
    forecast = lambda: text(page, ".forecast-summary")  # noqa: E731
    wait_for(lambda: "on ChialvoRingStar" in forecast() and "VPT" in forecast(), timeout=120,
             why=lambda: (forecast(), text(page, ".forecast-error")))
    tab(page, "Networks")
    wait_for(lambda: "4 Chialvo maps on a ring-star" in note(page), timeout=60, why=lambda: note(page))
    page.screenshot(path=str(log.parent / "networks_every_tab.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []
