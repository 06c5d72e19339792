"""The Networks tab without a browser: a network drawn in space and time and on its topology,
a size refused with a message, a diagram of a measure against a coupling recomputed on zoom."""

import numpy as np
from bokeh.events import RangesUpdate

from dashboards.networks import NetworksDashboard
from dashboards.selection import Selection


def test_a_ring_star_draws_its_space_time_topology_and_measures_and_refuses_a_bad_size():
    selection = Selection(tab="networks", system="ChialvoRingStar", param_overrides={"N": 30.0})
    tab = NetworksDashboard(selection)
    assert tab.space_time.source.data["image"][0].shape == (1, 1)  # hidden: nothing computed
    tab.active = True
    image = tab.space_time.source.data["image"][0]
    assert image.dtype.name == "uint8" and image.shape == (30, 760) and (image != 0).all()
    assert len(tab.topology_source.data["x"]) == 30 and len(tab.edge_source.data["x0"]) == 29 + 29 * 4 - 29 * 0
    assert np.allclose(tab.topology_source.data["x"][0], 0.0)  # the hub at the centre
    assert tab.correlation_source.data["image"][0].shape == (30, 30)
    assert "cross-correlation" in tab.measures.object and "30 Chialvo maps on a ring-star" in tab.note.object
    tab.inputs["N"].value = 3.0
    assert tab.message.visible and "N must be an integer &gt;= 4, got 3" in tab.message.object
    assert tab.space_time.source.data["image"][0] is image  # the last picture kept
    assert selection.param_overrides["N"] == 3.0  # what the user typed is kept
    tab.inputs["N"].value = 12.0
    assert not tab.message.visible and tab.space_time.source.data["image"][0].shape == (12, 760)


def test_the_diagram_of_a_measure_against_the_coupling_is_recomputed_on_zoom():
    selection = Selection(tab="networks", system="ChialvoRingStar",
                          param_overrides={"N": 4.0, "R": 1.0, "coupling": 0.0, "hub": 0.0})
    tab = NetworksDashboard(selection, active=True)
    tab.parameter.value, tab.measure.value = "triadic", "cross-correlation"
    tab.low.value, tab.high.value, tab.points.value = 0.0, 0.1, 11
    tab.diagram_button.clicks += 1
    values, measured = tab.diagram_source.data["value"], tab.diagram_source.data["measure"]
    assert len(values) == 11 and values[-1] == 0.1
    # the smallest ring-star: higher-order coupling alone brings the four neurons to synchrony
    assert abs(measured[0]) < 0.2 and measured[-1] > 0.99
    assert tab.diagram.xaxis[0].axis_label == "triadic"
    tab._zoomed(RangesUpdate(tab.diagram, x0=0.0, x1=0.03, y0=0.0, y1=1.0))
    values = tab.diagram_source.data["value"]
    assert values[0] == 0.0 and values[-1] == 0.03 and len(values) == 11
    assert (tab.low.value, tab.high.value) == (0.0, 0.03)


def test_a_system_that_is_not_a_network_is_said_so():
    selection = Selection(tab="networks", system="Lorenz")
    tab = NetworksDashboard(selection)
    tab.active = True
    assert not tab.body.visible and "not a network of maps" in tab.about.object
    tab.network_select.value = "LogisticRing"
    assert selection.system == "LogisticRing" and tab.body.visible
    assert tab.space_time.source.data["image"][0].shape == (100, 760)
