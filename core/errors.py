"""The exceptions core raises on purpose: bad input, or a computation that cannot go on.

Each message says what to change. They live here, not beside the code that raises them, so that
a module can catch another's errors without importing it (``metrics`` catches a forecaster's,
``jobs`` tells all of them from bugs).
"""

from __future__ import annotations

import numpy as np


class ChaosLabError(Exception):
    """Base of every deliberate error of core; anything else that escapes is a bug."""


class ArgumentError(ChaosLabError, ValueError):
    """An argument a function cannot honour; the message names it, the limit and the fix."""


class IntegrationError(ChaosLabError, RuntimeError):
    """An integration that diverged or could not proceed; the message says what to change."""


class LyapunovError(ChaosLabError, ValueError):
    """A Lyapunov computation that cannot be done as asked; the message says why."""


class NotChaotic(LyapunovError):
    """The system has no positive λ1 at these parameters: no Lyapunov time to measure forecasts in."""


class ForecastError(ChaosLabError, RuntimeError):
    """Fitting or forecasting failed (singular system, a rollout that blew up, bad input)."""


class Stopped(ChaosLabError, RuntimeError):
    """A computation ended early because its ``stop`` event was set (Stop pressed, or a newer
    request replaced it): a spectrum or a fit stopped part-way has no result to give. An
    integration is the exception on purpose: ``integrate.trajectory`` returns the points so far
    (the explorer shows a long run stopped early as far as it got)."""


class BlowUp(ForecastError):
    """A rollout that left the attractor; ``steps`` stayed finite and ``partial`` holds them."""

    def __init__(self, message: str, steps: int, partial: np.ndarray):
        super().__init__(message)
        self.steps, self.partial = steps, partial
