"""Lyapunov spectra against literature values (each cited), and the derived quantities."""

import math

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, lyapunov

# Lorenz at sigma = 10, rho = 28, beta = 8/3: Sprott (2003), Chaos and Time-Series Analysis, Table A.1
LORENZ = lyapunov.LITERATURE["Lorenz"][1]  # (0.9056, 0, -14.5723)


def test_lorenz_spectrum():
    result = lyapunov.spectrum(systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3))
    lam = result.exponents
    assert lam[0] == pytest.approx(LORENZ[0], rel=0.01)
    assert abs(lam[1]) < 0.01
    assert lam[2] == pytest.approx(LORENZ[2], rel=0.01)
    # the sum equals the (constant) divergence of the Lorenz field: -(sigma + 1 + beta)
    assert lam.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=0.01)
    assert result.history.shape == (len(result.t), 3)
    assert np.allclose(result.history[-1], lam)


def test_rossler_largest_exponent():
    # Sprott (2003), Table A.1: Rossler a = b = 0.2, c = 5.7: lambda_1 = 0.0714
    lam = lyapunov.spectrum(systems.get("Rossler", a=0.2, b=0.2, c=5.7)).exponents
    assert lam[0] == pytest.approx(0.0714, rel=0.03)


def test_henon_spectrum():
    # Sprott (2003), Table A.1: Henon a = 1.4, b = 0.3: (0.4192, -1.6232); sum = ln b
    lam = lyapunov.spectrum(systems.get("Henon", a=1.4, b=0.3)).exponents
    assert lam[0] == pytest.approx(0.4192, rel=0.01)
    assert lam.sum() == pytest.approx(math.log(0.3), rel=1e-3)


def test_logistic_map_at_r4_is_ln2():
    # the r = 4 logistic map is conjugate to the tent map: lambda = ln 2 exactly
    lam = lyapunov.spectrum(systems.get("Logistic", r=4.0)).exponents
    assert lam[0] == pytest.approx(math.log(2), rel=0.005)


def test_kaplan_yorke_dimension():
    # Lorenz: 2 + lambda_1 / |lambda_3|
    assert lyapunov.kaplan_yorke_dimension(LORENZ) == pytest.approx(2 + LORENZ[0] / -LORENZ[2])
    assert lyapunov.kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert lyapunov.kaplan_yorke_dimension([0.5, 0.1]) == 2.0


def test_lyapunov_time():
    assert lyapunov.lyapunov_time(LORENZ[0]) == pytest.approx(1 / LORENZ[0])
    assert lyapunov.lyapunov_time([0.5, -1.0]) == 2.0
    assert lyapunov.lyapunov_time(-0.1) == math.inf


@pytest.mark.parametrize("name", [n for n in systems.names("flow") if systems.get(n).origin == "dysts"])
def test_sum_of_exponents_equals_mean_trace_for_every_flow(name):
    # Liouville: d/dt log vol = div f, so sum(lambda) = <div f> along the path, for dissipative
    # flows (negative) and volume-preserving ones (ABC, the double gyre: 0) alike; the tolerance
    # is a percent of the spectrum's scale, as the spectrum's own check (liouville_holds)
    system = systems.get(name)
    result = lyapunov.spectrum(system, t_max=20 * (system.period or 1.0))
    scale = np.abs(result.exponents).max() + abs(result.mean_trace)
    assert abs(result.exponents.sum() - result.mean_trace) <= 0.01 * scale + 1e-9  # Torus: all exponents 0


def test_analytic_jacobian_is_used_where_dysts_has_one():
    assert lyapunov.spectrum(systems.get("Lorenz"), t_max=10).jacobian == "analytic (dysts)"
    assert lyapunov.spectrum(systems.get("Colpitts"), t_max=10).jacobian == "finite differences"


def test_exponent_from_lorenz_x_data():
    # Rosenstein et al. (1993) on 10^4 points of Lorenz x: within 10 % of the literature
    lorenz = systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3)
    x = integrate.trajectory(lorenz, n=10_000, dt=0.01, transient=2000).x[:, 0]
    result = lyapunov.max_exponent_from_data(x, 0.01)
    assert result.exponent == pytest.approx(LORENZ[0], rel=0.10)
    assert result.dimension == 3 and result.delay > 1
    start, stop = result.fit
    assert 0 <= start < stop <= len(result.log_distance)


