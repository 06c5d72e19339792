"""The forecast tab in a real browser: train NVAR on Lorenz, see its VPT and both attractors."""

import re

from tests.browser.helpers import open_app, text, wait_for

TITLED_IMAGES = """() => {
  const out = [];
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    const title = m.title && m.title.text;
    const drawn = m.renderers.some(r => r.data_source && r.data_source.data && r.data_source.data.image
                                        && r.data_source.data.image[0].some(Number.isFinite));
    if (title && drawn) out.push(title);
  }
  return out;
}"""


def titled_images(page):
    return page.evaluate(TITLED_IMAGES)


def vpt_shown(page):
    match = re.search(r"VPT = ([0-9.]+) Lyapunov times", text(page, ".forecast-summary"))
    return float(match.group(1)) if match else None


def test_train_nvar_on_lorenz_and_compare_attractors(server, page):
    url, log = server
    open_app(page, url)
    page.locator(".bk-tab", has_text="Forecast").click()
    page.locator(".bk-btn", has_text="Train").click()
    wait_for(lambda: vpt_shown(page) is not None, timeout=90)
    assert vpt_shown(page) > 5  # NVAR on Lorenz: about 8.5 (benchmarks/forecast.py)
    assert "nvar on Lorenz" in text(page, ".forecast-summary") and "trained in" in text(page, ".forecast-summary")
    # the truth and the model's free run, side by side
    wait_for(lambda: {"truth", "nvar: free run of 10000 steps"} <= set(titled_images(page)), timeout=30)
    page.screenshot(path=str(log.parent / "forecast_nvar.png"), full_page=True)
    # the same configuration again loads instead of retraining
    page.locator(".bk-btn", has_text="Load").click()
    wait_for(lambda: "loaded from the store" in text(page, ".forecast-summary"), timeout=60)
    assert page.errors == []
    assert "Traceback" not in log.read_text()


def test_compare_two_models_in_one_sortable_table(server, page):
    url, _ = server
    open_app(page, url)
    page.locator(".bk-tab", has_text="Forecast").click()
    for family in ("persistence", "nvar"):
        page.locator("select").filter(has=page.locator("option[value='analog']")).select_option(family)
        page.locator(".bk-btn", has_text="Train").click()
        wait_for(lambda: f"{family} on Lorenz" in text(page, ".forecast-summary"), timeout=90)
    rows = page.locator(".forecast-table .tabulator-row")
    wait_for(lambda: rows.count() == 2)
    assert "nvar" in rows.nth(0).inner_text()  # best VPT first
    page.locator(".forecast-table .tabulator-col", has_text="VPT").click()  # sort by clicking the header
    assert page.errors == []
