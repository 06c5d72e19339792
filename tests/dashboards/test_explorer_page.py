"""The explorer's logic without a browser: a request draws every view, and a closed session lets
go of its trajectory (on the lab's cluster, that is what frees the worker's copy)."""

import holoviews as hv
import numpy as np
import pytest

from dashboards.explorer import Explorer
from dashboards.selection import TYPED, URL_STATE, Selection

hv.extension("bokeh")


def test_a_request_draws_every_view_and_a_closed_session_lets_go_of_the_trajectory():
    explorer = Explorer(Selection(n_points=5_000))
    explorer.request()
    assert "5,000 points" in explorer.status.object
    for name in ("attractor", "embedding", "x0", "x1", "x2"):
        image = explorer.views[name].source.data["image"][0]
        assert image.dtype.name == "uint8" and (image != 0).any(), name
    assert explorer._trajectory() is not None and explorer.attractor._zoom is not None
    # a time series opens on its last ten periods, readable; Reset shows the whole run
    t0, t1, _, _ = explorer.series[0]._extent
    period = explorer.sel.current_system().period
    assert t1 - t0 == pytest.approx(10 * period, rel=1e-6)
    x_range = explorer.series[0].figure.x_range  # 5000 points of dt = period / 100: 50 periods
    assert x_range.reset_end - x_range.reset_start > 4 * (t1 - t0) and x_range.reset_end >= t1
    assert explorer.series[0].figure.yaxis[0].axis_label == "x"  # coordinates by name
    explorer._release()
    assert explorer._trajectory() is None and explorer._shown is None
    assert all(view._zoom is None for view in explorer.views.values())
    assert all(runner.job is None for runner in [explorer.integrations, *explorer.zooms.values()])


def test_equations_typed_by_hand_become_the_system_and_bad_ones_leave_it_be():
    selection = Selection(n_points=2_000)
    explorer = Explorer(selection)
    explorer.sidebar.equations.input.value = "x' = r*x*(1 - x); r = 3.7"
    explorer.sidebar.equations.use()
    assert selection.system == TYPED and selection.equations.startswith("x' = r*x")
    assert r"Typed by hand: x' = r \* x \* \(1 \- x\)" in explorer.sidebar.picker.info.object  # Markdown-escaped
    assert "2,000 points" in explorer.status.object and not explorer.error.visible
    assert [w.label for w in explorer.sidebar.parameters.box] == ["r"]
    for hostile in ("x' = __import__('os').system('ls')", "x' = x.real", "x' = 1e999", "x' = " + "x*" * 10**6):
        explorer.sidebar.equations.input.value = hostile
        explorer.sidebar.equations.use()
        assert explorer.error.visible and "Cannot update" in explorer.error.object
        assert selection.equations.startswith("x' = r*x")  # the previous system stays
    assert r"\_\_import\_\_" in Explorer(Selection(system=TYPED, equations="dx = __import__('os')")).error.object


def test_a_link_with_equations_reopens_them():
    selection = Selection(system=TYPED, equations="dx = -y; dy = x", n_points=1_000)
    explorer = Explorer(selection)
    explorer.request()
    assert selection.current_system().dim == 2 and "1,000 points" in explorer.status.object


def test_switching_systems_keeps_the_parameter_boxes_consistent():
    selection = Selection(n_points=1_000)
    explorer = Explorer(selection)
    selection.system = "Henon"  # resets the overrides while Lorenz's boxes are still shown
    assert sorted(explorer.sidebar.parameters.widgets) == ["a", "b"] and not explorer.error.visible


def test_a_two_dimensional_system_hides_the_third_series_and_a_cloud_view_comes_with_the_first_cloud():
    selection = Selection(system="Henon", n_points=1_000)
    explorer = Explorer(selection)
    explorer.request()
    assert [view.figure.visible for view in explorer.series] == [True, True, False]
    assert "cloud" not in explorer.views  # never asked for: not built
    selection.mode = "ensemble"
    explorer.request()
    cloud = explorer.views["cloud"]
    assert explorer.cloud_box.objects[0].object is cloud.figure
    assert cloud.source.data["image"][0].any()  # the members drawn
    selection.system = "Lorenz"
    explorer.request()
    assert all(view.figure.visible for view in explorer.series)


def test_the_noise_seed_picks_the_noisy_run_and_the_same_seed_gives_it_again():
    explorer = Explorer(Selection(n_points=2_000, noise=0.05))
    explorer.request()
    runs = [explorer._trajectory().x.copy()]  # seed 0
    for seed in (1, 0):
        explorer.sel.noise_seed = seed  # a request per change, as the widget makes it
        runs.append(explorer._trajectory().x.copy())
    assert not np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    assert "noise_seed" in URL_STATE  # a copied link reproduces the run


def test_a_network_of_a_thousand_maps_keeps_a_bounded_trajectory_and_says_so():
    selection = Selection(system="ChialvoRingStar", param_overrides={"N": 1000.0}, n_points=100_000, transient=10)
    explorer = Explorer(selection)
    explorer.request(wait=True)
    assert "15,000 points (at most 15,000 for 2000 variables)" in explorer.status.object
    assert explorer._shown.dim == 2000 and not explorer.error.visible