def test_exponent_from_data_rejects_bad_series():
    with pytest.raises(lyapunov.LyapunovError, match="at least 1000"):
        lyapunov.max_exponent_from_data(np.sin(np.arange(100)), 0.1)
    with pytest.raises(lyapunov.LyapunovError, match="constant"):
        lyapunov.max_exponent_from_data(np.ones(5000), 0.1)
    series = np.sin(np.arange(5000) * 0.1)
    series[10] = np.nan
    with pytest.raises(lyapunov.LyapunovError, match="NaN"):
        lyapunov.max_exponent_from_data(series, 0.1)


def test_periodic_parameters_give_no_positive_exponent():
    # Lorenz at rho = 160 lies in a periodic window (Sparrow 1982): lambda_1 ~ 0, not positive
    lam = lyapunov.spectrum(systems.get("Lorenz", rho=160.0), t_max=500).exponents
    assert lam[0] < 0.01
    # below the Hopf bifurcation (rho < 24.74) the orbits settle on a fixed point: all negative
    lam = lyapunov.spectrum(systems.get("Lorenz", rho=15.0), t_max=200).exponents
    assert lam[0] < 0


def test_separation_of_nearby_trajectories():
    result = lyapunov.pair_separation(systems.get("Lorenz"), n_pairs=100)
    assert result.slope == pytest.approx(LORENZ[0], rel=0.15)
    assert result.log_separation[0] < result.saturation - 10  # e^10 growth before saturation


def test_finite_time_exponents_average_to_the_largest():
    result = lyapunov.ftle(systems.get("Lorenz"), window=1.0, t_max=2000)
    assert result.values.shape == result.t.shape and result.x.shape == (len(result.t), 3)
    assert result.values.mean() == pytest.approx(LORENZ[0], rel=0.05)
    assert result.values.std() > 0.3  # prediction is much harder in some places than others


def test_the_verdict_says_chaotic_periodic_or_settling_against_the_spectrums_scale():
    assert lyapunov.verdict(np.array([0.906, 0.0, -14.57]), "flow").startswith("chaotic")
    assert "stable fixed point" in lyapunov.verdict(np.array([-0.2, -1.0]), "map")
    # a periodic orbit's λ1 converges to 0 as 1/T: small against the spectrum is not chaos
    assert "periodic or quasi-periodic orbit" in lyapunov.verdict(np.array([0.004, -0.3, -20.0]), "flow")
    assert "a periodic orbit" in lyapunov.verdict(np.array([0.001, -1.0]), "map")


def test_the_predictability_horizon_is_where_the_fitted_growth_saturates():
    t = np.linspace(0.0, 20.0, 201)
    log_separation = np.minimum(-18.0 + 0.9 * t, 0.0)  # grows at λ1 = 0.9 from e^-18, saturates at 0
    pairs = lyapunov.PairSeparation(t, log_separation, 0.0, 0.9, (10, 150), 1e-8)
    assert pairs.intercept == pytest.approx(-18.0) and pairs.horizon == pytest.approx(20.0)
    assert np.isnan(lyapunov.PairSeparation(t, 0 * t, 0.0, -0.1, (10, 150), 1e-8).horizon)


def test_recent_diagnostics_are_shared_by_dynamics_and_settings_and_bounded():
    recent = lyapunov.RecentDiagnostics(size=2)
    lorenz, lorenz35 = systems.get("Lorenz"), systems.get("Lorenz", rho=35.0)
    recent.put(lorenz, 100.0, None, result="published")
    assert recent.get(systems.get("Lorenz"), 100.0, None) == "published"  # another session, the same dynamics
    assert recent.get(lorenz35, 100.0, None) is None and recent.get(lorenz, 200.0, None) is None
    recent.put(lorenz35, 100.0, None, result="rho 35")
    recent.get(lorenz, 100.0, None)  # used: kept over the older one
    recent.put(lorenz, 200.0, None, result="longer")
    assert recent.get(lorenz35, 100.0, None) is None and recent.get(lorenz, 100.0, None) == "published"


# ---------------------------------------------------------------------------------------------
# Covariant Lyapunov vectors (Ginelli et al. 2007)


def _henon_jacobian(x, a=1.4, b=0.3):
    return np.array([[-2.0 * a * x[0], 1.0], [b, 0.0]])


