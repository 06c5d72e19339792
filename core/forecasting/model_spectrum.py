"""The Lyapunov spectrum of a trained model's own free-running dynamics.

A model that forecasts by iterating itself is a discrete-time dynamical system on its own state
(NVAR: the delayed observations it reads; an echo state network: reservoir and fed-back input;
an RNN: its hidden state; a neural ODE: its state). Its free run's exponents, from the products
of its step's Jacobians (Benettin et al. 1980: QR after every step), are what the dynamical-
systems-reconstruction literature compares with the truth's (Hess et al. 2023; Brenner et al.
2024; Pathak et al. 2017, Chaos 27:121102, for reservoirs): a reconstruction that forecasts well
for a while but has the wrong λ1, or no zero exponent, has not learned the flow. Exponents are
per time unit: the log growth per step over the sampling step ``dt``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.errors import ForecastError
from core.forecasting.families.base import BLOW_UP, Forecaster

class NoFreeRunMap(ForecastError):
    """The family's free run is not a map on a state of its own that the lab takes apart."""


STEPS = 5000  # default free-run steps averaged (after TRANSIENT): 50 time units of Lorenz at dt = 0.01
TRANSIENT = 500


@dataclass(frozen=True)
class ModelSpectrum:
    """The leading ``exponents`` of a model's free run (per time unit, descending), their running
    estimates ``history`` at times ``t``, the dimension of the model's state and how its
    Jacobian was obtained."""

    exponents: np.ndarray
    history: np.ndarray
    t: np.ndarray
    state_dim: int
    jacobian: str
    wall_time: float

    def summary(self) -> str:
        shown = ", ".join(f"{v:.3g}" for v in self.exponents)
        return f"({shown}) on its {self.state_dim}-dimensional state; Jacobian: {self.jacobian}"


def model_spectrum(model: Forecaster, context, n_exponents: int | None = None, steps: int = STEPS,
                   transient: int = TRANSIENT, seed: int = 0) -> ModelSpectrum:
    """The leading ``n_exponents`` (default: the data's dimension) Lyapunov exponents of ``model``'s
    free run from the end of ``context``, over ``steps`` steps after ``transient``.

    Raises ``ForecastError`` for a family without a free-run map and when the free run leaves the
    attractor (|state| beyond ``BLOW_UP`` standard deviations) before the end."""
    if not model.fitted_:
        raise ForecastError(f"{model.name}: fit the model before asking for its spectrum")
    context = np.asarray(context, dtype=float)
    mean, std = model.scaling(context)
    found = model.free_run_map((context - mean) / std)
    if found is None:
        raise NoFreeRunMap(f"{model.name}: the lab computes the spectrum of a model's own dynamics for NVAR, the "
                           "ESN, the RNNs and the neural ODE, not for this family")
    start = time.perf_counter()
    state = np.asarray(found.state, dtype=float)
    size = state.shape[0]
    k = int(n_exponents or min(model.dim_, size))
    if not 1 <= k <= size:
        raise ForecastError(f"n_exponents must be between 1 and {size} (the model's state), got {k}")
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((size, k)))[0]
    logs = np.zeros(k)
    history = np.empty((steps, k))
    for n in range(transient + steps):
        state, V = found.step(state, Q)
        if not (np.all(np.isfinite(state)) and np.abs(state).max() < BLOW_UP and np.all(np.isfinite(V))):
            raise ForecastError(f"{model.name}: the free run left the attractor after {n} steps; its spectrum "
                                "is not defined there")
        Q, R = np.linalg.qr(V)
        if n >= transient:
            logs += np.log(np.abs(np.diag(R)))
            history[n - transient] = logs
    t = np.arange(1, steps + 1) * model.dt_
    running = history / t[:, None]
    order = np.argsort(running[-1])[::-1]  # QR keeps them ordered but for ties
    return ModelSpectrum(exponents=running[-1, order], history=running[:, order], t=t, state_dim=size,
                         jacobian=found.jacobian, wall_time=time.perf_counter() - start)
