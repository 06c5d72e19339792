"""Lyapunov spectra of delay systems by the method of steps: exact against a linearisation,
Farmer's (1982) Mackey–Glass attractors, independent of the grid, and every catalog delay system."""

import numpy as np
import pytest
from scipy.special import lambertw

from core import systems
from core.dynamics import lyapunov


def mackey_glass(tau: float):
    """Farmer's (1982) Mackey–Glass: x' = 0.2 x(t - tau) / (1 + x(t - tau)^10) - 0.1 x."""
    return systems.get("MackeyGlass", beta=0.2, gamma=0.1, n=10.0, tau=tau)


def test_at_a_stable_equilibrium_the_exponents_are_the_characteristic_roots():
    # Mackey–Glass at tau = 4 rests at x* = 1 (stable below the Hopf point, tau ≈ 4.53). Linearised,
    # dx' = -0.1 dx - 0.4 dx(t - tau), whose characteristic roots s = -0.1 + W_k(-0.4 tau e^{0.1 tau}) / tau
    # (Lambert W, all branches) come in complex pairs: each real part is two Lyapunov exponents.
    tau = 4.0
    branches = [-0.1 + lambertw(-0.4 * tau * np.exp(0.1 * tau), k) / tau for k in range(-4, 4)]
    real_parts = sorted({round(float(s.real), 9) for s in branches}, reverse=True)
    expected = np.repeat(real_parts[:3], 2)
    result = lyapunov.spectrum(mackey_glass(tau), ic=[1.0] * 10, t_max=20_000, transient=0)  # x = 1 exactly
    assert result.grid_points == lyapunov.DELAY_POINTS and len(result.exponents) == lyapunov.DELAY_EXPONENTS
    assert np.allclose(result.exponents, expected, atol=5e-4)


# Farmer (1982), Physica D 4, 366: Lyapunov (Kaplan–Yorke) dimensions of the Mackey–Glass attractors,
# with one positive exponent at tau = 17 and 23 and two at tau = 30, the flow's zero exponent after them
FARMER_DIMENSION = {17: 2.10, 23: 2.82, 30: 3.58}


@pytest.mark.parametrize("tau, positive", [(17, 1), (23, 1), (30, 2)])
def test_farmers_mackey_glass_attractors(tau, positive):
    result = lyapunov.spectrum(mackey_glass(tau), t_max=100_000)
    lam = result.exponents
    assert (lam > 1e-3).sum() == positive
    assert abs(lam[positive]) < 2e-4  # the direction of the flow
    assert lam[positive + 1] < -0.01
    assert lyapunov.kaplan_yorke_dimension(lam) == pytest.approx(FARMER_DIMENSION[tau], rel=0.05)
    assert lyapunov.verdict(lam, "delay").startswith("chaotic")


def test_the_exponents_do_not_depend_on_the_grid():
    # N = 50 and N = 200 points per delay: the same leading exponents within the averaging's own error
    coarse, fine = (lyapunov.spectrum(mackey_glass(30), n_exponents=4, h=30 / n, t_max=100_000).exponents
                    for n in (50, 200))
    assert coarse[:2] == pytest.approx(fine[:2], abs=5e-4)  # λ1 ≈ 0.007, λ2 ≈ 0.002
    assert abs(coarse[2]) < 2e-4 and abs(fine[2]) < 2e-4
    assert coarse[3] == pytest.approx(fine[3], rel=0.03)


@pytest.mark.parametrize("name", systems.names(kind="delay"))
def test_every_catalog_delay_system_has_a_spectrum(name):
    system = systems.get(name)
    result = lyapunov.spectrum(system, n_exponents=3, t_max=5000)
    assert result.exponents.shape == (3,) and np.all(np.isfinite(result.exponents))
    assert np.all(np.diff(result.history[-1]) <= 1e-12)  # Gram–Schmidt keeps them ordered
    assert result.t[-1] == pytest.approx(5000, rel=0.01) and result.grid_points >= lyapunov.DELAY_POINTS


def test_dysts_mackey_glass_is_periodic():
    # dysts's tau = 16 lies below the onset of chaos (tau ≈ 16.8): a periodic orbit, whose largest
    # exponent is the flow's zero (dysts's metadata says 0.073)
    lam = lyapunov.spectrum(systems.get("MackeyGlass"), n_exponents=2, t_max=50_000).exponents
    assert abs(lam[0]) < 2e-4 and lam[1] < -0.005
    assert "not chaotic" in lyapunov.verdict(lam, "delay")


def test_finite_time_exponents_of_a_delay_system_lie_on_its_embedding():
    system = mackey_glass(17)
    local = lyapunov.ftle(system, window=50.0, t_max=5000)
    assert local.x.shape[1] == system.dim and len(local.values) == len(local.t)
    assert np.isfinite(local.values).all() and local.values.mean() == pytest.approx(0.005, abs=0.01)


def test_bad_grids_are_refused():
    with pytest.raises(lyapunov.LyapunovError, match="step h must be positive"):
        lyapunov.spectrum(mackey_glass(17), h=-1.0)
    with pytest.raises(lyapunov.LyapunovError, match="larger step"):
        lyapunov.spectrum(mackey_glass(17), h=1e-4)
    with pytest.raises(lyapunov.LyapunovError, match="between 1 and 202"):
        lyapunov.spectrum(mackey_glass(17), n_exponents=500)
    with pytest.raises(lyapunov.LyapunovError, match="covariant vectors are not supported for delay"):
        lyapunov.covariant_vectors(mackey_glass(17))
