"""The Lyapunov tab without a browser: computed only while shown, it follows the shared selection
and reports bad input in the page."""

import holoviews as hv

from dashboards.diagnostics import LyapunovDashboard
from dashboards.selection import Selection

hv.extension("bokeh")


def test_the_tab_computes_when_shown_and_follows_the_selection():
    selection = Selection(system="Henon")
    tab = LyapunovDashboard(selection)
    assert tab.summary.object == ""  # hidden: nothing computed
    tab.active = True
    assert "Henon: λ1 = 0.4" in tab.summary.object  # 0.4192 (Sprott 2003)
    assert list(tab.table.object["exponent"]) == ["λ1", "λ2"]
    image = tab.ftle_view.source.data["image"][0]  # the FTLE-coloured attractor, shaded next to the data
    assert image.dtype.name == "uint8" and (image != 0).mean() > 0.01  # Henon: a thin curve
    full = tab.ftle_view._extent
    zoomed = []
    tab.ftle_view._zoom((full[0], (full[0] + full[1]) / 2, full[2], full[3]), zoomed.append)
    assert zoomed and zoomed[0].extent[1] == (full[0] + full[1]) / 2  # a zoom re-aggregates its window
    # the unstable covariant vectors as segments, and the angles' distribution: Hénon's tangencies
    segments = tab.clv_view.source.data["image"][0]
    assert segments.dtype.name == "uint8" and (segments != 0).mean() > 0.01
    assert tab.clv_view.figure.xaxis[0].axis_label == "x0 · CLV"
    assert "1000 iterates" in tab.clv_note.object and "not uniformly hyperbolic" in tab.clv_note.object
    histogram = tab.angle_pane.object.get(0)
    assert histogram.label == "unstable–stable" and histogram.dimension_values("density").max() > 0
    selection.averaging_time = 2000  # a setting of the tab, shared (and in the URL)
    assert "2000 iterates" in tab.summary.object
    selection.system = "Logistic"
    assert "Logistic: λ1 = " in tab.summary.object and "2000 iterates" in tab.summary.object
    assert "not shown" in tab.clv_note.object and "has one direction: there is no angle" in tab.clv_note.object
    assert not tab.clv_view.source.data["image"][0].any()  # no segments left from Hénon
    assert not tab.error.visible


def test_bad_parameters_are_reported_in_the_page():
    selection = Selection(system="Henon")
    tab = LyapunovDashboard(selection, active=True)
    selection.param_overrides = {"a": "abc"}
    assert tab.error.visible and "a" in tab.error.object and "abc" in tab.error.object


def test_a_delay_systems_spectrum_by_the_method_of_steps():
    selection = Selection(system="MackeyGlass", param_overrides={"tau": 17.0}, averaging_time=20_000)
    tab = LyapunovDashboard(selection)
    tab.active = True
    summary = tab.summary.object
    assert "MackeyGlass: λ1 = 0.005" in summary and "chaotic" in summary and "Kaplan–Yorke dimension 2.1" in summary
    assert "method of steps on N = 100 points per delay (a tangent space of 202 dimensions)" in summary
    assert list(tab.table.object["exponent"]) == [f"λ{i}" for i in range(1, 7)]
    assert (tab.ftle_view.source.data["image"][0] != 0).mean() > 0.01  # FTLE on the delay embedding
    assert "not measured" in tab.separation_pane.object.opts.get().kwargs["title"]
    assert "not supported for delay systems" in tab.clv_note.object
    assert not tab.error.visible
    selection.param_overrides = {}  # dysts's tau = 16: a periodic orbit
    assert "not chaotic" in tab.summary.object and "Kaplan–Yorke dimension" in tab.summary.object
