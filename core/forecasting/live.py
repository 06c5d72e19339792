"""The Forecast tab's request as one job: data, a model (stored, tuned, trained or shipped), scores.

``run(ForecastRequest, job=…)`` runs on a Dask worker. It publishes the short-term ``Outcome`` as
soon as the test window is forecast (``job.publish``), then adds the free run, its attractor
metrics and images; while a neural model trains, a "preview" request is answered with a forecast
from the best checkpoint so far. The experiment itself is ``core.forecasting.experiment``'s (the model chosen by
``experiment.fit``, the policy the sweep and pretraining share), the search ``core.forecasting.tuning``'s; this
module only sequences them, with the model store between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core import systems
from core.dynamics import catalog_spectra
from core.errors import Stopped
from core.forecasting import experiment, pretrain
from core.forecasting.store import ModelStore
from core.pictures import rollout


def _exponents(values) -> str:
    return ", ".join(f"{v:.3g}" for v in values)


def system_label(system: systems.System) -> str:
    """The system and its changed parameters, as the page names a result's origin."""
    changed = {k: v for k, v in system.changed_params().items() if np.ndim(v) == 0}
    return system.name + (" (" + ", ".join(f"{k} = {float(v):g}" for k, v in changed.items()) + ")" if changed else "")


@dataclass
class Outcome:
    """One model's result: the split it was judged on and its scores. ``long`` is None until the
    free run and its metrics arrive."""

    family: str
    split: experiment.Split
    short: experiment.ForecastScores
    source: str
    fit_time: float
    notes: list = field(default_factory=list)
    equations: list = field(default_factory=list)
    history: np.ndarray | None = None
    tuning: dict | None = None
    long: experiment.AttractorScores | None = None
    images: dict | None = None  # the truth's and free run's density images on one extent
    preview: bool = False  # a forecast from the best checkpoint while training goes on

    @property
    def system(self) -> systems.System:
        return self.split.task.system

    @property
    def origin(self) -> tuple:
        """What the result belongs to: system, its parameters and the sampling step."""
        return self.system.dynamics_key + (self.split.dt,)

    def row(self) -> dict:
        """One line of the comparison table."""
        long = self.long or experiment.AttractorScores(None)
        window = self.short.windows[0]
        return {"model": self.family, "system": system_label(self.system), "source": self.source,
                "VPT (Λt)": self.short.vpt, "blew up after (steps)": window.blew_up_after,
                "NRMSE (1 Λt)": self.short.nrmse, "sMAPE": self.short.smape, "fit (s)": self.fit_time,
                "D_stsp": long.d_stsp, "D_H": long.d_h, "λ1 free run": long.lambda_free,
                "spectrum (model's own)": _exponents(long.spectrum.exponents) if long.spectrum is not None else "",
                "spectrum (truth)": self.truth_spectrum(),
                "tuned": "yes" if self.tuning else "no"}

    def truth_spectrum(self) -> str:
        """The truth's leading exponents beside the model's: the lab's catalog table at published
        parameters, else λ1 alone (the split's, what the horizons are measured in)."""
        entry = catalog_spectra.entry(self.system)
        if entry is None:
            return f"{self.split.lam:.3g}, …"
        return _exponents(entry.exponents[: self.system.dim])


@dataclass(frozen=True)
class ForecastRequest:
    """What the page asks for. ``tune_budget`` (seconds) searches the hyper-parameters first;
    ``azimuth``/``elevation`` are the camera of the attractor images; ``store`` is the model
    store's folder (the server's, so a worker on this machine reads and writes the same one)."""

    task: experiment.ForecastTask
    family: str
    hparams: dict
    load_only: bool = False
    pretrained: bool = False
    tune_budget: float | None = None
    azimuth: float = 30.0
    elevation: float = 20.0
    store: str | None = None


def run(request: ForecastRequest, *, job) -> Outcome:
    """A job: the request's outcome, short-term part published first (see the module doc)."""
    try:
        if request.pretrained:
            return _pretrained(request, job)
        return _trained(request, job)
    except Stopped:
        what = ("auto was stopped while it was choosing" if request.family == experiment.AUTO
                else "training stopped before its first epoch ended")
        raise Stopped(f"{what}; the previous models are kept") from None


def _pretrained(request: ForecastRequest, job) -> Outcome:
    """A checkpoint shipped in assets/: trained by ``python -m core.forecasting.pretrain``, not here."""
    task, family = request.task, request.family
    shipped = pretrain.load(family, task.system.name)
    meta = shipped.meta
    split = experiment.make_split(replace(task, dt=None if shipped.zero_shot else meta["dt"]))
    if shipped.zero_shot:
        seen = task.system.name in meta["trained_on"]
        source = ("pretrained on " + str(len(meta["trained_on"])) + " flows; " +
                  (f"{task.system.name} was among them, so this is not zero-shot" if seen else
                   f"zero-shot: {task.system.name} was never seen in training"))
    else:
        changed = list(task.system.changed_params())
        source = (f"pretrained ({meta['created']}, {meta['fit_seconds']} s, published parameters at dt = {split.dt:g})"
                  + (f"; you changed {', '.join(changed)}, so it forecasts a system it was not trained on"
                     if changed else ""))
    outcome = short_term(shipped.model, split, family, source, float(meta["fit_seconds"]))
    if shipped.zero_shot:  # say plainly how good that is: against the simplest references on the same window
        base = experiment.reference_vpts(split)
        vpt = outcome.short.vpt
        verdict = "better than" if vpt > base["nvar"] else "worse than"
        outcome.notes.insert(0, f"Zero-shot honesty: VPT {vpt:.2f} Λt here, against persistence "
                                f"{base['persistence']:.2f} and an NVAR trained on this very system in a second "
                                f"{base['nvar']:.2f}; the pretrained transformer is {verdict} the NVAR")
    return _long_term(outcome, shipped.model, request, job)


def _trained(request: ForecastRequest, job) -> Outcome:
    task, family, hparams = request.task, request.family, request.hparams
    store = ModelStore(Path(request.store)) if request.store else ModelStore()
    job.progress(0.0, {"stage": "integrating the system and its λ1"})
    split = experiment.make_split(task)
    # the model by experiment.fit's policy, the sweep's and pretraining's: tuned when asked (a search
    # remembered in the store is not run again), else the widgets' hyper-parameters
    tuned, searched = None, None
    if request.tune_budget:
        budget = request.tune_budget
        settings = {"budget": budget, "horizon": task.horizon, "eps": task.eps}
        tuned = store.load_tuning(split.spec(family, {}), settings)
        if tuned is None:
            job.progress(0.0, {"stage": f"tuning for {budget:g} s"})
            searched = experiment.fit(split, family, hparams, budget=budget, seed=task.seed, stop=job.stop,
                                    progress=lambda f, info=None: job.progress(0.7 * f, info))
            if searched.tuning is not None:
                tuned = searched.tuning.provenance()
                if not searched.tuning.stopped:  # a stopped search is shown with its best trial, not remembered
                    store.save_tuning(split.spec(family, {}), settings, tuned)
        if tuned is not None:
            hparams = dict(tuned["params"])
    spec = split.spec(family, hparams)
    record = store.load(spec)
    source, stopped = "loaded from the store", False
    if record is None and searched is not None:  # the search's refit on the whole training series
        model, fit_time = searched.model, searched.fit_seconds
        if searched.tuning is not None:
            source = f"refitted on the whole training series in {fit_time:.2f} s"
            if searched.tuning.stopped:
                source += f"; tuning stopped after {len(searched.tuning.trials)} trials, the best one kept"
        else:  # too little data to tune on: the widgets' values, fitted
            source = f"trained in {fit_time:.2f} s; {searched.note}"
    elif record is None:
        if request.load_only:
            raise ValueError(f"no stored {family} model for this configuration: train it first")
        job.progress(0.7 if tuned else 0.0, {"stage": "fitting"})
        fitting = {}  # the model being fitted, for a preview of its best checkpoint so far

        def progress(fraction, info=None):
            job.progress(0.8 * fraction, info)
            if job.requested("preview") and "model" in fitting:
                _preview(fitting["model"], split, family, job)

        fitted = experiment.fit(split, family, hparams, progress=progress, stop=job.stop,
                              created=lambda model: fitting.update(model=model))
        model, fit_time = fitted.model, fitted.fit_seconds
        source = f"trained in {fit_time:.2f} s"
        if family == experiment.AUTO:  # its search is part of its fit: say how long the choice took
            source = (f"{fitted.trials} trials of {len(model.scores_)} families in {fitted.search_seconds:.1f} s, "
                      f"{model.chosen_} refitted in {fit_time:.2f} s")
        stopped = job.stop.is_set()
        if stopped:
            source += f", stopped: best checkpoint of epoch {model.best_epoch_} kept"
    else:
        model, fit_time = record.model, record.metrics.get("fit_time", float("nan"))
        tuned = record.provenance.get("tuning", tuned)
    if tuned:
        source += (f"; tuned: {tuned['trials']} trials in {tuned['seconds']:g} s, validation score "
                   f"{tuned['score']:.2f} Λt (defaults {tuned['default_score']:.2f})"
                   if tuned.get("default_score") is not None else f"; tuned ({tuned['trials']} trials)")
    label = f"{family} → {model.chosen_}" if family == experiment.AUTO else family
    outcome = _long_term(short_term(model, split, label, source, fit_time, tuned), model, request, job)
    if record is None and not stopped:  # a stopped model is shown, never stored as the finished one
        numbers = {k: v for k, v in outcome.row().items() if isinstance(v, float) and math.isfinite(v)}
        store.save(spec, model, metrics=numbers | {"fit_time": fit_time},
                   provenance={"tuning": tuned} if tuned else {"tuning": None, "hparams": "as given"})
    return outcome


def short_term(model, split: experiment.Split, family: str, source: str, fit_time: float, tuned=None) -> Outcome:
    """The short-term result: the forecast of the test windows, their VPT and errors."""
    context, _ = split.window(0, model.min_context)
    history = model.loss_history_ if model.is_iterative else None  # epochs: only iterative families have them
    return Outcome(family, split, experiment.score_forecast(model, split), source, fit_time,
                   model.notes(context), model.equations(), history, tuned)


def _preview(model, split, family, job) -> None:
    """Answer the page's "show best so far": a forecast from the best checkpoint, published."""
    snapshot = model.snapshot()
    if snapshot is None:
        return
    source = f"preview: best checkpoint of epoch {snapshot.best_epoch_}, training goes on"
    job.publish(replace(short_term(snapshot, split, family, source, float("nan")), preview=True))


def _long_term(outcome: Outcome, model, request: ForecastRequest, job) -> Outcome:
    """Publish the short-term result at once, then add the free run, its metrics and images."""
    job.publish(replace(outcome))
    job.progress(0.85, {"stage": "free run and attractor metrics"})
    outcome.long = experiment.score_attractor(model, outcome.split)
    free = outcome.long.free
    outcome.images = rollout.images(outcome.split.long_truth(), free, outcome.system.kind != "map",
                                    request.azimuth, request.elevation,
                                    f"{outcome.family}: free run of {len(free)} steps" if free is not None else "")
    job.progress(0.95, {"stage": "metrics"})
    return outcome
