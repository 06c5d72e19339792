"""The Fields tab in a real browser: Kuramoto–Sivashinsky's space–time image, a bad grid refused
in the page, the rd-spiral played, paused and stepped, a spectrum beside the literature's, and a
forecast by parallel reservoirs beside the truth."""

from tests.browser.helpers import IDLE, images, open_app, server_errors, set_text, text, titled_images, wait_for

SPIRAL = "λ–ω reaction–diffusion (rd-spiral)"


def note(page) -> str:
    return text(page, ".fields-note")


def frame_time(page) -> float:
    return float(note(page).split("t = ")[1].split(":")[0])


def test_space_time_a_refused_grid_the_spiral_animated_a_spectrum_and_a_forecast(server, page):
    url, log = server
    open_app(page, url + "?tab=fields")
    wait_for(lambda: images(page).get("time", (0, 0))[0] > 10_000, timeout=60,
             why=lambda: (images(page).get("time"), note(page), text(page, ".fields-error")))
    assert "2000 snapshots every 0.25" in note(page)
    first = images(page)["time"]
    # a bad grid: refused in the page, the picture kept
    set_text(page, "grid points", 63)
    wait_for(lambda: "must be even" in text(page, ".fields-error"), why=lambda: text(page, ".fields-error"))
    page.wait_for_function(IDLE)
    assert images(page)["time"] == first
    set_text(page, "grid points", 128)
    wait_for(lambda: images(page)["time"] != first and text(page, ".fields-error") == "",
             why=lambda: (images(page)["time"], text(page, ".fields-error")))
    assert "grid 128" in note(page)
    page.screenshot(path=str(log.parent / "fields_ks.png"), full_page=True)

    # the rd-spiral: play, pause (nothing moves after), step
    page.locator("select:not([multiple])").filter(has=page.locator(f"option[value='{SPIRAL}']")).select_option(SPIRAL)
    wait_for(lambda: note(page).startswith("t = 0.00"), timeout=60, why=lambda: note(page))
    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(lambda: frame_time(page) >= 5.0, timeout=30, why=lambda: note(page))
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()  # the label changes after the last frame
    page.wait_for_function(IDLE)
    paused = frame_time(page)
    page.wait_for_timeout(700)
    assert frame_time(page) == paused
    page.get_by_role("button", name="Step frame", exact=True).click()
    wait_for(lambda: frame_time(page) == paused + 0.5, why=lambda: note(page))
    page.screenshot(path=str(log.parent / "fields_spiral.png"), full_page=True)

    # back to Kuramoto–Sivashinsky: its leading exponents beside Cvitanović et al.'s λ1
    choice = "Kuramoto–Sivashinsky"
    page.locator("select:not([multiple])").filter(has=page.locator(f"option[value='{choice}']")).select_option(choice)
    wait_for(lambda: "grid 64" in note(page), timeout=60, why=lambda: note(page))
    set_text(page, "averaging time (empty: the field's default)", 3000)
    page.get_by_role("button", name="Leading Lyapunov exponents", exact=True).click()
    spectrum = lambda: text(page, ".fields-spectrum")  # noqa: E731
    wait_for(lambda: "Published λ1 0.048" in spectrum(), timeout=90, why=spectrum)
    assert "λ1 … λ6" in spectrum() and "over 3000 time units" in spectrum()
    page.screenshot(path=str(log.parent / "fields_spectrum.png"), full_page=True)

    # a forecast by parallel reservoirs: the truth, the forecast and their difference, and the VPT
    set_text(page, "training steps", 8000)
    set_text(page, "forecast steps", 400)
    set_text(page, "units per reservoir", 400)
    page.get_by_role("button", name="Forecast with parallel reservoirs", exact=True).click()
    forecast = lambda: text(page, ".fields-forecast")  # noqa: E731
    wait_for(lambda: "Valid for" in forecast(), timeout=120, why=forecast)
    assert "Lyapunov times (λ1 = 0.048)" in forecast() and "8 reservoirs of 400 units" in forecast()
    wait_for(lambda: {"truth", "forecast", "forecast − truth"} <= set(titled_images(page)),
             why=lambda: titled_images(page))
    page.screenshot(path=str(log.parent / "fields_forecast.png"), full_page=True)
    assert page.errors == [] and server_errors(log) == []
