"""The Leaderboard tab in a real browser: the shipped table, sorted by a click on a header, and a
click on a cell that opens the Forecast tab on that system with that family."""

from urllib.parse import parse_qs, urlparse

from tests.browser.helpers import IDLE, open_app, server_errors, text, wait_for

FIRST_ROW = """(field) => {
  for (const el of document.querySelectorAll('*')) {
    const root = el.shadowRoot; if (!root) continue;
    const cell = root.querySelector('.tabulator-row .tabulator-cell[tabulator-field="' + field + '"]');
    if (cell) return cell.textContent.trim();
  }
  return null;
}"""


def test_sort_the_table_and_click_through_to_the_forecast(server, page):
    url, log = server
    open_app(page, url + "?tab=leaderboard")
    wait_for(lambda: "systems ×" in text(page, ".leaderboard-note"), timeout=60, why=lambda: text(page, ".leaderboard-note"))
    assert "Best median" in text(page, ".leaderboard-note")
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
