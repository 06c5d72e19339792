"""The Lyapunov tab in a real browser: the spectrum appears, and follows the selected system."""

import re

from tests.browser.helpers import choose_system, images, open_app, server_errors, text, wait_for


def displayed_lambda1(page) -> float | None:
    match = re.search(r"λ1 = (-?[0-9.]+)", text(page, ".lyapunov-summary"))
    return float(match.group(1)) if match else None


def test_lyapunov_tab_shows_the_spectrum_and_follows_the_system(server, page):
    url, log = server
    open_app(page, url)
    page.locator(".bk-tab", has_text="Lyapunov").click()
    wait_for(lambda: displayed_lambda1(page) is not None, timeout=60)
    assert 0.90 <= displayed_lambda1(page) <= 0.91
    summary = text(page, ".lyapunov-summary")
    assert "Lorenz" in summary and "chaotic" in summary and "Kaplan–Yorke dimension 2.0" in summary
    # one patch carries both panes, but the page may lay the second out a moment later
    wait_for(lambda: "From 10,000 points of x0" in text(page, ".lyapunov-data"), why=lambda: text(page, ".lyapunov-data"))
    # the FTLE-coloured attractor: shaded on a worker, drawn as RGBA pixels
    wait_for(lambda: images(page).get("rotated x", [0])[0] > 500, why=lambda: images(page).get("rotated x"))
    # the unstable covariant vectors as segments, and what their angles say
    wait_for(lambda: images(page).get("rotated x · CLV", [0])[0] > 500, why=lambda: images(page).get("rotated x · CLV"))
    note = text(page, ".lyapunov-clv")
    assert "covariant vectors on 1000 points" in note and "pseudohyperbolic" in note
    # the card: the lab's spectrum first, and dysts's two numbers for one exponent called out
    card = text(page, ".system-card")
    assert card.index("Lyapunov spectrum (the lab)") < card.index("largest Lyapunov exponent (dysts)")
    assert "dysts's own two numbers disagree: its largest exponent is 0.8917, its spectrum's is 1.09" in card
    # the catalog's disagreements, sorted by a click on a header
    grid = page.locator(".lyapunov-catalog")
    wait_for(lambda: grid.locator(".tabulator-row").count() > 10, why=lambda: text(page, ".lyapunov-catalog-note"))
    header = grid.locator(".tabulator-col-title", has_text="gap %")
    header.click()
    header.click()  # descending: the largest gaps first, systems without one (not chaotic here) last

    def gaps():
        cells = grid.locator(".tabulator-cell[tabulator-field='gap %']").all_inner_texts()
        return [float(c.replace(",", "")) for c in cells if c.strip() not in ("", "-")]  # "-": no gap (not chaotic)
    wait_for(lambda: len(gaps()) > 5 and gaps() == sorted(gaps(), reverse=True), why=lambda: gaps())
    page.screenshot(path=str(log.parent / "lyapunov_lorenz.png"), full_page=True)
    choose_system(page, "Henon")
    wait_for(lambda: "Henon" in text(page, ".lyapunov-summary"), timeout=60)
    assert 0.41 <= displayed_lambda1(page) <= 0.43  # Sprott (2003): 0.4192
    wait_for(lambda: "1000 iterates" in text(page, ".lyapunov-clv"), why=lambda: text(page, ".lyapunov-clv"))
    assert "not uniformly hyperbolic" in text(page, ".lyapunov-clv")  # Hénon's homoclinic tangencies
    wait_for(lambda: images(page).get("x0 · CLV", [0])[0] > 100, why=lambda: images(page).get("x0 · CLV"))
    assert page.errors == []
    assert server_errors(log) == []


def test_periodic_parameters_are_called_not_chaotic(server, page):
    url, _ = server
    open_app(page, url + '?param_overrides={"rho": 160.0}')
    page.locator(".bk-tab", has_text="Lyapunov").click()
    wait_for(lambda: displayed_lambda1(page) is not None, timeout=60)
    assert "not chaotic at these parameters" in text(page, ".lyapunov-summary")


def test_a_link_to_the_tab_opens_it_with_its_diagnostics(server, page):
    url, log = server
    open_app(page, url + "?tab=lyapunov&system=Rossler&averaging_time=500")
    assert page.locator(".bk-tab.bk-active", has_text="Lyapunov").count() == 1
    wait_for(lambda: displayed_lambda1(page) is not None, timeout=60)
    summary = text(page, ".lyapunov-summary")
    assert "Rossler" in summary and "500 time units averaged" in summary
    wait_for(lambda: images(page).get("rotated x", [0])[0] > 100, why=lambda: images(page).get("rotated x"))
    assert page.errors == [] and server_errors(log) == []


def test_a_delay_systems_spectrum_and_why_some_views_are_empty(server, page):
    url, log = server
    open_app(page, url + '?tab=lyapunov&system=MackeyGlass&param_overrides={"tau": 17.0}&averaging_time=20000')
    wait_for(lambda: displayed_lambda1(page) is not None, timeout=60,
             why=lambda: text(page, ".lyapunov-summary") + text(page, ".lyapunov-error"))
    summary = text(page, ".lyapunov-summary")
    assert 0.004 <= displayed_lambda1(page) <= 0.007 and "method of steps on N = 100 points per delay" in summary
    wait_for(lambda: images(page).get("rotated x", [0])[0] > 100, why=lambda: images(page).get("rotated x"))
    assert "not supported for delay systems" in text(page, ".lyapunov-clv")
    page.screenshot(path=str(log.parent / "lyapunov_mackey_glass.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []
