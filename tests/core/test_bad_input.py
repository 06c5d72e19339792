"""The public API of core refuses bad input up front, with the lab's own exception types and a
message naming the argument: NaN, ±inf, 0, negatives, huge sizes, wrong shapes and strings."""

from __future__ import annotations

import numpy as np
import pytest

from core import systems
from core.dynamics import integrate, lyapunov
from core.errors import ChaosLabError
from core.forecasting.families import registry

BAD_NUMBERS = [np.nan, np.inf, -np.inf, 0, -1, "abc", None, 10**12]
LORENZ = systems.get("Lorenz")


def refused(call, *names):
    """``call`` raises one of core's own errors (or a ValueError/KeyError naming a bad value)
    whose message names one of ``names``, and nothing else (no ZeroDivisionError, MemoryError …)."""
    with pytest.raises((ChaosLabError, ValueError, KeyError)) as info:
        call()
    assert any(name in str(info.value) for name in names), str(info.value)


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize("argument", ["n", "dt", "transient", "rtol", "noise", "h"])
def test_trajectory_refuses_bad_numbers(argument, value):
    kwargs = {argument: value}
    if (argument, value) in {("transient", 0), ("noise", 0), ("dt", None), ("h", None)}:
        integrate.trajectory(LORENZ, n=5, **kwargs)  # legal (None: the default), must not raise
        return
    if (argument, value) in {("rtol", 10**12), ("noise", 10**12), ("dt", 10**12), ("h", 10**12)}:
        # legal but absurd: the integration runs or reports where it diverged; it does not crash
        try:
            integrate.trajectory(LORENZ, n=5, **kwargs)
        except integrate.IntegrationError as exc:
            assert "at t=" in str(exc)
        return
    refused(lambda: integrate.trajectory(LORENZ, n=kwargs.pop("n", 100), **kwargs), argument, "points")


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e308, "abc", [1.0, 2.0]], ids=repr)
def test_parameters_are_checked_by_name_and_diverging_ones_reported(value):
    try:
        system = systems.get("Lorenz", rho=value)
    except ValueError as exc:
        assert "rho" in str(exc)
        return
    refused(lambda: integrate.trajectory(system, n=100), "rho")


@pytest.mark.parametrize("ics", [np.zeros((0, 3)), np.zeros((5, 2)), [[np.nan, 0, 0]], "abc", np.zeros((10**6, 3))])
def test_ensemble_refuses_bad_initial_conditions_and_sizes(ics):
    refused(lambda: integrate.ensemble(LORENZ, ics, n=10**6 if np.shape(ics) == (10**6, 3) else 10),
            "initial conditions", "GiB")


@pytest.mark.parametrize("context", [np.zeros((50, 2)), np.full((50, 3), np.nan), "abc", np.zeros(3)])
def test_forecasters_refuse_bad_contexts_and_horizons(context):
    model = registry.create("nvar").fit(integrate.trajectory(LORENZ, n=2000).x, LORENZ.dt)
    refused(lambda: model.predict(context, 10), "context", "coordinates", "shape")
    for horizon in (0, -3, 2.5, 10**9):
        refused(lambda: model.predict(integrate.trajectory(LORENZ, n=100).x, horizon), "horizon")


def test_fitting_a_constant_series_is_refused_by_every_classical_family():
    for name in ("dmd", "edmd", "nvar", "sindy", "esn", "ar"):
        refused(lambda: registry.create(name).fit(np.ones((500, 3)), 0.01), "constant")


@pytest.mark.parametrize("x", [np.zeros(10), np.full(5000, np.nan), "abc"], ids=["short", "nan", "text"])
def test_the_exponent_from_data_refuses_unusable_series(x):
    refused(lambda: lyapunov.max_exponent_from_data(x, 0.01), "series", "points", "finite", "number")
