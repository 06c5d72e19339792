"""Orbit diagrams against known results: the logistic map's period doublings and the onset of
chaos, Rössler's period doubling in c, and the exponent beside them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import systems
from core.dynamics import bifurcation
from core.errors import ArgumentError


def periods(diagram: bifurcation.OrbitDiagram, decimals: int = 4) -> np.ndarray:
    """Distinct long-time values at each parameter value: the period of a periodic orbit."""
    return np.array([len(np.unique(np.round(row[np.isfinite(row)], decimals))) for row in diagram.points])


@pytest.fixture(scope="module")
def logistic():
    r = np.linspace(2.9, 3.6, 1401)  # steps of 0.0005
    return bifurcation.orbit_diagram(systems.get("Logistic"), "r", r, keep=256, transient=20_000)


def test_the_logistic_maps_period_doublings(logistic):
    # r1 = 3 and r2 = 1 + sqrt(6) (May 1976): first values with 2 and with 4 distinct iterates;
    # slow convergence right at a doubling blurs each by a few thousandths
    p, r = periods(logistic), logistic.values
    assert r[np.argmax(p >= 2)] == pytest.approx(3.0, abs=0.005)
    assert r[np.argmax(p >= 4)] == pytest.approx(1 + math.sqrt(6), abs=0.005)
    assert np.all(p[(r > 3.46) & (r < 3.54)] == 4)


def test_chaos_begins_at_feigenbaums_accumulation_point(logistic):
    # the cascade accumulates at r = 3.569946 (Feigenbaum 1978): the first positive exponent
    lam, r = logistic.lyapunov, logistic.values
    assert np.all(lam[r < 3.56] < 0)
    assert r[np.argmax(lam > 0.001)] == pytest.approx(3.5699, abs=0.003)


def test_the_exponent_at_r_4_is_ln_2_and_the_window_of_period_3_is_found():
    diagram = bifurcation.orbit_diagram(systems.get("Logistic"), "r", [4.0, 1 + math.sqrt(8) + 0.001], keep=2000)
    assert diagram.lyapunov[0] == pytest.approx(math.log(2), abs=0.01)
    assert periods(diagram)[1] == 3 and diagram.lyapunov[1] < 0  # the period-3 window opens at 1 + sqrt(8)


def test_a_flows_maxima_double_like_rosslers():
    # Rössler's x maxima in c (a = b = 0.2): period 1 at c = 2.5, 2 at 3.5, 4 at 4, chaos at 5.7
    diagram = bifurcation.orbit_diagram(systems.get("Rossler"), "c", [2.5, 3.5, 4.0, 5.7], keep=40, transient=5000)
    assert diagram.method == "maxima" and diagram.lyapunov is None
    assert list(periods(diagram, 2)[:3]) == [1, 2, 4] and periods(diagram, 2)[3] > 10


def test_a_map_typed_by_hand_has_the_catalogs_diagram():
    r = np.linspace(3.4, 3.9, 50)
    typed = systems.custom("x' = r*x*(1 - x); r = 3.9", ic=[0.51])
    ours = bifurcation.orbit_diagram(typed, "r", r, keep=100)
    catalog = bifurcation.orbit_diagram(systems.get("Logistic"), "r", r, keep=100)
    np.testing.assert_allclose(ours.points, catalog.points, rtol=1e-9, atol=1e-12)


def test_what_is_drawn_and_what_is_refused():
    diagram = bifurcation.orbit_diagram(systems.get("Henon"), "a", [1.0, 1.4, 3.0], keep=50)
    x, y = diagram.pairs()
    assert len(x) == len(y) and np.all(np.isfinite(y))
    assert np.isnan(diagram.points[2]).all()  # a = 3 escapes to infinity: nothing drawn, no error
    with pytest.raises(ArgumentError, match="no scalar parameter 'rho'; its parameters: a, b"):
        bifurcation.orbit_diagram(systems.get("Henon"), "rho", [1.0])
    with pytest.raises(ArgumentError, match="finite"):
        bifurcation.orbit_diagram(systems.get("Henon"), "a", [np.nan])
    with pytest.raises(ArgumentError, match="exceed"):
        bifurcation.orbit_diagram(systems.get("Henon"), "a", np.ones(10**5), keep=10**4)


def test_poincare_crossings_of_a_known_periodic_orbit_are_located_to_the_dense_output():
    # x = cos t, y = -sin t: y crosses 0 upwards at t = pi (mod 2 pi), where x = -1 exactly
    circle = systems.custom("dx = y; dy = -x", ic=[1.0, 0.0], dt=0.1)
    section = bifurcation.poincare_section(circle, coordinate=1, value=0.0, direction=1, crossings=5, transient=0)
    np.testing.assert_allclose(section.points[:, 0], -1.0, atol=1e-8)
    np.testing.assert_allclose(np.diff(section.times), 2 * np.pi, atol=1e-8)
    np.testing.assert_allclose(section.times[0] % (2 * np.pi), np.pi, atol=1e-8)
    down = bifurcation.poincare_section(circle, 1, 0.0, direction=-1, crossings=3, transient=0)
    np.testing.assert_allclose(down.points[:, 0], 1.0, atol=1e-8)


def test_lorenzs_section_lies_on_the_plane_and_refuses_what_it_cannot_take():
    lorenz = systems.get("Lorenz")
    section = bifurcation.poincare_section(lorenz, coordinate=2, value=27.0, crossings=200)
    assert section.points.shape == (200, 3)
    np.testing.assert_allclose(section.points[:, 2], 27.0, atol=1e-9)
    assert np.all(np.diff(section.times) > 0)
    with pytest.raises(ArgumentError, match="never crosses z = 500"):
        bifurcation.poincare_section(lorenz, 2, 500.0, crossings=3)
    with pytest.raises(ArgumentError, match="taken of flows"):
        bifurcation.poincare_section(systems.get("Henon"), 0, 0.0)
