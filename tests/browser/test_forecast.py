"""The forecast tab in a real browser: train NVAR on Lorenz, see its VPT and both attractors."""

import re

from tests.browser.helpers import (attractor, choose_system, open_app, server_errors, set_text, text, titled_images,
                                   wait_for, wait_for_change)


def open_forecast(page, url):
    open_app(page, url)
    page.locator(".bk-tab", has_text="Forecast").click()


def assert_clean(page, log):
    """No console errors in the page, no tracebacks or ERROR lines in the server log."""
    assert page.errors == []
    assert server_errors(log) == []


def choose_family(page, family):
    """Pick a model family and wait until the server has rebuilt its hyper-parameter widgets."""
    page.locator("select:not([multiple])").filter(has=page.locator("option[value='analog']")).select_option(family)
    wait_for(lambda: text(page, ".forecast-family").startswith(family), why=lambda: text(page, ".forecast-family"))


def train(page, family, timeout=90):
    """Pick ``family``, press Train, and wait until the summary shows it on Lorenz."""
    choose_family(page, family)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: f"{family} on Lorenz" in text(page, ".forecast-summary"), timeout=timeout,
             why=lambda: f"summary {text(page, '.forecast-summary')!r}, message {text(page, '.forecast-error')!r}")


def vpt_shown(page):
    match = re.search(r"VPT = ([0-9.]+) Lyapunov times", text(page, ".forecast-summary"))
    return float(match.group(1)) if match else None


def test_train_nvar_on_lorenz_and_compare_attractors(server, page):
    url, log = server
    open_forecast(page, url)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: vpt_shown(page) is not None, timeout=90)
    assert vpt_shown(page) > 5  # NVAR on Lorenz: about 8.5 (benchmarks/forecast.py)
    # auto-tune is on for NVAR: the search ran first, on the training series
    assert "nvar on Lorenz" in text(page, ".forecast-summary") and "tuned:" in text(page, ".forecast-summary")
    # the truth and the model's free run, side by side
    wait_for(lambda: {"truth", "nvar: free run of 10000 steps"} <= set(titled_images(page)), timeout=30)
    page.screenshot(path=str(log.parent / "forecast_nvar.png"), full_page=True)
    # the same configuration again loads instead of retraining
    page.get_by_role("button", name="Load", exact=True).click()
    wait_for(lambda: "loaded from the store" in text(page, ".forecast-summary"), timeout=60)
    assert_clean(page, log)


def test_compare_models_in_one_sortable_table_with_autos_choice(server, page):
    url, log = server
    open_forecast(page, url)
    for family in ("persistence", "nvar"):
        train(page, family)
    rows = page.locator(".forecast-table .tabulator-row")
    wait_for(lambda: rows.count() == 2)
    assert "nvar" in rows.nth(0).inner_text()  # best VPT first
    page.locator(".forecast-table .tabulator-col", has_text="VPT").click()  # sort by clicking the header
    # Model: auto tunes its candidates within its own budget: no second Auto-tune switch
    choose_family(page, "auto")
    wait_for(lambda: not page.locator(".forecast-autotune").is_visible())
    set_text(page, "budget", "1.2")
    page.get_by_label("families", exact=True).select_option("nvar, esn")
    page.get_by_role("button", name="Train", exact=True).click()
    chosen = lambda: re.search(r"auto → (nvar|esn) on Lorenz", text(page, ".forecast-summary"))  # noqa: E731
    wait_for(chosen, timeout=90,
             why=lambda: f"summary {text(page, '.forecast-summary')!r}, message {text(page, '.forecast-error')!r}")
    family = chosen().group(1)
    wait_for(lambda: f"Auto chose {family}: validation score" in text(page, ".forecast-about"),
             why=lambda: text(page, ".forecast-about"))
    wait_for(lambda: rows.count() == 3)
    wait_for(lambda: any(f"auto → {family}" in row for row in rows.all_inner_texts()), why=rows.all_inner_texts)
    page.screenshot(path=str(log.parent / "forecast_auto.png"), full_page=True)
    assert_clean(page, log)


