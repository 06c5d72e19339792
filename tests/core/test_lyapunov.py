"""Lyapunov spectra against literature values (each cited), and the derived quantities."""

import math

import numpy as np
import pytest

from core import lyapunov, systems


def test_lorenz_spectrum():
    # Sprott (2003), Chaos and Time-Series Analysis, Table A.1: (0.9056, 0, -14.5723)
    result = lyapunov.spectrum(systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3))
    lam = result.exponents
    assert lam[0] == pytest.approx(0.9056, rel=0.01)
    assert abs(lam[1]) < 0.01
    assert lam[2] == pytest.approx(-14.5723, rel=0.01)
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


def test_delay_systems_are_reported_unsupported():
    with pytest.raises(lyapunov.LyapunovError, match="delay"):
        lyapunov.spectrum(systems.get("MackeyGlass"))


def test_kaplan_yorke_dimension():
    # Lorenz (0.9056, 0, -14.5723): 2 + 0.9056 / 14.5723
    assert lyapunov.kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2 + 0.9056 / 14.5723)
    assert lyapunov.kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert lyapunov.kaplan_yorke_dimension([0.5, 0.1]) == 2.0


def test_lyapunov_time():
    assert lyapunov.lyapunov_time(0.9056) == pytest.approx(1 / 0.9056)
    assert lyapunov.lyapunov_time([0.5, -1.0]) == 2.0
    assert lyapunov.lyapunov_time(-0.1) == math.inf
