"""Integrators: exact solutions, scipy and dysts references, every catalog system, failures."""

import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from core import systems
from core.dynamics import integrate
from core.dynamics.integrate import IntegrationError
from core.systems.compiled import RhsSource

ROOT = Path(__file__).resolve().parents[3]


def linear_system(decay=0.1, omega=1.0):
    params = {"decay": decay, "omega": omega}
    return systems.System(
        name="DampedRotation", kind="flow", dim=2, params=params, ic=np.array([1.0, 0.0]), dt=0.1,
        period=2 * np.pi, lyapunov_max=None, lyapunov_spectrum=None, description="", citation="",
        integrator_dt=0.01, published_params=params,
        source=RhsSource("tests.core.systems.linear_rhs", "damped_rotation", "scalar", 2, (("decay", ()), ("omega", ()))),
    )


def exact_rotation(t, decay=0.1, omega=1.0):
    # x(t) = e^{-decay t} (cos wt, -sin wt) for x(0) = (1, 0)
    return np.exp(-decay * t)[:, None] * np.stack([np.cos(omega * t), -np.sin(omega * t)], axis=1)


def test_dop853_matches_the_exact_solution_of_a_linear_system():
    tr = integrate.trajectory(linear_system(), n=500, dt=0.1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.x, exact_rotation(tr.t), atol=1e-10)


def test_rk4_converges_at_fourth_order():
    errors = []
    for h in (0.1, 0.05):
        tr = integrate.trajectory(linear_system(), n=101, dt=0.1, method="rk4", h=h)
        errors.append(np.abs(tr.x - exact_rotation(tr.t)).max())
    assert 12 < errors[0] / errors[1] < 20  # 2^4 = 16


def test_lorenz_matches_scipy_dop853():
    lorenz = systems.get("Lorenz")
    t = np.arange(1001) * 0.01
    ref = solve_ivp(lambda _, x: lorenz.rhs(x), (0, t[-1]), lorenz.ic, method="DOP853",
                    rtol=1e-12, atol=1e-12, t_eval=t).y.T
    tr = integrate.trajectory(lorenz, n=1001, dt=0.01, rtol=1e-12, atol=1e-12)
    # errors grow like exp(0.9 t): by t = 10 about 1e4 times the tolerance
    assert np.abs(tr.x - ref).max() < 1e-6 * np.abs(ref).max()


@pytest.mark.parametrize("name", systems.names())
def test_every_system_integrates_finite_and_bounded(name):
    system = systems.get(name)
    tr = integrate.trajectory(system, n=2000, postprocess=False)
    assert tr.x.shape == (2000, system.dim)
    assert np.all(np.isfinite(tr.x))
    bounded = [i for i in range(tr.x.shape[1]) if i not in system.unbounded_indices]
    assert np.all(np.abs(tr.x[:, bounded]) < 1e6)
    assert np.ptp(tr.x, axis=0).max() > 0  # it moves


def _dysts_comparable():
    out = []
    for name in systems.names():
        s = systems.get(name)
        if s.origin == "chaoslab" or s.kind == "delay" or name in ("Zaslavskii", "BlinkingVortexMap"):
            # delay: dysts integrates with ddeint on its own history grid; Zaslavskii: no dysts class;
            # BlinkingVortexMap: dysts never flips its vortex (its param_list is frozen), ours blinks
            continue
        out.append(name)
    return out


@pytest.mark.parametrize("name", _dysts_comparable())
def test_matches_dysts_over_a_short_horizon(name):
    import dysts.flows
    import dysts.maps

    system = systems.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if system.kind == "flow":
            ref = getattr(dysts.flows, name)().make_trajectory(
                200, resample=False, method="DOP853", rtol=1e-12, atol=1e-12
            )
            ours = integrate.trajectory(system, n=200, dt=system.integrator_dt, rtol=1e-12, atol=1e-12).x
        else:
            ref = getattr(dysts.maps, name.removesuffix("Map") if name == "DuffingMap" else name)().make_trajectory(50)
            ours = integrate.trajectory(system, n=51).x[1:]  # dysts omits the initial condition
    ref = np.asarray(ref).reshape(ours.shape)
    assert np.abs(ours - ref).max() <= 1e-6 * (np.abs(ref).max() + 1e-12)


def test_transient_is_discarded():
    lorenz = systems.get("Lorenz")
    full = integrate.trajectory(lorenz, n=150)
    tail = integrate.trajectory(lorenz, n=100, transient=50)
    np.testing.assert_allclose(tail.x, full.x[50:], rtol=1e-12)
    np.testing.assert_allclose(tail.t, full.t[50:])


def test_chunked_integration_equals_one_piece(monkeypatch):
    lorenz = systems.get("Lorenz")
    whole = integrate.trajectory(lorenz, n=3000)
    monkeypatch.setattr(integrate, "_CHUNK", 700)
    seen = []
    chunked = integrate.trajectory(lorenz, n=3000, progress=seen.append)
    np.testing.assert_array_equal(whole.x, chunked.x)
    assert len(seen) == 5 and seen[-1] == 1.0


def test_stop_returns_the_points_computed_so_far(monkeypatch):
    monkeypatch.setattr(integrate, "_CHUNK", 100)
    stop = threading.Event()
    tr = integrate.trajectory(systems.get("Lorenz"), n=10_000, progress=lambda f: stop.set(), stop=stop)
    assert len(tr) == 101


