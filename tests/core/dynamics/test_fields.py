"""Fields: the records refuse bad grids and steps; ETDRK4 is fourth order and its tangent is the
step's derivative; the spectra of Kuramoto–Sivashinsky and Lorenz-96 match the literature."""

import threading

import numpy as np
import pytest

from core.dynamics import fields as F
from core.dynamics import lyapunov
from core.errors import ArgumentError, IntegrationError
from core.systems import fields


# -- records ---------------------------------------------------------------------------------------
def test_defaults_and_the_published_reference():
    ks = fields.get("KuramotoSivashinsky")
    assert (ks.grid, ks.length, ks.space_dims, ks.state_dim) == (64, 22.0, 1, 63)
    assert ks.lyapunov_reference.value == pytest.approx(0.048)
    assert fields.get("KuramotoSivashinsky", length=30.0).lyapunov_reference is None
    assert fields.get("KuramotoSivashinsky", step=0.1, dt=0.5).lyapunov_reference is not None  # steps are not physics
    l96 = fields.get("Lorenz96")
    assert (l96.grid, l96.params["F"], l96.lyapunov_reference.value) == (40, 8.0, 1.68)
    assert fields.get("Lorenz96", F=10.0).lyapunov_reference is None
    assert fields.get("LambdaOmega").state_dim == 2 * 64 * 64
    assert fields.names() == ["KuramotoSivashinsky", "LambdaOmega", "Lorenz96"]


@pytest.mark.parametrize("name, changes, words", [
    ("KuramotoSivashinsky", {"grid": 63}, "must be even"),
    ("KuramotoSivashinsky", {"grid": 4096}, "from 16 to 1024"),
    ("KuramotoSivashinsky", {"grid": 64.5}, "integer"),
    ("KuramotoSivashinsky", {"length": -1.0}, "length must be from"),
    ("KuramotoSivashinsky", {"step": 5.0}, "explicit"),
    ("KuramotoSivashinsky", {"dt": 0.3}, "whole number of steps"),
    ("KuramotoSivashinsky", {"rho": 1.0}, "no setting rho"),
    ("LambdaOmega", {"grid": 512}, "from 16 to 256"),
    ("LambdaOmega", {"d": 0.0}, "must be positive"),
    ("LambdaOmega", {"beta": "x"}, "must be a number"),
    ("Lorenz96", {"F": float("nan")}, "finite"),
    ("Navier", {}, "no field named"),
])
def test_bad_settings_are_refused_with_the_limit(name, changes, words):
    with pytest.raises(ArgumentError, match=words):
        fields.get(name, **changes)


# -- ETDRK4 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, span, steps, order", [
    # λ–ω: fourth order, the error falls 16-fold per halving of the step (Kassam & Trefethen 2005).
    # Kuramoto–Sivashinsky's q⁴ makes it stiff, where Cox & Matthews's scheme loses some order
    # (Hochbruck & Ostermann 2005, SIAM J. Numer. Anal. 43, 1069): 2.7, 2.9, 3.1, 3.4 from
    # h = 0.5 down, measured against h = 1/256
    ("LambdaOmega", 2.0, (16, 32, 64), 3.9),
    ("KuramotoSivashinsky", 4.0, (8, 16, 32), 2.6),
])
def test_etdrk4_converges_at_its_order(name, span, steps, order):
    start = F.simulate(fields.get(name), 1, transient=20.0).state
    reference = F.simulate(fields.get(name, step=span / 1024, dt=span), 2, transient=0.0, ic=start).state
    errors = [np.abs(F.simulate(fields.get(name, step=span / n, dt=span), 2, transient=0.0, ic=start).state
                     - reference).max() for n in steps]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > order), orders


@pytest.mark.parametrize("name, changes", [
    ("KuramotoSivashinsky", {}), ("LambdaOmega", {}), ("LambdaOmega", {"alpha": 2.0, "beta": -1.0}),
])
def test_the_tangent_step_is_the_derivative_of_the_step(name, changes):
    field = fields.get(name, **changes)
    pde = F._PDES[name](field)
    v = pde.to_spectral(pde.initial(field, 0))
    for _ in range(100):
        v = pde.scheme.step(v)
    w = pde.from_real(np.random.default_rng(1).normal(size=(2, pde.real_size)))
    stepped, tangent = pde.scheme.step_with_tangent(v, w)
    eps = 1e-6
    differences = np.array([(pde.scheme.step(v + eps * wi) - pde.scheme.step(v - eps * wi)) / (2 * eps) for wi in w])
    assert np.array_equal(stepped, pde.scheme.step(v))
    assert np.abs(tangent - differences).max() < 1e-7 * np.abs(differences).max()


# -- simulations ------------------------------------------------------------------------------------
def test_kuramoto_sivashinsky_keeps_its_mean_and_stays_on_its_attractor():
    run = F.simulate(fields.get("KuramotoSivashinsky"), 2000)
    assert run.u.shape == (2000, 64) and run.x[-1] == pytest.approx(22 * 63 / 64)
    assert np.allclose(run.u.mean(axis=1), run.u[0].mean(), atol=1e-10)
    assert 0.8 < run.u.std() < 1.6 and np.abs(run.u).max() < 4  # the L = 22 attractor's cells
    assert run.t[0] == F.DEFAULT_TRANSIENT["KuramotoSivashinsky"] and np.allclose(np.diff(run.t), 0.25)
    # a run continues from where another ended
    more = F.simulate(run.field, 2, transient=0.0, ic=run.state)
    assert np.allclose(more.u[0], run.state)