def test_henon_covariant_vectors_are_the_directions_direct_iteration_of_the_tangent_map_finds():
    """The unstable vector at a point is where any vector iterated forward from far back ends up;
    the stable one where any vector iterated backward (inverse tangent map) from far ahead ends up."""
    henon = systems.get("Henon")
    assert henon.params == {"a": 1.4, "b": 0.3}
    clv = lyapunov.covariant_vectors(henon, t_max=600)
    x, v = clv.states, clv.vectors
    rng = np.random.default_rng(1)
    for n in (250, 400):
        w = rng.standard_normal(2)
        for m in range(n - 200, n):  # forward: J(x_m) carries a vector at x_m to x_{m+1}
            w = _henon_jacobian(x[m]) @ w
            w /= np.linalg.norm(w)
        assert abs(w @ v[n, :, 0]) > 1 - 1e-10
        w = rng.standard_normal(2)
        for m in range(n + 40, n - 1, -1):  # backward: the inverse of J(x_m) carries x_{m+1}'s back to x_m
            w = np.linalg.solve(_henon_jacobian(x[m]), w)
            w /= np.linalg.norm(w)
        assert abs(w @ v[n, :, 1]) > 1 - 1e-10
    # covariance, and the growth along each vector averages to its exponent (0.419, -1.62)
    carried = np.einsum("nij,nj->ni", np.array([_henon_jacobian(s) for s in x[:-1]]), v[:-1, :, 0])
    assert np.all(np.abs(np.einsum("ni,ni->n", carried / np.linalg.norm(carried, axis=1)[:, None], v[1:, :, 0]))
                  > 1 - 1e-10)
    assert clv.rates.mean(axis=0) == pytest.approx([0.419, -1.623], abs=0.03)
    assert clv.exponents == pytest.approx([0.419, -1.623], abs=0.01)


def test_lorenz_covariant_vectors_are_carried_by_the_flow_and_its_stable_direction_stays_apart():
    lorenz = systems.get("Lorenz")
    clv = lyapunov.covariant_vectors(lorenz)
    assert clv.vectors.shape == (len(clv.t), 3, 3) and np.allclose(np.linalg.norm(clv.vectors, axis=1), 1.0)
    for n in (100, 1000):  # a small displacement along each vector, integrated to the next point, lies along it
        x = clv.states[n]
        start = integrate.trajectory(lorenz, n=2, dt=clv.step, ic=x, postprocess=False).x[-1]
        for j in range(3):
            moved = integrate.trajectory(lorenz, n=2, dt=clv.step, ic=x + 1e-6 * clv.vectors[n, :, j],
                                         postprocess=False).x[-1] - start
            assert abs(moved @ clv.vectors[n + 1, :, j]) / np.linalg.norm(moved) > 1 - 1e-6
    # the neutral vector is the flow's direction
    flow = np.array([lorenz.rhs(x, 0.0) for x in clv.states[::50]])
    assert np.all(np.abs(np.einsum("ni,ni->n", flow / np.linalg.norm(flow, axis=1)[:, None], clv.vectors[::50, :, 1]))
                  > 1 - 1e-4)
    assert clv.rates.mean(axis=0)[[0, 2]] == pytest.approx([0.906, -14.57], rel=0.05)
    # singular hyperbolicity (Tucker 2002): the stable direction never touches the centre-unstable plane
    assert np.degrees(clv.subspace_angle([0, 1], [2]).min()) > 3
    angles = np.degrees(clv.unstable_stable_angle())
    assert angles.min() < angles.mean() < 90 and len(angles) == len(clv.t)


def test_hyperbolicity_tells_henons_tangencies_from_lorenzs_pseudohyperbolic_split():
    henon = lyapunov.hyperbolicity(lyapunov.covariant_vectors(systems.get("Henon")))
    assert list(henon.angles) == ["unstable–stable"]  # a map has no neutral direction
    assert henon.states.shape == henon.unstable.shape == (1000, 2)
    # the Hénon attractor has homoclinic tangencies: the angle comes near zero on a long enough orbit
    assert henon.angles["unstable–stable"].min() < 1.0 and henon.near_tangency() > 0.005
    assert "not uniformly hyperbolic" in henon.summary()
    lorenz = lyapunov.hyperbolicity(lyapunov.covariant_vectors(systems.get("Lorenz")))
    assert list(lorenz.angles) == ["unstable–stable", "unstable–neutral", "expanding–contracting"]
    # Kuptsov & Kuznetsov (2018): Lorenz's expanding and contracting subspaces never touch, while
    # its unstable direction and the flow's do (near the origin): pseudohyperbolic, not hyperbolic
    assert lorenz.angles["expanding–contracting"].min() > 3.0 and lorenz.angles["unstable–neutral"].min() < 5.0
    # a subspace and a larger one containing it: the larger one's angle to the stable one is smaller
    assert np.all(lorenz.angles["unstable–stable"] >= lorenz.angles["expanding–contracting"] - 1e-9)
    assert "touches the flow's own" in lorenz.summary() and "pseudohyperbolic" in lorenz.summary()
    # Halvorsen's flow direction has exponent -0.005 of 4.9 over this run: still the neutral one
    assert len(lyapunov.covariant_vectors(systems.get("Halvorsen")).directions()[1]) == 1
    with pytest.raises(lyapunov.LyapunovError, match="unstable and a stable"):  # a periodic orbit
        lyapunov.hyperbolicity(lyapunov.covariant_vectors(systems.get("Lorenz", rho=160.0)))


def test_diagnostics_carry_the_vectors_or_why_not():
    from core.runtime.jobs import local_context

    henon = lyapunov.diagnostics(systems.get("Henon"), job=local_context())
    assert isinstance(henon.vectors, lyapunov.Hyperbolicity) and len(henon.vectors.states) == 1000
    logistic = lyapunov.diagnostics(systems.get("Logistic"), job=local_context())
    assert "one direction" in logistic.vectors


def test_covariant_vectors_refuse_delay_systems_and_a_window_too_long_to_keep():
    with pytest.raises(lyapunov.LyapunovError, match="delay system"):
        lyapunov.covariant_vectors(systems.get("MackeyGlass"))
    with pytest.raises(lyapunov.LyapunovError, match="MB"):
        lyapunov.covariant_vectors(systems.get("Lorenz"), t_max=1e8)


def test_compiled_central_differences_give_the_analytic_jacobian_at_many_states():
    lorenz = systems.get("Lorenz")
    states = integrate.trajectory(lorenz, n=50).x
    numeric = lyapunov.numerical_jacobians(lorenz, states)
    x, y, z = states.T
    sigma, rho, beta = (lorenz.params[k] for k in ("sigma", "rho", "beta"))
    analytic = np.zeros((len(states), 3, 3))
    analytic[:, 0, 0], analytic[:, 0, 1] = -sigma, sigma
    analytic[:, 1, 0], analytic[:, 1, 1], analytic[:, 1, 2] = rho - z, -1.0, -x
    analytic[:, 2, 0], analytic[:, 2, 1], analytic[:, 2, 2] = y, x, -beta
    np.testing.assert_allclose(numeric, analytic, atol=1e-6)
    assert np.array_equal(lyapunov.numerical_jacobian(lorenz, states[7]), numeric[7])
    with pytest.raises(ValueError, match="shape"):
        lyapunov.numerical_jacobians(lorenz, states[:, :2])


def test_the_general_kernel_and_the_unrolled_one_agree():
    """A 3-dimensional flow's full spectrum runs through the tangent kernel's unrolled copy, two
    vectors through its general one: from the same first vector, the same first exponent."""
    lorenz = systems.get("Lorenz")
    x0 = integrate.trajectory(lorenz, n=2, dt=20.0).x[-1]
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0].T
    runs = []
    for k in (3, 2):
        z = np.concatenate([x0, Q[:k].ravel(), [0.0]])
        history, states = np.zeros((2000, k)), np.zeros((2000, 3))
        done, _ = lyapunov._flow_tangent(lorenz.rhs_kernel, lorenz.jacobian_kernel, True, k, 1e-7, z,
                                         lorenz.param_vector, 0.0, 0.0075, 10, 2000, history, states,
                                         np.zeros((0, k, 3)), np.zeros((0, k, k)))
        assert done == 2000
        runs.append((history, states))
    (full, full_states), (two, two_states) = runs
    np.testing.assert_allclose(two_states, full_states, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(two[:, :2], full[:, :2], rtol=1e-9, atol=1e-9)
    assert full[-1, 0] / 150.0 == pytest.approx(0.906, abs=0.05)


def test_the_kaplan_yorke_text_says_when_a_partial_spectrum_bounds_the_dimension_from_below():
    assert lyapunov.kaplan_yorke_text([0.9056, 0.0, -14.5723]) == "2.062"
    assert lyapunov.kaplan_yorke_text([0.4, 0.2, 0.1], partial=True) == "≥ 3 (more exponents needed)"
    assert lyapunov.kaplan_yorke_text([0.005, 0.0, -0.04], partial=True) == "2.125"
