"""The Teach tab without a browser: the orbit diagram follows the shared selection, a zoom
recomputes its window, a click sets the parameter for every tab."""

from types import SimpleNamespace

import holoviews as hv
import numpy as np

from dashboards.explorer import Explorer
from dashboards.selection import TYPED, Selection
from dashboards.teach import TeachDashboard

hv.extension("bokeh")


def test_the_orbit_diagram_of_the_logistic_map_zooms_and_sets_the_parameter_on_click():
    selection = Selection(system="Logistic", orbit_low=2.8, orbit_high=4.0)
    tab = TeachDashboard(selection)
    assert tab.orbit.view.source.data["image"][0].sum() == 0  # hidden: nothing computed
    tab.active = True
    image = tab.orbit.view.source.data["image"][0]
    assert image.dtype.name == "uint8" and (image != 0).mean() > 0.05
    assert selection.orbit_parameter == "r" and tab.orbit.view._extent[:2] == (2.8, 4.0)
    assert tab.orbit.marker.location == 3.9  # the published r
    lam = tab.orbit.lyapunov_source.data  # λ1 against r beside the diagram, on the same values of r
    assert tab.orbit.lyapunov_figure.visible and tab.orbit.lyapunov_figure.xaxis[0].axis_label == "r"
    assert len(lam["value"]) > 100 and np.min(lam["value"]) >= 2.8 and np.max(lam["lyapunov"]) > 0.3

    zoomed = []
    tab.orbit.view._zoom((3.5, 3.6, 0.3, 0.9), zoomed.append)  # recomputed there, not re-binned
    assert zoomed and zoomed[0].extent == (3.5, 3.6, 0.3, 0.9) and (zoomed[0].index != 0).any()

    explorer = Explorer(selection)  # the sidebar shows the value a click sets
    tab.orbit.on_tap(SimpleNamespace(x=3.8284271, y=0.5))
    assert selection.current_system().params["r"] == 3.82843 and tab.orbit.marker.location == 3.82843
    assert explorer.sidebar.parameters.widgets["r"].value == "3.82843"


def test_it_follows_the_system_and_works_for_a_flow_and_a_typed_map():
    selection = Selection(system="Rossler", orbit_parameter="c", orbit_low=2.0, orbit_high=6.0)
    tab = TeachDashboard(selection, active=True)
    assert (tab.orbit.view.source.data["image"][0] != 0).any() and "maxima" in tab.orbit.view.figure.title.text
    assert not tab.orbit.lyapunov_figure.visible  # a flow's spectrum is the Lyapunov tab's
    selection.equations = "x' = a*sin(pi*x); a = 0.9"
    selection.system = TYPED
    assert selection.orbit_parameter == "a" and selection.orbit_low == 0.45  # the new system's defaults
    assert (tab.orbit.view.source.data["image"][0] != 0).any() and not tab.error.visible
    selection.orbit_low, selection.orbit_high = 5.0, 1.0
    assert tab.error.visible and "low &lt; high" in tab.error.object  # HTML-escaped


def test_the_cobweb_steps_resets_and_starts_where_clicked():
    selection = Selection(system="Logistic", cobweb_start=0.2)
    tab = TeachDashboard(selection, active=True)
    assert tab.cobweb.box.visible and tab.cobweb.steps == 0
    tab.cobweb.step_button.clicks += 1
    tab.cobweb.step_button.clicks += 1
    assert tab.cobweb.steps == 2 and "2 steps of f(x) from x₀ = 0.2" in tab.cobweb.note.object
    iterates = tab.cobweb.cobweb.iterates
    assert iterates[1] == 3.9 * 0.2 * 0.8 and iterates[2] == 3.9 * iterates[1] * (1 - iterates[1])
    selection.cobweb_n = 2  # f∘f: one step is two iterates
    assert tab.cobweb.cobweb.iterates[1] == iterates[2] and "f^2(x)" in tab.cobweb.note.object
    tab.cobweb.reset_button.clicks += 1
    assert tab.cobweb.steps == 0
    tab.cobweb.on_tap(SimpleNamespace(x=0.7, y=0.1))
    assert selection.cobweb_start == 0.7 and tab.cobweb.cobweb.iterates[0] == 0.7
    selection.system = "Henon"  # two-dimensional: the cobweb of a chosen coordinate
    assert tab.cobweb.box.visible and tab.cobweb.coordinate.visible
    selection.system = "Lorenz"  # a flow: no cobweb, said so by hiding it
    assert not tab.cobweb.box.visible


