"""The forecasting experiment in one place: a task, its split, its scores, with one λ1 policy.

    task = ForecastTask(systems.get("Rucklidge"), windows=5)
    split = make_split(task)                                # training series, test windows, λ1
    model = fit(split, "nvar", budget=2.0).model            # tuned for 2 s, or the time-aware defaults
    short = score_forecast(model, split)                    # VPT, NRMSE, sMAPE per window
    long = score_attractor(model, split)                    # D_stsp, D_H, λ1 of a free run

The Forecast tab, the catalog sweep, ``core.forecasting.pretrain``, ``core.forecasting.tuning`` and the benchmarks all call
these, so a model is chosen by one policy (``fit``) and a VPT printed anywhere in the lab is
measured the same way and in the same Lyapunov times.

**The λ1 policy.** VPT is measured in Lyapunov times 1/λ1 with λ1 from the lab's own spectrum
(``core.dynamics.lyapunov.spectrum``, tangent dynamics with QR), never from dysts's metadata estimate
(Lorenz: dysts 0.892, the spectrum and the literature 0.906). Values at published parameters ship
in ``assets/lyapunov_max.json`` (rebuilt by ``python -m core.dynamics.lyapunov``); others are computed
once and cached per system and parameters. ``lyapunov.LyapunovMax.source`` says which was used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from core import systems
from core.dynamics import integrate, lyapunov, metrics
from core.forecasting import model_spectrum
from core.forecasting.families import registry
from core.forecasting.families.base import BlowUp, Forecaster, ForecastError, Timescales
from core.forecasting.store import TrainingSpec

AUTO = "auto"  # the lab's model choice (core.forecasting.families.auto), fitted by the same policy


def timescales(system: systems.System, dt: float, lam: float | None = None) -> Timescales:
    """The time scales forecasters derive their defaults from (maps: one iterate is the period)."""
    discrete = system.kind == "map"
    period = float(dt) if discrete else float(system.period or 100 * dt)
    return Timescales(dt=float(dt), period=period, lyapunov_time=1.0 / lam if lam else None, dim=system.dim,
                      discrete=discrete)


# ---------------------------------------------------------------------------------------------
# Task and split


@dataclass(frozen=True)
class ForecastTask:
    """What is forecast: ``n_train`` training points (observation noise ``noise`` × std on them
    only), then ``windows`` test windows of ``horizon`` Lyapunov times (at most
    ``max_window_steps`` steps), each forecast from the ``context`` points before it, and a
    long truth of ``free_run`` steps for attractor-level comparisons."""

    system: systems.System
    dt: float | None = None
    n_train: int = 10_000
    noise: float = 0.0
    seed: int = 0
    horizon: float = 10.0
    eps: float = 0.5
    context: int = 200
    windows: int = 1
    free_run: int = 10_000
    max_window_steps: int = 100_000
    transient: int = 1_000

    def __post_init__(self):
        if self.system.kind == "delay":
            raise ValueError(f"{self.system.name} is a delay system: forecasting it is not supported yet")
        for name in ("n_train", "windows", "context", "free_run"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not (self.horizon > 0 and self.eps > 0 and self.noise >= 0):
            raise ValueError("horizon and eps must be positive and noise non-negative")


@dataclass(frozen=True)
class Split:
    """The data of one task: what a model may learn from, and what it is judged on."""

    task: ForecastTask
    dt: float
    lyapunov: lyapunov.LyapunovMax
    timescales: Timescales
    train: np.ndarray  # (n_train, dim), with the task's observation noise
    series: np.ndarray = field(repr=False)  # the clean series after the training data
    window_steps: int = 0  # steps per test window
    starts: tuple[int, ...] = ()  # index in ``series`` of each test window's first step

    @property
    def lam(self) -> float:
        return self.lyapunov.value

    @property
    def scale(self) -> np.ndarray:
        """Per-coordinate std of the training data: the VPT's normalisation."""
        return self.train.std(axis=0)

    def window(self, i: int, context: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(context, truth)`` of test window ``i``; the context ends where the truth begins and
        may reach back into the training data when a model needs a long one."""
        c = max(self.task.context, int(context or 0))
        full = np.vstack([self.train[-c:], self.series]) if c > self.starts[i] else self.series
        start = self.starts[i] + (c if c > self.starts[i] else 0)
        return full[start - c : start], full[start : start + self.window_steps]

    def long_truth(self) -> np.ndarray:
        """``free_run`` true steps from the first test window on, the attractor a free run is judged against."""
        return self.series[self.starts[0] : self.starts[0] + self.task.free_run]

    def spec(self, family: str, hparams: dict) -> TrainingSpec:
        """The store's key for a model of ``family`` trained on this split."""
        system = self.task.system
        return TrainingSpec(system.name, {k: float(v) for k, v in system.params.items() if np.ndim(v) == 0},
                            self.dt, self.task.n_train, float(self.task.noise), int(self.task.seed), family,
                            dict(hparams))


def make_split(task: ForecastTask) -> Split:
    system = task.system
    dt = float(task.dt or system.dt)
    lam = lyapunov.largest(system)
    steps = int(min(task.max_window_steps, max(2, round(task.horizon / (lam.value * dt)))))
    gap = task.context
    length = gap + max(task.windows * steps, task.free_run)
    data = integrate.trajectory(system, n=task.n_train + length, dt=dt, transient=task.transient, seed=task.seed).x
    train = data[: task.n_train].copy()
    if task.noise > 0:
        rng = np.random.default_rng(task.seed)
        train += task.noise * train.std(axis=0) * rng.standard_normal(train.shape)
    starts = tuple(gap + w * steps for w in range(task.windows))
    return Split(task, dt, lam, timescales(system, dt, lam.value), train, data[task.n_train :], steps, starts)


# ---------------------------------------------------------------------------------------------
# Scores


@dataclass(frozen=True)
class Fitted:
    """A model fitted by ``fit``, and how: its hyper-parameters, the seconds its own fit took (when
    tuned, the refit of the chosen configuration on the whole training series, not the search), the
    search (a ``tuning.TuningResult``) when one ran, and ``note``: why a search asked for did not
    (for "auto": why it chose what it chose); ``search_seconds`` and ``trials`` count the search."""

    model: Forecaster
    hparams: dict
    fit_seconds: float
    tuning: object | None = None
    note: str = ""
    search_seconds: float = 0.0  # the search's time, when one ran ("auto": every candidate's)
    trials: int = 0


def fit(split: Split, family: str, hparams: dict | None = None, *, budget: float = 0.0, seed: int = 0,
        progress=None, stop=None, created=None) -> Fitted:
    """``family`` fitted on ``split``'s training series by the lab's one policy, which the Forecast
    tab, the catalog sweep and pretraining share (so a leaderboard cell reopened on the page is the
    same model):

    - ``budget`` seconds and a family with hyper-parameters to search: tuned on a validation split
      of the training series (``core.forecasting.tuning``, validation windows of the task's horizon) and
      refitted on all of it;
    - otherwise, or where the series is too short to validate on (``note`` says so): ``hparams``
      over the family's time-aware defaults for the split's time scales.

    ``progress(fraction, info)`` and ``stop`` reach the search or the fit; a fit that ``stop`` ended
    keeps its best checkpoint (the caller reads ``stop`` to say so), a search its best trial.
    ``created(model)`` is told the model before its fit starts (the page previews its best
    checkpoint while it trains).
    """
    from core.forecasting import tuning  # tuning scores its trials with this module's forecast_window

    if family == AUTO:
        return _fit_auto(split, hparams or {}, budget, progress, stop, created)
    note = ""
    if budget > 0 and registry.family(family).search_space(split.timescales):
        try:
            search = tuning.tune(family, split.train, split.dt, budget, timescales=split.timescales, seed=seed,
                                 horizon=split.task.horizon, eps=split.task.eps, progress=progress, stop=stop)
        except tuning.TuningError as exc:
            note = f"not tuned: {exc}"
        else:
            return Fitted(search.model, dict(search.params), float(search.validation["refit_seconds"]), search,
                          search_seconds=search.seconds, trials=len(search.trials))
    model = registry.create(family, split.timescales, **(hparams or {}))
    if created is not None:
        created(model)
    start = time.perf_counter()
    model.fit(split.train, split.dt, progress=progress, stop=stop)
    return Fitted(model, dict(model.hparams), time.perf_counter() - start, None, note)


def _fit_auto(split: Split, hparams: dict, budget: float, progress, stop, created) -> Fitted:
    """"auto" by the same policy: ``budget`` seconds per candidate family (what each family alone
    would get), unless its own ``budget`` is given; validated in the task's horizon and ε, in the
    split's known time scales. ``fit_seconds`` is the chosen family's refit, as for a tuned family;
    ``note`` is the choice's reason."""
    from core.forecasting.families.auto import CANDIDATES

    if budget > 0 and "budget" not in hparams:
        families = CANDIDATES[hparams.get("families", registry.defaults(AUTO)["families"])]
        hparams = hparams | {"budget": budget * len(families)}
    model = registry.create(AUTO, **hparams).for_task(split.timescales, horizon=split.task.horizon,
                                                      eps=split.task.eps)
    if created is not None:
        created(model)
    model.fit(split.train, split.dt, progress=progress, stop=stop)
    return Fitted(model, dict(model.hparams), model.refit_seconds_, None, model.reason_,
                  search_seconds=model.tuning_seconds_, trials=model.trials_)


@dataclass(frozen=True)
class WindowForecast:
    """One test window: the truth, the forecast (only its finite part if it blew up), its VPT."""

    truth: np.ndarray
    forecast: np.ndarray
    vpt: float
    blew_up_after: int | None = None  # steps the forecast stayed finite, when it blew up
    message: str = ""

    def error_growth(self, scale: np.ndarray, dt: float, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The forecast's normalised error against time in Lyapunov times (steps of ``dt × λ1``),
        and the growth e^{λ1 t} from its first error that a chaotic error follows at best:
        ``(t, error, reference)``, over the forecast's finite part."""
        n = len(self.forecast)
        t = np.arange(1, n + 1) * dt * lam
        if not n:
            return t, np.zeros(0), np.zeros(0)
        error = np.maximum(metrics.error_growth(self.truth[:n], self.forecast, scale), 1e-12)
        return t, error, error[0] * np.exp(t - t[0])


@dataclass(frozen=True)
class ForecastScores:
    """Short-term scores over the test windows (VPT in Lyapunov times)."""

    windows: tuple[WindowForecast, ...]
    vpt: float
    vpt_std: float
    nrmse: float  # over the first Lyapunov time, normalised by the training std
    smape: float

    @property
    def blow_ups(self) -> int:
        return sum(w.blew_up_after is not None for w in self.windows)


def forecast_window(model: Forecaster, context: np.ndarray, truth: np.ndarray, dt: float, lam: float, eps: float,
                    scale: np.ndarray) -> WindowForecast:
    """Forecast one window; a blow-up keeps the finite part and scores the time it stayed valid."""
    try:
        forecast = model.predict(context, len(truth))
        return WindowForecast(truth, forecast, metrics.vpt(truth, forecast, dt, lam, eps, scale))
    except BlowUp as exc:
        valid = metrics.vpt(truth[: exc.steps], exc.partial, dt, lam, eps, scale) if exc.steps else 0.0
        return WindowForecast(truth, exc.partial, valid, exc.steps, str(exc))


def score_forecast(model: Forecaster, split: Split) -> ForecastScores:
    dt, lam, eps, scale = split.dt, split.lam, split.task.eps, split.scale
    windows = tuple(forecast_window(model, *split.window(i, model.min_context), dt, lam, eps, scale)
                    for i in range(len(split.starts)))
    one = max(2, int(round(1 / (lam * dt))))
    usable = [w for w in windows if len(w.forecast) >= 2]
    nrmse = float(np.mean([metrics.nrmse(w.truth[: min(one, len(w.forecast))], w.forecast[:one], scale)
                           for w in usable])) if usable else float("nan")
    smape = float(np.mean([metrics.smape(w.truth[: len(w.forecast)], w.forecast) for w in usable])) \
        if usable else float("nan")
    vpts = np.array([w.vpt for w in windows])
    return ForecastScores(windows, float(vpts.mean()), float(vpts.std()), nrmse, smape)


@dataclass(frozen=True)
class AttractorScores:
    """Long-term scores of a free run against the truth; a metric that cannot be estimated is None
    and ``notes`` say why."""

    free: np.ndarray | None
    d_stsp: float | None = None
    d_h: float | None = None
    lambda_free: float | None = None
    notes: tuple[str, ...] = ()
    spectrum: model_spectrum.ModelSpectrum | None = None  # of the model's own dynamics, from its Jacobian


def score_attractor(model: Forecaster, split: Split) -> AttractorScores:
    """The model's free run of ``free_run`` steps from the first test context, judged as an
    attractor, and the Lyapunov spectrum of its own dynamics (``model_spectrum``) where it has one."""
    scores = _score_free_run(model, split)
    if scores.free is None:  # it blew up: no attractor of its own to take apart
        return scores
    context, _ = split.window(0, model.min_context)
    try:
        spectrum = model_spectrum.model_spectrum(model, context, steps=min(model_spectrum.STEPS, split.task.free_run))
    except model_spectrum.NoFreeRunMap:
        return scores
    except ForecastError as exc:
        return replace(scores, notes=scores.notes + (f"the spectrum of the model's own dynamics: {exc}",))
    return replace(scores, spectrum=spectrum)


def _score_free_run(model: Forecaster, split: Split) -> AttractorScores:
    context, _ = split.window(0, model.min_context)
    truth = split.long_truth()
    try:
        free = model.predict(context, split.task.free_run)
    except BlowUp as exc:
        return AttractorScores(None, notes=(f"the free run blew up after {exc.steps} steps "
                                            f"({exc.steps * split.dt * split.lam:.2f} Lyapunov times)",))
    except ForecastError as exc:
        return AttractorScores(None, notes=(f"the free run failed: {exc}",))
    d_stsp = metrics.state_space_divergence(truth, free)
    d_h = metrics.power_spectrum_distance(truth, free, smoothing=2)
    if model.replays_data:
        return AttractorScores(free, d_stsp, d_h, None, (
            f"λ1 of the free run is not estimable: {model.name} replays stored data, so nearby states "
            "separate by jumps between stored pieces, not by the model's dynamics",))
    try:
        return AttractorScores(free, d_stsp, d_h, metrics.free_run_exponent(free[:, 0], split.dt))
    except lyapunov.LyapunovError as exc:
        return AttractorScores(free, d_stsp, d_h, None, (f"λ1 of the free run is not estimable: {exc}",))


def reference_vpts(split: Split, families=("persistence", "nvar")) -> dict[str, float]:
    """VPT of simple references trained here at their time-aware defaults, on the same windows
    (the honest yardstick for a zero-shot model)."""
    out = {}
    for name in families:
        model = registry.create(name, split.timescales).fit(split.train, split.dt)
        out[name] = score_forecast(model, split).vpt
    return out