LOSS_POINTS = """() => {
  for (const m of Bokeh.documents[0].all_models) {
    if (m.type !== "Figure" && m.type !== "Plot") continue;
    if (!(m.left[0] && m.left[0].axis_label === "loss")) continue;
    let n = 0;
    for (const r of m.renderers) {
      const d = r.data_source && r.data_source.data;
      if (d && d.epoch) n = Math.max(n, d.epoch.length);
    }
    return n;
  }
  return -1;
}"""


def test_train_a_neural_ode_watch_the_loss_preview_the_best_so_far_and_stop(server, page):
    url, log = server
    open_forecast(page, url)
    choose_family(page, "neural_ode")
    page.get_by_role("button", name="Train", exact=True).click()
    # the loss curve streams in while training: it has points, then more points
    wait_for(lambda: page.evaluate(LOSS_POINTS) >= 2, timeout=120, why=lambda: text(page, ".forecast-training"))
    first = page.evaluate(LOSS_POINTS)
    assert re.search(r"epoch \d+ · training loss .* about \d+ s left", text(page, ".forecast-training"))
    wait_for(lambda: page.evaluate(LOSS_POINTS) > first, timeout=60)
    # on demand, the best checkpoint so far forecasts while training goes on
    page.get_by_role("button", name="Show best so far", exact=True).click()
    wait_for(lambda: "preview: best checkpoint of epoch" in text(page, ".forecast-summary"), timeout=60,
             why=lambda: text(page, ".forecast-summary") + " | " + text(page, ".forecast-error"))
    assert "epoch" in text(page, ".forecast-training")  # still training
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_for(lambda: "stopped: best checkpoint of epoch" in text(page, ".forecast-summary"), timeout=60,
             why=lambda: text(page, ".forecast-summary") + " | " + text(page, ".forecast-error"))
    # the short-term result comes first; the job (free run, metrics) ends a moment later
    wait_for(lambda: "stopped after" in text(page, ".forecast-training"), timeout=30,
             why=lambda: text(page, ".forecast-training"))
    assert vpt_shown(page) is not None
    assert page.get_by_role("button", name="Train", exact=True).is_enabled()
    page.screenshot(path=str(log.parent / "forecast_neural_ode_stopped.png"), full_page=True)
    # the page recovers: another model trains after the stopped one
    train(page, "nvar")
    assert_clean(page, log)


def test_load_the_pretrained_multi_system_transformer_zero_shot(server, page):
    url, log = server
    open_forecast(page, url)
    choose_family(page, "transformer_multi")
    page.get_by_role("button", name="Load pretrained", exact=True).click()
    wait_for(lambda: "zero-shot" in text(page, ".forecast-summary"), timeout=120,
             why=lambda: text(page, ".forecast-summary") + " | " + text(page, ".forecast-error"))
    assert "Lorenz was never seen in training" in text(page, ".forecast-summary")
    assert re.search(r"Zero-shot honesty: VPT [0-9.]+ Λt here, against persistence [0-9.]+ and an NVAR",
                     text(page, ".forecast-about"))
    page.screenshot(path=str(log.parent / "forecast_transformer_multi.png"), full_page=True)
    # a family with no checkpoint for this system says so
    choose_family(page, "esn")
    page.get_by_role("button", name="Load pretrained", exact=True).click()
    wait_for(lambda: "no pretrained esn for Lorenz" in text(page, ".forecast-error"), timeout=60)
    assert_clean(page, log)


