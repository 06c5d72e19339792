"""The Leaderboard tab in a real browser: the shipped table, sorted by a click on a header, and a
click on a cell that opens the Forecast tab on that system with that family; the sub-tabs built
when first chosen; a sweep run from the page joining the table."""

from urllib.parse import parse_qs, urlparse

from tests.browser.helpers import IDLE, PAINTED, open_app, server_errors, set_text, text, wait_for


def test_sort_the_table_and_click_through_to_the_forecast(server, page):
    url, log = server
    open_app(page, url + "?tab=leaderboard")
    wait_for(lambda: "systems ×" in text(page, ".leaderboard-note"), timeout=60, why=lambda: text(page, ".leaderboard-note"))
    assert "Best median" in text(page, ".leaderboard-note")
    page.wait_for_function(PAINTED, arg=["valid prediction time across systems"], timeout=30_000)
    sections = page.locator(".leaderboard-sections .bk-tab")
    sections.filter(has_text="VPT against λ1").first.click()  # built now, with the table's data
    page.wait_for_function(PAINTED, arg=["VPT against λ1", "VPT against correlation dimension"], timeout=30_000)
    sections.filter(has_text="Noise and data length").first.click()
    page.wait_for_function(PAINTED, arg=["median VPT by noise level (the same systems",
                                         "median VPT by training length (the same systems"], timeout=30_000)
    page.screenshot(path=str(log.parent / "leaderboard_degradation.png"))
    sections.filter(has_text="Across systems").first.click()
    page.wait_for_function(IDLE)
    page.wait_for_timeout(3000)  # the table's columns arrive after the note; clicks bind to them
    table = page.locator(".leaderboard-table")
    header = table.locator('.tabulator-col[tabulator-field="nvar"] .tabulator-col-title')
    header.click()  # ascending, then descending: the best NVAR forecast first
    header.click()
    column = table.locator('.tabulator-cell[tabulator-field="nvar"]')
    wait_for(lambda: column.count() > 5)
    values = [float(v) for v in column.all_inner_texts()[:5] if v.strip()]
    assert values == sorted(values, reverse=True), values
    query = lambda: parse_qs(urlparse(page.url).query)  # noqa: E731
    system = table.locator('.tabulator-row').first.locator('.tabulator-cell[tabulator-field="system"]').inner_text()
    page.screenshot(path=str(log.parent / "leaderboard.png"))  # not full_page: resizing re-renders the table
    page.wait_for_function(IDLE)  # the sort has reached the server and come back
    page.wait_for_timeout(500)
    table.locator('.tabulator-row').first.locator('.tabulator-cell[tabulator-field="nvar"]').click()
    active_tab = lambda: page.locator(".bk-tab.bk-active").first.inner_text()  # noqa: E731
    wait_for(lambda: active_tab() == "Forecast", why=active_tab)
    wait_for(lambda: page.get_by_label("System", exact=True).first.input_value() == system,
             why=lambda: page.get_by_label("System", exact=True).first.input_value())
    wait_for(lambda: text(page, ".forecast-family").startswith("nvar"), why=lambda: text(page, ".forecast-family"))
    assert not page.locator(".forecast-autotune input").is_checked()  # the tuned configuration, as it is
    wait_for(lambda: query().get("system") == [system] and query().get("tab") == ["forecast"]
             and query().get("auto_tune", [""])[0].lower() == "false" and "hparams" in query(),
             why=lambda: page.url)  # a link reopens that forecast
    page.screenshot(path=str(log.parent / "leaderboard_forecast.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


def test_a_sweep_run_from_the_page_joins_the_table(server, page):
    url, log = server
    open_app(page, url + "?tab=leaderboard")
    wait_for(lambda: "Best median" in text(page, ".leaderboard-note"), timeout=60,
             why=lambda: text(page, ".leaderboard-note"))
    page.locator(".leaderboard-sections .bk-tab", has_text="Sweep this").first.click()
    page.get_by_label("training points", exact=True).wait_for(timeout=30_000)
    set_text(page, "training points", 500)  # a setting the shipped table lacks: Lorenz × nvar (the defaults)
    set_text(page, "tuning (s)", 0)
    page.wait_for_function(IDLE)
    page.locator("button", has_text="Sweep").last.click()
    wait_for(lambda: "1 cells computed" in text(page, ".sweep-note"), timeout=120,
             why=lambda: text(page, ".sweep-note"))
    assert "500 points" in text(page, ".sweep-note")
    wait_for(lambda: "1 systems × 1 families" in text(page, ".leaderboard-note"),
             why=lambda: text(page, ".leaderboard-note"))  # the page shows the new setting
    page.locator(".leaderboard-sections .bk-tab", has_text="Across systems").first.click()
    rows = page.locator(".leaderboard-table .tabulator-row")
    wait_for(lambda: rows.count() == 1 and rows.first.locator('.tabulator-cell[tabulator-field="system"]').inner_text()
             == "Lorenz", why=lambda: rows.all_inner_texts())
    page.screenshot(path=str(log.parent / "leaderboard_swept.png"))
    assert page.errors == [] and server_errors(log) == []


def test_the_published_benchmark_shows_the_papers_models_beside_the_labs(server, page):
    """The dysts univariate benchmark: the lab's rerun beside the published models, at both
    granularities; then the multivariate benchmark's models beside the lab's own series. The server reads the published folder from tests/fixtures (invented numbers in
    the real format: three systems, three models), so the page shows exactly what the folder holds."""
    url, log = server
    open_app(page, url + "?tab=leaderboard")
    wait_for(lambda: "Best median" in text(page, ".leaderboard-note"), timeout=60,
             why=lambda: text(page, ".leaderboard-note"))
    assert "Test windows of 30 Lyapunov times" in text(page, ".leaderboard-note")
    page.locator(".leaderboard-sections .bk-tab", has_text="Published benchmark").first.click()
    wait_for(lambda: "3 systems at 100 points per period" in text(page, ".published-note"), timeout=30,
             why=lambda: text(page, ".published-note"))
    assert "than each system's best published model on" in text(page, ".published-note")
    page.wait_for_function(PAINTED, arg=["sMAPE across systems"], timeout=30_000)
    table = page.locator(".published-table")
    headers = lambda: table.locator(".tabulator-col-title").all_inner_texts()  # noqa: E731
    wait_for(lambda: {"auto", "nvar", "NBEATS", "ARIMA", "LSTM", "best published", "winner"} <= set(headers()),
             why=headers)
    wait_for(lambda: table.locator(".tabulator-row").count() == 3)
    page.screenshot(path=str(log.parent / "leaderboard_published.png"), full_page=True)
    lorenz = lambda: table.locator(".tabulator-row", has_text="Lorenz").locator(  # noqa: E731
        '.tabulator-cell[tabulator-field="NBEATS"]').inner_text()
    assert float(lorenz()) == 40
    page.locator(".published-granularity button", has_text="15 points per period").click()
    wait_for(lambda: "3 systems at 15 points per period" in text(page, ".published-note"),
             why=lambda: text(page, ".published-note"))
    wait_for(lambda: float(lorenz()) == 32, why=lorenz)  # the fixture's coarse set
    page.locator(".published-granularity button", has_text="multivariate").click()
    wait_for(lambda: "3 systems of the multivariate benchmark" in text(page, ".published-note"),
             why=lambda: text(page, ".published-note"))
    wait_for(lambda: float(lorenz()) == 30, why=lorenz)  # the fixture's multivariate NBEATS
    wait_for(lambda: "ESN (paper)" in headers(), why=headers)
    page.screenshot(path=str(log.parent / "leaderboard_multivariate.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []


def test_the_long_horizon_sub_tab_draws_the_shipped_curves(server, page):
    """Gilpin 2023's long-horizon setting: the shipped rows' median error against the horizon per
    family, and the per-family table."""
    url, log = server
    open_app(page, url + "?tab=leaderboard")
    wait_for(lambda: "Best median" in text(page, ".leaderboard-note"), timeout=60,
             why=lambda: text(page, ".leaderboard-note"))
    assert "Lyapunov times; " in text(page, ".leaderboard-note")  # the test windows' length, said
    page.locator(".leaderboard-sections .bk-tab", has_text="Long horizons").first.click()
    wait_for(lambda: "chaotic flows ×" in text(page, ".long-horizon-note"), timeout=30,
             why=lambda: text(page, ".long-horizon-note"))
    page.wait_for_function(PAINTED, arg=["median forecast error against the horizon"], timeout=30_000)
    cells = lambda: page.locator(".long-horizon-summary").locator("td, th").all_inner_texts()  # noqa: E731
    wait_for(lambda: {"auto", "nvar", "esn", "median VPT (Λt)"} <= set(cells()), why=cells)
    page.screenshot(path=str(log.parent / "leaderboard_long_horizons.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []
