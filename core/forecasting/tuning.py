"""Hyper-parameters tuned per system, on a validation split of the training series only.

    result = tune("nvar", train, dt, budget=3.0, timescales=ts)   # TuningResult
    model = registry.create("nvar", **result.params).fit(train, dt)

Gilpin (2023) tuned every model on every system before comparing them; a comparison with
untuned defaults mostly measures how close each system is to the one the defaults were made
for. The search is Optuna's TPE sampler with median pruning (Akiba et al. 2019, KDD): TPE
models good and bad regions of mixed integer / log-float / categorical spaces from few trials,
which is what a budget of seconds allows, and pruning abandons a trial whose first validation
windows already score below the median of earlier trials. The first trial is always the family's
time-aware defaults, so tuning never returns something worse on validation than the defaults.

Validation never touches the test windows: the training series is split in time, models are
fitted on its first ``1 - validation`` part and scored on windows inside its last part. The score
is the mean VPT (Lyapunov times, ε = 0.5) over those windows, minus a penalty for free runs (one
from each window's context, longer than the windows) that blow up or leave the attractor (D_stsp
against the training data above ``D_STSP_FREE``), plus a tiny tie-break by normalised error for
windows that all stay valid. A blow-up costs more than the windows can earn (their length in
Lyapunov times plus ``BLOW_UP_PENALTY``): a configuration whose free run blows up ranks below
every one whose free runs hold, however well it forecast before (issue 22: a tuned model that
blows up inside its horizon is a bug of the tuning).

A time budget of a second or two may hold only a trial or two of a family as slow as the ESN on
1000 points, and its defaults (a tiny ridge penalty on 500 units) blow up in a free run on most of
the dysts univariate benchmark's series. So the second trial is always the family's ``cautious``
configuration (strong regularisation, ``Forecaster.cautious``), run even past the budget: when
the defaults blow up, a configuration that holds is there to be chosen.

The chosen configuration is then refitted on the whole training series, and that refit is what
is returned — unless it is unstable. A configuration at the edge of stability (NVAR with almost
no ridge penalty) can forecast Halvorsen for 8.5 Lyapunov times when fitted on the first 80 % of
the data and blow up after 1.5 when fitted on all of it, so the refit is checked on the
validation windows and a free run, and if it blows up the model fitted on the first part — the
one the validation actually scored — is returned instead (``validation["fitted_on"]`` says which).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np

from core.dynamics import lyapunov, metrics
from core.errors import ChaosLabError, Stopped
from core.forecasting.experiment import forecast_window
from core.forecasting.families import registry
from core.forecasting.families.base import BlowUp, ForecastError, Search, Timescales

BLOW_UP_PENALTY = 2.0  # Lyapunov times taken off, beyond the windows' length, for a free run that blows up
D_STSP_FREE = 1.0  # D_stsp above this: the free run has left the attractor; penalised in proportion
MAX_WINDOW_STEPS = 2000  # validation windows are cut here so one trial stays cheap
FREE_RUNS = 3  # free runs checked for stability besides those from the validation windows' contexts


class TuningError(ChaosLabError, ValueError):
    """Tuning cannot start: a bad budget, too little data, a family with nothing to tune."""


@dataclass(frozen=True)
class Trial:
    number: int
    score: float | None  # None: pruned or failed before a score
    state: str  # "complete", "pruned", "failed"
    params: dict
    seconds: float


@dataclass(frozen=True)
class TuningResult:
    """The chosen hyper-parameters (every one of the family, defaults filled in) and how they were found."""

    family: str
    params: dict
    score: float
    default_score: float | None
    trials: tuple[Trial, ...]
    seconds: float
    budget: float
    seed: int
    stopped: bool = False
    validation: dict = field(default_factory=dict)
    model: object = field(default=None, repr=False, compare=False)  # fitted on the whole series

    def provenance(self) -> dict:
        """What the store records so that Load reproduces the tuned model and says how it was chosen."""
        return {"tuned": True, "params": self.params, "score": self.score, "default_score": self.default_score,
                "trials": len(self.trials), "seconds": round(self.seconds, 2), "budget": self.budget,
                "seed": self.seed, "stopped": self.stopped, "validation": self.validation,
                "scores": [t.score for t in self.trials]}


def estimate_timescales(train: np.ndarray, dt: float, discrete: bool = False) -> Timescales:
    """Time scales from data alone: the mean period (Rosenstein) and λ1 from the series."""
    x = np.asarray(train, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    period = dt if discrete else lyapunov.mean_period(x[:, 0]) * dt
    try:
        lam = lyapunov.max_exponent_from_data(x[:, 0], dt).exponent
    except lyapunov.LyapunovError:
        lam = 1.0 / (10 * period)
    return Timescales(dt, period, 1.0 / lam if lam > 0 else 10 * period, x.shape[1], discrete)


def _suggest(trial, name: str, spec: Search, kind: type):
    if spec.choices is not None:
        return trial.suggest_categorical(name, list(spec.choices))
    if kind is int:
        return trial.suggest_int(name, int(spec.low), int(spec.high), log=spec.log)
    return trial.suggest_float(name, float(spec.low), float(spec.high), log=spec.log)


def holdout(n_train: int, points: int) -> dict:
    """``tune`` options that validate on the last ``points`` of an ``n_train``-point series, in one
    window, as the dysts benchmarks did (the model fitted on the rest, a fifth of that as context)."""
    if not 0 < points < n_train:
        raise TuningError(f"the validation part must be between 1 and {n_train - 1} points, got {points}")
    return {"validation": points / n_train, "windows": 1, "horizon": float("inf"),
            "context": max(1, (n_train - points) // 5)}


def _validation_windows(train: np.ndarray, fit_end: int, ts: Timescales, windows: int, horizon: float = 10.0):
    """``windows`` (history, truth) pairs with truths of ``horizon`` Lyapunov times inside
    ``train[fit_end:]`` (they overlap when the validation part is short). The history is all of
    the series before the truth, so every trial can take the context its settings need."""
    wanted = horizon * ts.lyapunov_time / ts.dt  # infinite: the whole validation part
    steps = int(min(MAX_WINDOW_STEPS, len(train) - fit_end, max(2, round(wanted)) if np.isfinite(wanted) else np.inf))
    last = len(train) - steps
    starts = np.linspace(fit_end, last, windows).astype(int) if windows > 1 else np.array([fit_end])
    return [(train[:s], train[s : s + steps]) for s in starts]


def _context(history: np.ndarray, model, context: int) -> np.ndarray:
    """The last ``context`` states of ``history``, or more if the model needs more."""
    return history[-max(context, model.min_context):]


def tune(family: str, train, dt: float, budget: float = 3.0, *, timescales: Timescales | None = None,
         n_trials: int | None = None, seed: int = 0, fixed: dict | None = None, validation: float = 0.2,
         windows: int = 4, context: int = 200, horizon: float = 10.0, eps: float = 0.5, progress=None,
         stop=None) -> TuningResult:
    """Search ``family``'s hyper-parameters for ``train`` (n, dim) sampled every ``dt``.

    ``budget`` seconds of wall time (and at most ``n_trials`` trials); ``fixed`` hyper-parameters
    are not searched. Validation windows last ``horizon`` Lyapunov times (the task's test
    horizon: a tuner cannot tell apart configurations beyond it). ``progress(fraction, info)`` gets each finished trial (``trial``, ``score``,
    ``best``); setting ``stop`` ends the search at the next validation window and keeps the best
    trial so far. Reproducible by ``seed`` for a given number of trials (a budget in seconds may
    end the sequence earlier on a slower machine).
    """
    import optuna

    if not (isinstance(budget, (int, float)) and np.isfinite(budget) and budget > 0):
        raise TuningError(f"the tuning budget must be a positive number of seconds, got {budget!r}")
    train = np.asarray(train, dtype=float)
    train = train[:, None] if train.ndim == 1 else train
    if not np.all(np.isfinite(train)):
        raise TuningError(f"the training series holds {np.size(train) - np.isfinite(train).sum()} NaN or infinite "
                          "values: there is nothing to tune on")
    cls = registry.family(family)
    ts = timescales or estimate_timescales(train, dt)
    if ts.lyapunov_time is None:  # validation windows are measured in Lyapunov times
        ts = dataclasses.replace(ts, lyapunov_time=estimate_timescales(train, dt, ts.discrete).lyapunov_time)
    fixed = dict(fixed or {})
    space = {k: v for k, v in cls.search_space(ts).items() if k not in fixed}
    if not space:
        raise TuningError(f"{family} has no hyper-parameters to tune")
    fit_end = int(len(train) * (1 - validation))
    defaults = registry.defaults(family, ts) | fixed
    needed = max(context, registry.create(family, ts, **fixed).min_context)
    if fit_end < 2 * needed or len(train) - fit_end < 20:
        raise TuningError(f"{len(train)} training points are too few to tune {family} on a validation split")
    checks = _validation_windows(train, fit_end, ts, windows, horizon)
    fit_part = train[:fit_end]
    scale = fit_part.std(axis=0)
    # the free run that checks stability reaches past the validation windows: a test window may be
    # longer than the validation part, and an instability that takes 3000 steps to show must show
    free_steps = int(min(5000, max(1000, 2 * len(checks[0][1]), 10 * ts.per_period)))
    blow_up = len(checks[0][1]) * dt / ts.lyapunov_time + BLOW_UP_PENALTY  # more than the windows can earn
    # free runs start from every window's context and from FREE_RUNS more points of the fitted part:
    # one context that happens to be benign must not vouch for a model that blows up elsewhere
    starts = [history for history, _ in checks] + [
        train[:end] for end in np.linspace(max(needed, fit_end // 3), fit_end, FREE_RUNS, endpoint=False).astype(int)]
    trials: list[Trial] = []
    started = time.perf_counter()

    def objective(trial) -> float:
        begun = time.perf_counter()
        params = defaults | {name: _suggest(trial, name, spec, cls.hyper[name].kind) for name, spec in space.items()}
        try:
            model = registry.create(family, **params)
            model.fit(fit_part, dt, stop=stop)
            vpts, errors = [], []
            for k, (ctx, truth) in enumerate(checks):
                if stop is not None and stop.is_set():
                    raise optuna.TrialPruned()
                scored = forecast_window(model, _context(ctx, model, context), truth, dt, 1 / ts.lyapunov_time,
                                         eps, scale)
                vpts.append(scored.vpt)
                errors.append(metrics.nrmse(truth[: len(scored.forecast)], scored.forecast, scale)
                              if len(scored.forecast) else 10.0)
                trial.report(float(np.mean(vpts)), k)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            score = float(np.mean(vpts)) - 1e-3 * min(float(np.mean(errors)), 10.0)
            score -= max(_free_run_penalty(model, _context(history, model, context), free_steps, fit_part, blow_up)
                         for history in starts)
        except optuna.TrialPruned:
            trials.append(Trial(trial.number, None, "pruned", params, time.perf_counter() - begun))
            raise
        except (Stopped, ForecastError, ValueError, np.linalg.LinAlgError) as exc:
            trial.set_user_attr("error", str(exc))
            score = -blow_up - 1.0  # worse than any configuration that forecasts at all
        trials.append(Trial(trial.number, score, "complete", params, time.perf_counter() - begun))
        return score

    def report(study, trial) -> None:
        elapsed = time.perf_counter() - started
        if stop is not None and stop.is_set():
            study.stop()
        elif trials and elapsed + elapsed / len(trials) > budget:  # the next trial would overrun the budget
            study.stop()
        if progress is not None:
            done = [t.value for t in study.trials if t.value is not None]
            progress(min(1.0, (time.perf_counter() - started) / budget),
                     {"trial": trial.number + 1, "score": trial.value, "best": max(done) if done else None})

    optuna.logging.set_verbosity(logging.WARNING)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=6, multivariate=True),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1))
    def clipped(values: dict) -> dict:  # a configuration inside the searched range
        return {k: values[k] if v.choices is not None else type(values[k])(np.clip(values[k], v.low, v.high))
                for k, v in space.items()}

    # the first trial is the time-aware defaults; the second, the family's cautious configuration
    # (strong regularisation: a free run that holds where the defaults' may not), run even when
    # the first trial used up the budget
    study.enqueue_trial(clipped(defaults))
    cautious = defaults | {k: v for k, v in cls.cautious(ts).items() if k in space}
    if cautious != defaults:
        study.enqueue_trial(clipped(cautious))
    study.optimize(objective, n_trials=n_trials, timeout=budget, callbacks=[report], catch=())
    if cautious != defaults and len(trials) == 1 and not (stop is not None and stop.is_set()) \
            and (n_trials is None or n_trials > 1):
        study.optimize(objective, n_trials=1, catch=())
    complete = sorted((t for t in trials if t.score is not None), key=lambda t: -t.score)
    if not complete:
        raise TuningError(f"tuning {family} was stopped before its first trial ended")
    best = complete[0]
    model, fitted_on, refit_seconds = _refit(family, best.params, train, fit_part, dt, starts, free_steps, context)
    first = trials[0] if trials and trials[0].number == 0 else None
    return TuningResult(family, model.hparams, best.score, first.score if first else None, tuple(trials),
                        time.perf_counter() - started, float(budget), int(seed), bool(stop is not None and stop.is_set()),
                        {"fit_points": fit_end, "windows": len(checks), "window_steps": len(checks[0][1]),
                         "free_run_steps": free_steps, "free_runs": len(starts), "best_trial": best.number,
                         "fitted_on": fitted_on,
                         "refit_seconds": round(refit_seconds, 3)}, model)


def _refit(family, params, train, fit_part, dt, starts, free_steps, context):
    """The chosen configuration fitted on the whole series if that fit's free runs, from the same
    starts as the validation's, hold; otherwise the validated fit on the first part. With the
    seconds the kept model's fit took (its fit alone: not the free runs that checked it)."""
    try:
        started = time.perf_counter()
        model = registry.create(family, **params).fit(train, dt)
        seconds = time.perf_counter() - started
        for history in starts:
            model.predict(_context(history, model, context), free_steps)
        return model, "the whole training series", seconds
    except (ForecastError, ValueError, np.linalg.LinAlgError):
        started = time.perf_counter()
        model = registry.create(family, **params).fit(fit_part, dt)
        return (model, f"the first {len(fit_part)} points (the refit on all of them was unstable)",
                time.perf_counter() - started)


HOLD_RIDGE_STEPS = 4  # ridge penalties tried by ``fit_that_holds``, each ten times the last


def fit_that_holds(family: str, params: dict, train, dt: float, steps: int, *,
                   timescales: Timescales | None = None) -> tuple:
    """``family`` with ``params`` fitted on ``train`` (n, dim), and its own free run from the end
    of ``train`` — where a forecast from these data starts — checked for ``steps``: a fit whose
    free run blows up is refitted more regularised, first with the family's ``cautious``
    configuration, then with its ridge penalty ten times stronger, up to ``HOLD_RIDGE_STEPS``
    times, then the same from the family's time-aware defaults, then from its least expressive
    configuration (``plainest``: NVAR's linear features). Returns ``(model, note)``: the
    first fit that holds and what was changed ("" when the given configuration held); if none
    holds, the last one tried, with a note saying so.

    Tuning validates a configuration on the data it was tuned on; a benchmark then fits that
    configuration on new data (the univariate benchmark: the head of each test series), where
    a configuration at the edge of stability may not hold. The check uses the fitted model's own
    free run from its own data: no future value is looked at, as a user who runs the forecast on
    beyond its horizon before trusting it would do."""
    train = np.asarray(train, dtype=float)
    train = train[:, None] if train.ndim == 1 else train
    cls = registry.family(family)
    tried = 0
    model = None
    for config, change in _regularised(family, cls, dict(params), train, dt, timescales):
        tried += 1
        model = registry.create(family, **config).fit(train, dt)
        try:
            model.predict(train, steps)
        except BlowUp:
            continue
        return model, (f"{family}'s free run blew up on these data: refitted with {change}" if change else "")
    return model, f"{family}'s free run blew up on these data in every configuration tried ({tried})"


def _regularised(family: str, cls, params: dict, train, dt: float, timescales):
    """``(configuration, what changed)`` in the order ``fit_that_holds`` tries them; the time
    scales the cautious configuration and the defaults need are estimated only if the given
    configuration did not hold."""
    yield params, ""
    ts = timescales or estimate_timescales(train, dt)
    cautious = cls.cautious(ts)
    start = params | {k: v for k, v in cautious.items() if k in cls.hyper}
    yield from _and_stronger_ridge(cls, start, "the cautious configuration (" + _values(cautious) + ")"
                                   if start != params else "")
    # then the family's time-aware defaults, as cautiously (NVAR's: quadratic, two delays)
    plain = registry.defaults(family, ts) | {k: v for k, v in cautious.items() if k in cls.hyper}
    if plain != start:
        yield from _and_stronger_ridge(cls, plain, "its time-aware defaults")
    # last, the family's least expressive model (NVAR's linear features alone)
    simplest = plain | cls.plainest(ts)
    if simplest != plain:
        yield from _and_stronger_ridge(cls, simplest,
                                       "its least expressive configuration (" + _values(cls.plainest(ts)) + ")")


def _and_stronger_ridge(cls, config: dict, named: str):
    """``config`` said as ``named`` (not again when ``named`` is empty: it was tried as given),
    then the same with a stronger ridge penalty each time."""
    if named:
        yield config, named
    for stronger, change in _stronger_ridge(cls, config):
        yield stronger, f"{named} and {change}" if named else change


def _values(config: dict) -> str:
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in config.items())


def _stronger_ridge(cls, config: dict) -> list[tuple[dict, str]]:
    """``config`` with its ridge penalty ten, a hundred … times stronger, within its bounds."""
    if "ridge" not in cls.hyper:
        return []
    high = cls.hyper["ridge"].bounds[1]
    ridge, steps = max(float(config.get("ridge", cls.hyper["ridge"].default)), 1e-8), []
    for _ in range(HOLD_RIDGE_STEPS):
        if ridge >= high:
            break
        ridge = min(ridge * 10.0, high)
        steps.append((config | {"ridge": ridge}, f"ridge {ridge:.0e}"))
    return steps


def _free_run_penalty(model, context: np.ndarray, steps: int, reference: np.ndarray, blow_up: float) -> float:
    """Lyapunov times taken off for a free run that blows up (``blow_up``) or leaves the attractor."""
    try:
        free = model.predict(context, steps)
    except BlowUp:
        return blow_up
    d_stsp = metrics.state_space_divergence(reference, free, bins=15)
    return float(min(BLOW_UP_PENALTY, 0.5 * max(0.0, d_stsp - D_STSP_FREE)))