def test_the_rd_spiral_is_a_spiral_whose_waves_obey_the_dispersion_relation():
    run = F.simulate(fields.get("LambdaOmega", dt=1.0), 11)
    assert run.u.shape == (11, 64, 64) and run.u.dtype == np.float32
    amplitude = np.abs(run.state)
    r = np.hypot(*np.meshgrid(run.x, run.x))
    # a wave A = R e^{i(kr − Ωt)} of λ–ω needs R² = 1 − d k²: the spiral's k = 1 (its phase
    # θ − r), d = 0.1, so R = √0.9 away from the core
    assert np.median(amplitude[(r > 3) & (r < 8)]) == pytest.approx(np.sqrt(0.9), abs=0.01)
    assert amplitude[32, 32] < 0.05  # the spiral's core is a phase defect, where A = 0
    # a uniform state relaxes to |A| = 1 (λ(A) = 1 − A²) and turns at ω = −β
    flat = F.simulate(run.field, 11, ic=np.full((64, 64), 0.5 + 0j))
    assert np.allclose(np.abs(flat.state), 1, atol=1e-6)


def test_lorenz96_as_a_field_is_the_catalogs_lorenz96n():
    run = F.simulate(fields.get("Lorenz96", grid=12), 50, transient=5.0)
    assert run.u.shape == (50, 12) and np.array_equal(run.x, np.arange(12.0))
    assert 2 < run.u.mean() < 4  # F = 8's climatology (Lorenz 1996: mean ≈ 2.3, std ≈ 3.6)


def test_a_diverging_field_is_reported_not_returned():
    with pytest.raises(IntegrationError, match="lower the step"):
        F.simulate(fields.get("LambdaOmega", step=0.2, dt=1.0, beta=20.0), 50)
    with pytest.raises(IntegrationError, match="lower the step"):
        F.simulate(fields.get("Lorenz96", step=0.05, dt=0.05, F=30.0), 300)


def test_stop_returns_the_snapshots_so_far_and_huge_runs_are_refused():
    stop = threading.Event()
    stop.set()
    run = F.simulate(fields.get("KuramotoSivashinsky"), 5000, transient=0.0, stop=stop)
    assert 1 <= len(run.u) < 5000 and len(run.t) == len(run.u)
    with pytest.raises(ArgumentError, match="at most"):
        F.simulate(fields.get("LambdaOmega", grid=256), 2000)
    with pytest.raises(ArgumentError, match="whole number"):
        F.simulate(fields.get("KuramotoSivashinsky"), 0)


# -- spectra against the literature -----------------------------------------------------------------
def test_kuramoto_sivashinsky_spectrum_at_l22():
    # Cvitanović, Davidchack & Siminos 2010 (SIAM J. Appl. Dyn. Syst. 9, 1), L = 22 on the
    # zero-mean subspace: λ1 = 0.048, then two zeros (time and space translation), a slightly
    # negative one, and a gap to the strongly contracting directions (≈ −0.19)
    result = F.spectrum(fields.get("KuramotoSivashinsky"), 6, t_max=8000)
    lam = result.exponents
    assert lam[0] == pytest.approx(0.048, rel=0.1)
    assert np.all(np.abs(lam[1:3]) < 0.004)
    assert -0.01 < lam[3] < 0
    assert lam[4] == pytest.approx(-0.19, rel=0.1)
    assert 4.1 < lyapunov.kaplan_yorke_dimension(lam) < 4.4


def test_the_spiral_turns_regularly_and_its_breakup_is_chaotic():
    # the rd-spiral's rotating spiral is periodic (λ1 = 0, approached as 1/t: 0.02 after 100);
    # past the Benjamin–Feir–Newell line (1 + αβ < 0) defect turbulence has λ1 ≈ 0.2
    spiral = F.spectrum(fields.get("LambdaOmega", grid=32, length=10.0), 1, t_max=100, transient=100)
    turbulence = F.spectrum(fields.get("LambdaOmega", grid=32, length=10.0, alpha=2.0, beta=-1.0), 1, t_max=100,
                            transient=100)
    assert abs(spiral.exponents[0]) < 0.05 and turbulence.exponents[0] > 0.1


def test_lorenz96_spectrum_at_n40_f8():
    # Vlachas et al. 2020 (Neural Networks 126, 191): λ1 ≈ 1.68 for N = 40, F = 8
    result = F.spectrum(fields.get("Lorenz96"), 1, t_max=400)
    assert result.exponents[0] == pytest.approx(1.68, rel=0.05)


def test_spectrum_arguments_are_checked():
    with pytest.raises(ArgumentError, match="n_exponents"):
        F.spectrum(fields.get("KuramotoSivashinsky"), 64)
    with pytest.raises(ArgumentError, match="t_max"):
        F.spectrum(fields.get("KuramotoSivashinsky"), 2, t_max=-1)
