"""The catalog: completeness against dysts's metadata, lookups, immutability, overrides."""

import json
from importlib import resources

import numpy as np
import pytest

from core import systems


def _dysts(filename):
    with resources.files("dysts").joinpath(f"data/{filename}").open() as fh:
        return json.load(fh)


def test_every_dysts_flow_is_in_the_catalog():
    flows = _dysts("chaotic_attractors.json")
    assert len(flows) == 135
    missing = set(flows) - set(systems.names())
    assert not missing
    assert len(systems.names("delay")) == 6


def test_every_integrable_dysts_map_is_in_the_catalog():
    maps = _dysts("discrete_maps.json")
    assert len(maps) == 26
    expected = {{"Duffing": "DuffingMap"}.get(n, n) for n in maps} - {"EndCap", "ZeraouliaSprott"}
    assert expected <= set(systems.names("map"))


def test_our_additions_are_registered_like_the_rest():
    ours = systems.names(group="ours")
    assert ours == ["Chialvo", "Lorenz96N", "Rulkov"]
    for name in ours:
        assert systems.get(name).origin == "chaoslab"


def test_record_carries_published_metadata():
    lorenz = systems.get("Lorenz")
    assert lorenz.kind == "flow" and lorenz.dim == 3
    assert dict(lorenz.params) == {"beta": 2.667, "rho": 28.0, "sigma": 10.0}
    assert lorenz.period == pytest.approx(1.5008)
    assert lorenz.dt == pytest.approx(lorenz.period / 100)
    assert lorenz.lyapunov_max == pytest.approx(0.8917, abs=1e-3)
    assert len(lorenz.lyapunov_spectrum) == 3
    assert "Lorenz" in lorenz.citation and lorenz.description


def test_names_filters_by_kind_and_rejects_unknown_kinds():
    assert "Henon" in systems.names("map") and "Henon" not in systems.names("flow")
    assert systems.names() == sorted(systems.names())
    with pytest.raises(ValueError, match="unknown kind"):
        systems.names("chaotic")


def test_unknown_system_lists_close_matches():
    with pytest.raises(KeyError, match="Lorenz"):
        systems.get("Lorentz")
    with pytest.raises(KeyError, match="Rossler"):
        systems.get("rossler")


def test_unknown_parameter_lists_close_matches():
    with pytest.raises(ValueError, match="'rho'"):
        systems.get("Lorenz", rhoo=30)


def test_parameter_values_are_checked():
    with pytest.raises(ValueError, match="finite"):
        systems.get("Lorenz", rho=float("nan"))
    with pytest.raises(ValueError, match="shape"):
        systems.get("Lorenz", rho=[1.0, 2.0])


def test_system_is_immutable():
    lorenz = systems.get("Lorenz")
    with pytest.raises(TypeError):
        lorenz.params["rho"] = 1.0
    with pytest.raises(ValueError):
        lorenz.ic[0] = 1.0
    with pytest.raises(AttributeError):
        lorenz.dim = 4


def test_override_changes_the_vector_field_and_drops_references():
    default, changed = systems.get("Lorenz"), systems.get("Lorenz", rho=35)
    x = np.array([1.0, 2.0, 3.0])
    # dy/dt = x (rho - z) - y
    assert default.rhs(x)[1] == pytest.approx(1.0 * (28 - 3) - 2)
    assert changed.rhs(x)[1] == pytest.approx(1.0 * (35 - 3) - 2)
    assert changed.lyapunov_max is None and not changed.is_published
    assert changed.changed_params() == {"rho": 35.0}
    assert systems.get("Lorenz", rho=28) is default


def test_lorenz96_size_is_a_parameter():
    l96 = systems.get("Lorenz96N", N=12, f=10)
    assert l96.dim == 12 and l96.ic.shape == (12,)
    x = np.arange(12.0)
    # dX_i/dt = (X_{i+1} - X_{i-2}) X_{i-1} - X_i + F, periodic
    expected = (np.roll(x, -1) - np.roll(x, 2)) * np.roll(x, 1) - x + 10
    np.testing.assert_allclose(l96.rhs(x), expected)
    with pytest.raises(ValueError, match="integer"):
        systems.get("Lorenz96N", N=3.5)


def test_neuron_maps_follow_their_papers():
    # Chialvo (1995): x' = x^2 exp(y - x) + k, y' = a y - b x + c
    chialvo = systems.get("Chialvo")
    x, y = 0.5, 0.7
    p = chialvo.params
    np.testing.assert_allclose(
        chialvo.rhs([x, y]), [x * x * np.exp(y - x) + p["k"], p["a"] * y - p["b"] * x + p["c"]]
    )
    # Rulkov (2001): x' = alpha / (1 + x^2) + y, y' = y - mu (x - sigma)
    rulkov = systems.get("Rulkov")
    p = rulkov.params
    np.testing.assert_allclose(
        rulkov.rhs([x, y]), [p["alpha"] / (1 + x * x) + y, y - p["mu"] * (x - p["sigma"])]
    )