def test_the_poincare_section_of_lorenz_and_an_orbit_launched_from_a_click():
    selection = Selection(system="Lorenz", tab="teach")
    tab = TeachDashboard(selection, active=True)
    assert tab.section.box.visible and selection.section_value == 23.55  # the attractor's mean z
    image = tab.section.view.source.data["image"][0]
    assert image.dtype.name == "uint8" and (image != 0).any()
    assert tab.section.view.figure.xaxis[0].axis_label == "x" and "3000 crossings" in tab.section.note.object
    tab.section.on_tap(SimpleNamespace(x=1.0, y=2.0))
    tab.section.on_tap(SimpleNamespace(x=-5.0, y=-5.0))
    colours = tab.section.launched.data["colour"]
    assert len(colours) == 600 and len(set(colours)) == 2  # two orbits, two colours
    selection.section_direction = -1  # the other way through the plane: a new section
    assert tab.section.launched.data["x"] == [] and "downwards" in tab.section.view.figure.title.text
    selection.system = "Logistic"  # not a 3-D flow: no section
    assert not tab.section.box.visible


def test_the_butterfly_animation_steps_plays_across_chunks_and_resets():
    selection = Selection(system="Lorenz", butterfly_members=2, butterfly_distance=1e-6, butterfly_speed=10)
    tab = TeachDashboard(selection, active=True)
    view = tab.butterfly
    assert view.box.visible and view._start is not None and view._start.lyapunov > 0.8  # Lorenz λ1 ≈ 0.906
    assert len(view.members.data["x"]) == 2 and view.frames_shown == 1
    first = (view.members.data["x"].copy(), view.members.data["y"].copy())
    view.step()
    assert view.frames_shown == 2 and "t = 0.02" in view.note.object
    assert not np.array_equal(view.members.data["x"], first[0])
    for _ in range(60):  # 600 frames at 10 a tick: past the first chunk of 400 (the next is computed inline here)
        view.tick()
    assert view.frames_shown == 602 and len(view._queue) <= 2
    separations = np.asarray(view.separation.data["d"])
    assert abs(separations[0] - 1e-6) < 1e-12 and separations[-1] > 1e-3  # grown by orders of magnitude
    # the slope: log-separation grows at about λ1 per time unit while it is small (Benettin; Lorenz 0.906)
    t = np.asarray(view.separation.data["t"])  # in Lyapunov times
    small = (separations < 1e-2) & (t > 1)
    fit = np.polyfit(t[small], np.log(separations[small]), 1)[0]
    assert 0.5 < fit < 1.6, fit
    assert len(view.trails.data["xs"]) == 2 and len(view.trails.data["xs"][0]) == 120
    assert "Lyapunov times" in view.note.object and "slope λ1" in view.note.object
    view.reset()
    assert view.frames_shown == 1 and len(view.separation.data["d"]) == 1
    assert np.array_equal(view.members.data["x"], first[0])  # the same members, back at t = 0


def test_the_butterfly_of_a_cloud_of_a_map_and_bad_input():
    selection = Selection(system="Henon", butterfly_members=1000, butterfly_distance=1e-8, butterfly_speed=1)
    tab = TeachDashboard(selection, active=True)
    view = tab.butterfly
    assert len(view.members.data["x"]) == 1000 and view.trails.data["xs"] == []  # a cloud: no trails
    for _ in range(30):
        view.tick()
    assert "iterate 30" in view.note.object and view.separation.data["d"][-1] > 1e-6
    selection.system = "MackeyGlass"  # a delay system: no animation, said by hiding it
    assert not view.box.visible


def test_the_cobweb_of_chialvos_fast_variable():
    selection = Selection(system="Chialvo", cobweb_start=0.5)
    tab = TeachDashboard(selection, active=True)
    assert tab.cobweb.box.visible and tab.cobweb.coordinate.visible and tab.cobweb.coordinate.value == "x"
    tab.cobweb.step_button.clicks += 1
    assert "1 step of f(x) from x₀ = 0.5" in tab.cobweb.note.object and "holds y = " in tab.cobweb.note.object
    tab.cobweb.coordinate.value = "y"  # the slow variable now, from its own starting point
    assert selection.cobweb_coordinate == 1 and selection.cobweb_start is None
    assert tab.cobweb.cobweb.coordinate == 1 and "f(y)" in tab.cobweb.note.object and "holds x = " in tab.cobweb.note.object
