"""The tableaux as data: DOP853 typed from Hairer's code against scipy's copy and the order conditions."""

import math

import numpy as np
import pytest
from scipy.integrate._ivp import dop853_coefficients as scipy_dop853

from core.dynamics.runge_kutta import DOP853, HEUN, RK4, step_numpy


def test_dop853_as_typed_from_hairers_code_is_scipys_tableau():
    pairs = {"a": scipy_dop853.A, "b": scipy_dop853.B, "c": scipy_dop853.C, "e3": scipy_dop853.E3,
             "e5": scipy_dop853.E5, "dense": scipy_dop853.D}
    for name, theirs in pairs.items():
        np.testing.assert_allclose(getattr(DOP853, name), theirs, rtol=1e-15, atol=1e-18, err_msg=name)


@pytest.mark.parametrize("tableau", [RK4, HEUN, DOP853], ids=["rk4", "heun", "dop853"])
def test_each_row_sums_to_its_node_and_the_weights_meet_the_quadrature_conditions(tableau):
    np.testing.assert_allclose(tableau.a.sum(axis=1), tableau.c, atol=1e-14)  # a typo in one a_ij breaks it
    c = tableau.c[: tableau.stages]
    for k in range(tableau.order):  # ∑ b_i c_i^k = 1 / (k + 1): exact for polynomials of degree < order
        assert tableau.b @ c**k == pytest.approx(1 / (k + 1), abs=1e-13)


def test_dop853s_error_weights_vanish_on_a_constant_field():
    # both estimates are differences of two quadratures of the same stages: zero for f = const
    assert DOP853.e3.sum() == pytest.approx(0, abs=1e-14)
    assert DOP853.e5.sum() == pytest.approx(0, abs=1e-14)


@pytest.mark.parametrize("tableau", [RK4, DOP853], ids=["rk4", "dop853"])
def test_the_global_error_falls_at_the_methods_order(tableau):
    # x' = -x from 1 to t = 1: halving the step divides the error by 2^order
    def error(steps: int) -> float:
        x = np.array([1.0])
        for _ in range(steps):
            x = step_numpy(lambda v: -v, tableau, x, 1.0 / steps)
        return abs(x[0] - math.exp(-1.0))

    steps = 4 if tableau is DOP853 else 16
    assert math.log2(error(steps) / error(2 * steps)) == pytest.approx(tableau.order, abs=0.3)
