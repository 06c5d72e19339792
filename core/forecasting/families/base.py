"""The forecaster protocol: hyper-parameters in the constructor, ``fit``, ``predict``, ``save``.

Every family standardises with its training statistics inside the model (``mean_``, ``std_``),
learns its state in attributes ending in ``_`` (scikit-learn's convention) and saves exactly
those, plus its hyper-parameters, to one ``.npz`` file.

Hyper-parameters with a meaning in time (a delay spacing, a leak rate, a window length) are not
fixed in steps: each family derives their defaults from the series' ``Timescales`` (sampling
step, dominant period, Lyapunov time) in ``defaults``, and says where ``tune`` should search
them in ``search_space``. Capabilities are declared on the class (``is_iterative``,
``any_dimension``, ``replays_data``), never probed by callers.
"""

from __future__ import annotations

import abc
import json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from core import written_aside
from core.errors import BlowUp, ForecastError, Stopped  # noqa: F401  (re-exported: families raise them)

FORMAT_VERSION = 1
BLOW_UP = 1e3  # |standardised state| beyond this is a rollout that has left the attractor
MAX_FORECAST_BYTES = 2**30  # a rollout this large is a mistake, not a forecast: refused before it runs


@dataclass(frozen=True)
class Timescales:
    """The time scales a forecaster's time-meaning hyper-parameters are derived from.

    ``dt`` is the sampling step, ``period`` the dominant period and ``lyapunov_time`` 1/λ1 (None
    where not known yet: no family's defaults need it, tuning estimates it), all in the system's
    time unit (for a map: iterates, ``dt`` = 1); ``dim`` the number of observed coordinates.
    ``steps(t)`` converts a time into a whole number of samples (at least 1).
    """

    dt: float
    period: float
    lyapunov_time: float | None = None
    dim: int = 3
    discrete: bool = False

    def __post_init__(self):
        for name in ("dt", "period", "lyapunov_time"):
            value = getattr(self, name)
            if value is None and name == "lyapunov_time":
                continue
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Timescales.{name} must be a positive finite number, got {value}")

    def steps(self, time: float, low: int = 1, high: int | None = None) -> int:
        n = max(low, int(round(time / self.dt)))
        return min(n, high) if high is not None else n

    @property
    def per_period(self) -> float:
        """Samples per dominant period."""
        return self.period / self.dt


@dataclass(frozen=True)
class Search:
    """Where ``tune`` searches one hyper-parameter: ``low``..``high`` (log-uniform if ``log``) or
    one of ``choices``."""

    low: Any = None
    high: Any = None
    log: bool = False
    choices: tuple | None = None


@dataclass(frozen=True)
class Hyper:
    """One hyper-parameter: its type, default, bounds (inclusive) and what it means."""

    kind: type
    default: Any
    bounds: tuple[Any, Any] | None = None
    doc: str = ""
    choices: tuple | None = None

    def check(self, name: str, value):
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(f"{name} must be one of {self.choices}, got {value!r}")
            return value
        try:
            value = self.kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be {self.kind.__name__}, got {value!r}") from None
        if self.kind is int and isinstance(value, float):
            raise ValueError(f"{name} must be an integer, got {value}")
        if self.bounds is not None:
            low, high = self.bounds
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{name} must be between {low} and {high}, got {value}")
        return value


FAMILIES: dict[str, type["Forecaster"]] = {}  # every class that declares a name, by name


@dataclass(frozen=True)
class FreeRunMap:
    """A model's free run as a map ``s -> F(s)`` on its own state (standardised units).
    ``step(s, V)`` returns ``(F(s), J_F(s) V)`` for tangent vectors, the columns of ``V``;
    ``jacobian`` says how ``J_F`` is obtained (analytic, central differences)."""

    state: np.ndarray
    step: Any
    jacobian: str


class Forecaster(abc.ABC):
    """Base class: subclasses declare ``name``, ``hyper``, ``reference`` and implement
    ``_fit(z, dt, progress, stop)`` and ``_predict(zc, horizon)`` on standardised data.

    A class that declares its own ``name`` is a family: defining it registers it (intermediate
    classes such as ``TorchForecaster`` declare none)."""

    name: ClassVar[str] = ""
    hyper: ClassVar[dict[str, Hyper]] = {}
    summary: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    min_context: ClassVar[int] = 1
    is_iterative: ClassVar[bool] = False  # trained epoch by epoch: a loss curve, a best checkpoint, snapshot()
    any_dimension: ClassVar[bool] = False  # forecasts series of any dimension (zero-shot models)
    # forecasts copy stretches of stored data (analogues, parroting): a free run jumps between
    # stored pieces, so exponents estimated from it measure the jumps, not the model's dynamics
    replays_data: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            FAMILIES[cls.name] = cls

    def __init__(self, **hparams):
        unknown = set(hparams) - set(self.hyper)
        if unknown:
            raise ValueError(f"{self.name} has no hyper-parameter(s) {sorted(unknown)}; "
                             f"its hyper-parameters: {', '.join(self.hyper)}")
        for key, spec in self.hyper.items():
            setattr(self, key, spec.check(key, hparams.get(key, spec.default)))
        self.fitted_ = False

    @property
    def hparams(self) -> dict:
        """The hyper-parameters, read from the attributes: one copy, so what is saved is what runs."""
        return {key: getattr(self, key) for key in self.hyper}

    # -- time-aware defaults and the tuning search space (per family) ---------------------------
    @classmethod
    def defaults(cls, timescales: Timescales) -> dict:
        """Defaults of the hyper-parameters that have a meaning in time, for these time scales.

        The base class has none; a family overrides this and states its rule in its docstring.
        """
        return {}

    @classmethod
    def cautious(cls, timescales: Timescales) -> dict:
        """Hyper-parameters (over the defaults) that trade accuracy for a free run that holds,
        such as a strong ridge penalty: ``tune``'s second trial. Empty: none."""
        return {}

    @classmethod
    def plainest(cls, timescales: Timescales) -> dict:
        """Hyper-parameters (over the defaults) of the family's least expressive model, such as
        NVAR's linear features alone: what ``core.forecasting.tuning.fit_that_holds`` tries last
        when every other configuration's free run blew up. Empty: none."""
        return {}

    @classmethod
    def search_space(cls, timescales: Timescales) -> dict[str, Search]:
        """Where ``core.forecasting.tuning.tune`` searches this family's hyper-parameters (empty: nothing to tune)."""
        return {}

    # -- the protocol ---------------------------------------------------------------------------
    def fit(self, train, dt: float, progress=None, stop=None) -> Forecaster:
        """Learn from ``train`` ``(n, dim)`` sampled every ``dt``; returns self."""
        z = self._begin_fit(train, dt)
        self._fit(z, float(dt), progress, stop)
        return self._end_fit(progress)

    def _begin_fit(self, train, dt: float) -> np.ndarray:
        """Check a training series, record its dimension, step and statistics; return it standardised."""
        train = _as_series(train, "train")
        if len(train) < max(10, self.min_context + 2):
            raise ForecastError(f"{self.name}: {len(train)} training points are too few")
        if not dt > 0:
            raise ForecastError(f"dt must be positive, got {dt}")
        flat = np.flatnonzero(train.std(axis=0) == 0)
        if len(flat) == train.shape[1]:
            raise ForecastError(f"{self.name}: the training series is constant (a fixed point): there is no "
                                "dynamics to learn; pick parameters where the system moves")
        self.dim_ = train.shape[1]
        self.dt_ = float(dt)
        self.mean_ = train.mean(axis=0)
        self.std_ = np.where(train.std(axis=0) > 0, train.std(axis=0), 1.0)
        return (train - self.mean_) / self.std_

    def _end_fit(self, progress) -> Forecaster:
        self.fitted_ = True
        if progress is not None:
            progress(1.0, {})
        return self

    def predict(self, context, horizon: int) -> np.ndarray:
        """Autoregressive rollout of ``horizon`` steps after the end of ``context``: ``(horizon, dim)``."""
        if not self.fitted_:
            raise ForecastError(f"{self.name}: fit the model before predicting")
        context = _as_series(context, "context")
        if context.shape[1] != self.dim_ and not self.any_dimension:
            raise ForecastError(f"{self.name}: context has {context.shape[1]} coordinates, the model {self.dim_}")
        if len(context) < self.min_context:
            raise ForecastError(f"{self.name}: the context needs at least {self.min_context} points")
        if int(horizon) != horizon or horizon < 1:
            raise ForecastError(f"horizon must be a positive integer, got {horizon}")
        if horizon * max(self.dim_, context.shape[1]) * 8 > MAX_FORECAST_BYTES:
            raise ForecastError(f"{self.name}: a horizon of {horizon} steps would need "
                                f"{horizon * self.dim_ * 8 / 2**30:.3g} GiB (limit {MAX_FORECAST_BYTES / 2**30:g} GiB, "
                                "base.MAX_FORECAST_BYTES); forecast fewer steps")
        mean, std = self.scaling(context)
        with np.errstate(all="ignore"):
            z = self._predict((context - mean) / std, int(horizon))
        bad = ~np.isfinite(z).all(axis=1) | (np.abs(z) > BLOW_UP).any(axis=1)
        if bad.any():
            step = int(np.argmax(bad))
            raise BlowUp(f"{self.name}: the forecast blew up after {step} steps "
                         f"(|x| > {BLOW_UP:g} standard deviations); the model is unstable here",
                         step, z[:step] * std + mean)
        return z * std + mean

    def scaling(self, context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std that standardise a forecast's context: the training statistics."""
        return self.mean_, self.std_

    def describe(self) -> str:
        return self.describe_family()

    def notes(self, context) -> list[str]:
        """What is particular to this fitted model, in words for the page (latent size, sub-regions…)."""
        return []

    def equations(self, names=None) -> list[str]:
        """Discovered equations, for families that discover them (SINDy); others have none."""
        return []

    def snapshot(self) -> Forecaster | None:
        """A usable copy of the best state so far while ``fit`` runs (iterative families)."""
        return None

    def free_run_map(self, zc: np.ndarray) -> FreeRunMap | None:
        """The model's free run as a map on its own state, whose Lyapunov spectrum
        ``core.forecasting.model_spectrum`` computes: the state after the standardised context
        ``zc`` and its step with the step's Jacobian applied to tangent vectors. None for a
        family without one (baselines, models that replay data, a transformer's window)."""
        return None

    @classmethod
    def describe_family(cls) -> str:
        """One line: what the family is and where it comes from."""
        return f"{cls.summary} ({cls.reference})" if cls.reference else cls.summary

    # -- persistence ----------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Learned arrays (attributes ending in ``_``), for saving."""
        return {k: np.asarray(v) for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def save(self, path) -> None:
        """One ``.npz`` file, written atomically (a crash leaves the old file or none)."""
        meta = {"family": self.name, "hparams": self.hparams, "format": FORMAT_VERSION}
        arrays = {f"state_{k}": v for k, v in self.state().items()}
        with written_aside(path) as scratch, open(scratch, "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        for key, value in arrays.items():
            setattr(self, key, value.item() if value.ndim == 0 and value.dtype != object else value)
        self.fitted_ = bool(self.fitted_)

    # -- each family's own part ----------------------------------------------------------------
    @abc.abstractmethod
    def _fit(self, z: np.ndarray, dt: float, progress, stop) -> None:
        """Learn from standardised training data ``z``."""

    @abc.abstractmethod
    def _predict(self, zc: np.ndarray, horizon: int) -> np.ndarray:
        """Roll out ``horizon`` standardised steps after the standardised context ``zc``."""


def _as_series(x, what: str) -> np.ndarray:
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ForecastError(f"{what} must be numbers shaped (time, dim), got {type(x).__name__}") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ForecastError(f"{what} must have shape (time, dim), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ForecastError(f"{what} contains NaN or infinite values")
    return x


def ridge(features: np.ndarray, targets: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge regression ``W`` minimising |features W - targets|^2 + alpha |W|^2.

    Few features (NVAR, EDMD): through the SVD of the features, accurate even when they are
    nearly collinear and alpha is tiny. Many (a reservoir of hundreds of units): through the
    eigen-decomposition of the Gram matrix, ten times cheaper than that SVD for 10^4 x 500.
    """
    if features.shape[1] <= 150:
        u, s, vt = np.linalg.svd(features, full_matrices=False)
        d = s / (s**2 + alpha)
        return vt.T @ (d[:, None] * (u.T @ targets))
    values, vectors = np.linalg.eigh(features.T @ features)
    projected = vectors.T @ (features.T @ targets)
    return vectors @ (projected / np.maximum(values + alpha, 1e-300 + 1e-14 * values.max())[:, None])


def check_stop(stop) -> None:
    if stop is not None and stop.is_set():
        raise Stopped("fitting was stopped")
