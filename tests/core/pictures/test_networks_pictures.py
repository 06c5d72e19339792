"""A network's pictures: its space–time image and measures, and a diagram of a measure against
a coupling that reports the values where the network diverged instead of drawing them."""

import numpy as np
import pytest

from core import systems
from core.errors import ArgumentError
from core.pictures import networks


def test_a_network_picture_holds_its_image_topology_and_measures():
    picture = networks.network_picture(systems.get("RulkovRing", N=40.0, R=2.0), n=500, transient=500)
    assert picture.image.index.shape == (40, 500) and picture.positions.shape == (40, 2)
    assert picture.edges.shape == (80, 2) and picture.correlation.shape == (40, 40)
    assert set(picture.measures) == set(networks.MEASURES)
    assert 0.9 < picture.measures["0–1 test"] <= 1.0  # Rulkov's chaotic bursts


def test_a_diagram_leaves_out_where_the_network_diverges():
    # a ring of 6 Chialvo neurons: synchronous for σ from about 0.2 to 1, thrown out past 1.1
    diagram = networks.coupling_diagram(systems.get("ChialvoRing", N=6.0, R=1.0), "coupling", 0.4, 1.4,
                                        "synchronization error", points=11, n=500, transient=3000)
    assert np.all(diagram.results[:5] < 1e-9)
    assert diagram.diverged >= 2 and np.all(np.isnan(diagram.results[-2:]))


@pytest.mark.parametrize("args, words", [
    (("N", 1.0, 2.0, "cross-correlation"), "no continuous parameter 'N'"),
    (("coupling", 1.0, 0.5, "cross-correlation"), "from < to"),
    (("coupling", 0.0, 1.0, "entropy"), "unknown measure"),
])
def test_a_diagram_refuses_what_it_cannot_draw(args, words):
    with pytest.raises(ArgumentError, match=words):
        networks.coupling_diagram(systems.get("ChialvoRing"), *args)


def test_a_system_that_is_not_a_network_is_refused():
    with pytest.raises(ArgumentError, match="not a network"):
        networks.network_picture(systems.get("Henon"))