def test_divergence_raises_with_time_and_fix():
    with pytest.raises(IntegrationError, match=r"Lorenz .* at t=.*beta towards its published 2\.667"):
        integrate.trajectory(systems.get("Lorenz", beta=-1.0), n=2000)
    with pytest.raises(IntegrationError, match="smaller step than h=0.5"):
        integrate.trajectory(systems.get("Lorenz"), n=100, dt=0.5, h=0.5, method="rk4")


def test_bad_arguments_are_rejected():
    lorenz = systems.get("Lorenz")
    with pytest.raises(ValueError, match="n must be"):
        integrate.trajectory(lorenz, n=0)
    with pytest.raises(ValueError, match="dt must be"):
        integrate.trajectory(lorenz, dt=-1)
    with pytest.raises(ValueError, match="3 values"):
        integrate.trajectory(lorenz, ic=[1.0, 2.0])
    with pytest.raises(ValueError, match="unknown method"):
        integrate.trajectory(lorenz, method="euler")
    with pytest.raises(ValueError, match="noise"):
        integrate.trajectory(lorenz, noise=-1)


def test_noise_is_seeded_and_scaled():
    lorenz = systems.get("Lorenz")
    a = integrate.trajectory(lorenz, n=500, noise=0.05, seed=1)
    b = integrate.trajectory(lorenz, n=500, noise=0.05, seed=1)
    c = integrate.trajectory(lorenz, n=500, noise=0.05, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.allclose(a.x, c.x)
    # a map: one iterate adds noise x the coordinate's std (dysts's metadata; Henon has none, so
    # unit scale), so over many members started at one point the spread after one step is that
    henon = systems.get("Henon")
    assert henon.std is None
    x0 = integrate.trajectory(henon, n=10, transient=100).x[-1]
    steps = integrate.ensemble(henon, np.tile(x0, (4000, 1)), n=2, noise=0.01, seed=3)[:, 1]
    np.testing.assert_allclose(steps.std(axis=0), [0.01, 0.01], rtol=0.05)
    np.testing.assert_allclose(steps.mean(axis=0), henon.rhs(x0), atol=0.001)
    # a flow: Brownian forcing of amplitude noise x std, so over one output step dt the spread
    # grows as noise x std x sqrt(dt) (the drift's effect is second order over so short a step)
    x0 = integrate.trajectory(lorenz, n=10, transient=1000).x[-1]
    ends = integrate.ensemble(lorenz, np.tile(x0, (4000, 1)), n=2, dt=0.001, noise=0.05, seed=4)[:, 1]
    np.testing.assert_allclose(ends.std(axis=0), 0.05 * lorenz.std * np.sqrt(0.001), rtol=0.1)


def test_map_iteration_is_the_map():
    henon = systems.get("Henon")
    tr = integrate.trajectory(henon, n=20)
    x = np.array(henon.ic, dtype=float)
    for k in range(1, 20):
        x = np.array([1 - 1.4 * x[0] ** 2 + x[1], 0.3 * x[0]])  # Henon (1976)
        np.testing.assert_allclose(tr.x[k], x, rtol=1e-12)


def test_delay_system_converges_and_embeds_its_own_history():
    mg = systems.get("MackeyGlass")
    coarse = integrate.trajectory(mg, n=400, dt=0.5, h=0.1)
    fine = integrate.trajectory(mg, n=400, dt=0.5, h=0.05)
    assert np.abs(coarse.x - fine.x)[:100].max() < 1e-5
    # column k is column 0 delayed by k tau / (dim - 1)
    lag = mg.params["tau"] / (mg.dim - 1)
    shift = int(round(lag * (mg.dim - 1) / 0.5))
    np.testing.assert_allclose(fine.x[shift:, -1], fine.x[:-shift, 0], atol=1e-9)


def test_ensemble_equals_member_by_member_integration():
    lorenz = systems.get("Lorenz")
    rng = np.random.default_rng(0)
    ics = lorenz.ic + rng.normal(size=(7, 3))
    xs = integrate.ensemble(lorenz, ics, n=300, dt=0.01, h=0.005)
    assert xs.shape == (7, 300, 3)
    for i in (0, 6):
        single = integrate.trajectory(lorenz, n=300, dt=0.01, h=0.005, ic=ics[i], method="rk4")
        np.testing.assert_allclose(xs[i], single.x, rtol=1e-12)
    adaptive = integrate.ensemble(lorenz, ics[:2], n=100, dt=0.01, method="dop853")
    single = integrate.trajectory(lorenz, n=100, dt=0.01, ic=ics[1])
    np.testing.assert_allclose(adaptive[1], single.x, rtol=1e-10)


def test_ensemble_reports_divergent_members():
    lorenz = systems.get("Lorenz")
    ics = np.array([lorenz.ic, [1e5, 1e5, 1e5]])
    with pytest.raises(IntegrationError, match="1 of 2 ensemble members diverged"):
        integrate.ensemble(lorenz, ics, n=100, dt=0.01)
    xs = integrate.ensemble(lorenz, ics, n=100, dt=0.01, on_divergence="nan")
    assert np.all(np.isfinite(xs[0])) and np.isnan(xs[1, -1]).all()


def test_jit_cache_persists_across_processes():
    code = (
        "from core import systems; from core.dynamics import integrate;"
        "integrate.trajectory(systems.get('Lorenz'), n=10);"
        "stats = integrate._adaptive.shared.stats;"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))"
    )
    run = lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                 check=True)
    run()
    hits, misses = map(int, run().stdout.split()[-2:])
    assert hits >= 1 and misses == 0