def test_tune_nvar_on_rucklidge_then_switch_the_system(server, page):
    """The defaults of the Lorenz era blew NVAR up after 70 steps on Rucklidge; tuned, it forecasts.
    Switching the system never leaves the old result under the new system's name."""
    url, log = server
    open_forecast(page, url + "?system=Rucklidge")
    wait_for(lambda: text(page, ".forecast-family").startswith("nvar"))
    assert page.locator(".forecast-autotune input").is_checked()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: "nvar on Rucklidge" in text(page, ".forecast-summary"), timeout=90,
             why=lambda: f"summary {text(page, '.forecast-summary')!r}, error {text(page, '.forecast-error')!r}")
    assert vpt_shown(page) > 1 and "tuned:" in text(page, ".forecast-summary")
    wait_for(lambda: re.search(r"\d+ trials in [0-9.]+ s; best validation score", text(page, ".forecast-tuning")),
             why=lambda: text(page, ".forecast-tuning"))
    wait_for(lambda: "nvar: free run of 10000 steps" in titled_images(page), timeout=60)
    page.screenshot(path=str(log.parent / "forecast_rucklidge_tuned.png"), full_page=True)
    choose_system(page, "Thomas")
    wait_for(lambda: "belongs to Rucklidge" in text(page, ".forecast-stale"), timeout=20)
    assert "nvar on Rucklidge" in text(page, ".forecast-summary")  # labelled with its own system
    page.screenshot(path=str(log.parent / "forecast_switched_system.png"), full_page=True)
    assert_clean(page, log)


def test_a_second_session_redraws_while_another_trains(server, two_pages):
    """Training runs on a Dask worker: another visitor's parameter change still redraws at once."""
    url, log = server
    trainer, student = two_pages
    open_forecast(trainer, url)
    choose_family(trainer, "lstm")
    autotune = trainer.locator(".forecast-autotune input")
    if autotune.is_checked():
        autotune.uncheck()
    trainer.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: "epoch" in text(trainer, ".forecast-training"), timeout=60,
             why=lambda: text(trainer, ".forecast-training"))
    open_app(student, url)
    for rho in (35, 42):
        before = attractor(student)
        set_text(student, "rho", rho)
        wait_for_change(student, before, timeout=5)
    note = text(trainer, ".forecast-training")
    assert "epoch" in note and "finished" not in note, f"the training ended before the test: {note}"
    trainer.get_by_role("button", name="Stop", exact=True).click()
    wait_for(lambda: "stopped" in text(trainer, ".forecast-training"), timeout=60,
             why=lambda: text(trainer, ".forecast-training"))
    assert server_errors(log) == []


WIDGET_VALUES = """(titles) => {
  const out = {};
  for (const m of Bokeh.documents[0].all_models)
    if (titles.includes(m.title) && m.value !== undefined) out[m.title] = m.value;
  return out;
}"""


def test_a_shared_link_reopens_the_forecast_comparison(server, page):
    # a teacher's link: the Forecast tab open on ESN, horizon 7.5, ε 0.3, auto-tune off
    url, log = server
    open_app(page, url + '?tab=forecast&model=esn&horizon=7.5&eps=0.3&auto_tune=false&averaging_time=250'
                         '&hparams={"units": 300}')
    assert page.locator(".bk-tab.bk-active", has_text="Forecast").count() == 1
    assert text(page, ".forecast-family").startswith("esn")
    titles = ["Model", "Horizon (Lyapunov times)", "ε", "units"]
    wait_for(lambda: page.evaluate(WIDGET_VALUES, titles) == {
        "Model": "esn", "Horizon (Lyapunov times)": 7.5, "ε": 0.3, "units": 300},
        why=lambda: page.evaluate(WIDGET_VALUES, titles))
    assert not page.locator(".forecast-autotune input").is_checked()

    # what the user changes goes back into the link, the open tab included
    set_text(page, "ε", "0.4")
    # the Lyapunov tab is built when first opened, with the link's averaging time
    page.locator(".bk-tab", has_text="Lyapunov").click()
    averaging = ["Averaging time (empty: auto)"]
    wait_for(lambda: page.evaluate(WIDGET_VALUES, averaging) == {averaging[0]: 250},
             why=lambda: page.evaluate(WIDGET_VALUES, averaging))
    page.locator(".bk-tab", has_text="Explorer").click()
    search = lambda: page.evaluate("window.location.search")  # noqa: E731
    wait_for(lambda: "eps=0.4" in search() and "tab=explorer" in search() and "averaging_time=250" in search(),
             why=search)
    assert_clean(page, log)
