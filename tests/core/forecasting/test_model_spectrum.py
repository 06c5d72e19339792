"""The Lyapunov spectrum of a trained model's own dynamics, from its Jacobian."""

import copy

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, lyapunov
from core.forecasting import model_spectrum
from core.forecasting.families import registry
from core.forecasting.families.base import Timescales

LORENZ = lyapunov.LITERATURE["Lorenz"][1]  # (0.9056, 0, -14.5723), Sprott (2003)


@pytest.fixture(scope="module")
def lorenz_data():
    lorenz = systems.get("Lorenz")
    data = integrate.trajectory(lorenz, n=11_000, dt=0.01, transient=1000).x
    return data[:10_000], data[10_000:], Timescales(0.01, lorenz.period, 1 / LORENZ[0], 3, False)


def jacobian_error(model, context) -> float:
    """The map's J·V against central differences of its own step, relative to |J·V|."""
    found = model.free_run_map((context - model.mean_) / model.std_)
    V = np.linalg.qr(np.random.default_rng(1).standard_normal((len(found.state), 3)))[0]
    _, JV = found.step(found.state, V)
    h = 1e-6
    differences = np.stack([(found.step(found.state + h * v, V)[0] - found.step(found.state - h * v, V)[0]) / (2 * h)
                            for v in V.T], axis=1)
    return float(np.abs(JV - differences).max() / np.abs(JV).max())


def test_a_fitted_nvar_has_lorenzs_spectrum(lorenz_data):
    train, test, ts = lorenz_data
    model = registry.create("nvar", ts).fit(train, 0.01)
    assert jacobian_error(model, test[:200]) < 1e-7  # the analytic Jacobian
    result = model_spectrum.model_spectrum(model, test[:200], steps=10_000)
    lam = result.exponents
    assert lam[0] == pytest.approx(LORENZ[0], rel=0.10) and abs(lam[1]) < 0.02  # λ1, and the flow's zero exponent
    assert lam[2] == pytest.approx(LORENZ[2], rel=0.10)
    assert result.jacobian == "analytic" and result.history.shape == (10_000, 3)
    assert "on its" in result.summary() and np.allclose(result.history[-1], lam)


def test_an_esn_has_an_analytic_jacobian_and_a_chaotic_free_run(lorenz_data):
    train, test, ts = lorenz_data
    model = registry.create("esn", ts).fit(train, 0.01)
    assert jacobian_error(model, test[:200]) < 1e-7
    result = model_spectrum.model_spectrum(model, test[:200])
    assert result.state_dim == model.units + 3 and result.exponents[0] > 0.5 and abs(result.exponents[1]) < 0.05


@pytest.mark.parametrize("family", ["lstm", "gru", "neural_ode", "shplrnn", "alrnn"])
def test_a_torch_models_jacobian_products_are_autograds(lorenz_data, family):
    import torch

    train, test, ts = lorenz_data
    model = registry.create(family, ts, epochs=1).fit(train[:3000], 0.01)
    zc = (test[:200] - model.mean_) / model.std_
    found = model.free_run_map(zc)
    V = np.linalg.qr(np.random.default_rng(2).standard_normal((len(found.state), 3)))[0]
    _, JV = found.step(found.state, V)
    _, advance = model._free_run_state(zc)
    module = copy.deepcopy(model.module_).double()
    state = torch.as_tensor(found.state)
    exact = np.stack([torch.func.jvp(lambda s: advance(module, s[None])[0], (state,), (torch.as_tensor(v),))[1]
                      .detach().numpy() for v in V.T], axis=1)
    assert np.abs(JV - exact).max() < 1e-6 * max(1.0, np.abs(exact).max())
    result = model_spectrum.model_spectrum(model, test[:200], steps=300, transient=50)
    assert result.exponents.shape == (3,) and np.all(np.isfinite(result.exponents))


def test_families_without_a_map_and_free_runs_that_leave_say_so(lorenz_data):
    train, test, ts = lorenz_data
    with pytest.raises(model_spectrum.NoFreeRunMap, match="not for this family"):
        model_spectrum.model_spectrum(registry.create("persistence", ts).fit(train, 0.01), test[:200])
    wild = registry.create("nvar", ts).fit(train, 0.01)
    wild.weights_ = wild.weights_ * 50  # a readout that throws the state off the attractor
    with pytest.raises(model_spectrum.ForecastError, match="left the attractor"):
        model_spectrum.model_spectrum(wild, test[:200])
