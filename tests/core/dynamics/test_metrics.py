"""Metrics against hand-computed values and, where it computes the same thing, dysts.metrics."""

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, lyapunov, metrics


def test_vpt_by_hand():
    true = np.zeros((100, 2))
    pred = np.zeros((100, 2))
    pred[40:, 0] = 1.0  # error sqrt(mean([1, 0])) = 0.707 > 0.5 from step 40
    assert metrics.vpt(true, pred, dt=0.1, lyapunov_max=2.0, scale=[1.0, 1.0]) == pytest.approx(40 * 0.1 * 2.0)
    assert metrics.vpt(true, true, dt=0.1, lyapunov_max=None, scale=[1, 1]) == pytest.approx(10.0)


def test_a_forecast_that_blew_up_is_valid_only_until_it_did():
    true = np.ones((10, 2))
    pred = true.copy()
    pred[6:] = np.nan  # a free run that left every finite value after 6 steps
    assert metrics.vpt(true, pred, dt=0.5, lyapunov_max=2.0, scale=np.ones(2)) == 6 * 0.5 * 2.0
    pred[6:] = np.inf
    assert metrics.vpt(true, pred, dt=0.5, lyapunov_max=None, scale=np.ones(2)) == 3.0


def test_error_growth_nrmse_smape_by_hand():
    true = np.array([[1.0], [2.0]])
    pred = np.array([[2.0], [2.0]])
    np.testing.assert_allclose(metrics.error_growth(true, pred, scale=[2.0]), [0.5, 0.0])
    assert metrics.nrmse(true, pred, scale=[2.0]) == pytest.approx(np.sqrt(0.125))
    assert metrics.smape(true, pred) == pytest.approx(100 * (1 / 3 + 0) / 2)


def test_agrees_with_dysts_metrics():
    import dysts.metrics as dm

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(500, 3)), rng.normal(size=(500, 3)) + 0.3
    assert metrics.smape(a, b) == pytest.approx(dm.smape(a, b), rel=1e-9)
    assert metrics.nrmse(a, b) == pytest.approx(dm.nrmse(a, b), rel=1e-6)
    assert metrics.pearson(a, a + b) == pytest.approx(dm.pearson(a, a + b), rel=1e-9)
    assert metrics.power_spectrum_distance(a, b) == pytest.approx(dm.average_hellinger_distance(a, b), rel=1e-9)


def test_attractor_metrics_separate_right_from_wrong():
    lorenz = systems.get("Lorenz")
    x = integrate.trajectory(lorenz, n=20_000, dt=0.01, transient=1000).x
    other = integrate.trajectory(lorenz, n=20_000, dt=0.01, transient=1000, ic=lorenz.ic + 1).x
    rossler = integrate.trajectory(systems.get("Rossler"), n=20_000, dt=0.05, transient=1000).x
    assert metrics.state_space_divergence(x, other) < 0.2
    assert metrics.state_space_divergence(x, rossler) > 1.0
    assert metrics.power_spectrum_distance(x, other, smoothing=2) < metrics.power_spectrum_distance(x, rossler, smoothing=2)


def test_correlation_dimension_of_lorenz():
    # Grassberger & Procaccia (1983): D2 = 2.05 ± 0.01 for Lorenz
    x = integrate.trajectory(systems.get("Lorenz"), n=30_000, dt=0.05, transient=1000).x
    assert metrics.correlation_dimension(x) == pytest.approx(2.05, abs=0.15)


def test_free_run_exponent():
    x = integrate.trajectory(systems.get("Lorenz"), n=10_000, dt=0.01, transient=1000).x
    assert metrics.free_run_exponent(x[:, 0], 0.01) == pytest.approx(lyapunov.LITERATURE["Lorenz"][1][0], rel=0.1)
