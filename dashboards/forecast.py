"""The forecast tab: train (tuned or by hand) or load a model on the selected system, and judge it.

The experiment itself — split, λ1, scores — is ``core.evaluate``'s and the search is
``core.tuning``'s; this module only runs them on the training service and draws what they return.
Short term first (the forecast, its VPT and the error growth, about a second after Train), long
term after (the free-run attractor beside the truth on the same axes, D_stsp, D_H, λ1 of the free
run), and the comparison of this session's models.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from core import evaluate, integrate, lyapunov, metrics, pretrain, systems, training, tuning
from core.forecasters import registry
from core.forecasters.base import FitStopped, ForecastError
from core.store import ModelStore, StoreError
from dashboards.render import density, project
from dashboards.selection import Selection

MAX_COMPARED = 6  # models kept per session for the comparison
PREVIEWS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaoslab-preview")  # best-so-far forecasts
DEFAULT_BUDGET = {False: 3.0, True: 60.0}  # seconds of tuning: classical families, iterative (torch) ones


def _padded_extent(*clouds: np.ndarray, pad: float = 0.1) -> tuple[float, float, float, float]:
    """The 2-D bounding box of all ``clouds`` widened by ``pad`` of its size on each side."""
    points = np.vstack(clouds)
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = pad * (hi - lo)
    return lo[0] - margin[0], hi[0] + margin[0], lo[1] - margin[1], hi[1] + margin[1]


def _loss_figure(data) -> hv.Overlay:
    """Training and validation loss per epoch, on a log scale."""
    data = np.asarray(data).reshape(-1, 3)
    floor = 1e-12
    return (hv.Curve((data[:, 0], np.maximum(data[:, 1], floor)), "epoch", "loss", label="training")
            * hv.Curve((data[:, 0], np.maximum(data[:, 2], floor)), "epoch", "loss", label="validation")
            ).opts(hv.opts.Curve(logy=True, width=480, height=220, tools=["hover"], framewise=True),
                   hv.opts.Overlay(legend_position="top_right", framewise=True))


def _trials_figure(data) -> hv.Overlay:
    """Validation score of each tuning trial, and the best so far."""
    data = np.asarray(data, dtype=float).reshape(-1, 2)
    best = np.fmax.accumulate(data[:, 1]) if len(data) else data[:, 1]
    return (hv.Scatter((data[:, 0], data[:, 1]), "trial", "validation score (Λt)", label="trial").opts(size=5)
            * hv.Curve((data[:, 0], best), "trial", "validation score (Λt)", label="best so far")
            ).opts(hv.opts.Scatter(tools=["hover"], framewise=True, color="#4c6ef5"),
                   hv.opts.Curve(color="#d9480f", framewise=True),
                   hv.opts.Overlay(width=480, height=220, legend_position="bottom_right", framewise=True))


def _series_panel(i: int, data=None) -> hv.Overlay:
    """Coordinate ``i`` of the truth and the forecast on a Lyapunov-time axis, with the VPT marked.

    Drawn by a DynamicMap fed by a Pipe: a new result patches the plot's data in the browser
    instead of building new figures (a new Bokeh figure costs the page hundreds of milliseconds).
    """
    empty = np.zeros(0)
    t, truth, tf, forecast, vpt = empty, empty, empty, empty, 0.0
    if data is not None and i < data["truth"].shape[1]:
        t, truth, vpt = data["t"], data["truth"][:, i], data["vpt"]
        tf, forecast = t[: len(data["forecast"])], data["forecast"][:, i]
    return (hv.Curve((t, truth), "Lyapunov times", f"x{i}", label="truth")
            * hv.Curve((tf, forecast), "Lyapunov times", f"x{i}", label="forecast").opts(line_dash="dashed")
            * hv.VLine(vpt).opts(color="#d9480f")).opts(
        hv.opts.Curve(framewise=True), hv.opts.Overlay(width=480, height=150, show_legend=i == 0, framewise=True))


def _growth_panel(data=None) -> hv.Overlay:
    """Normalised error of the forecast against e^{λ1 t} and the threshold ε, on a log scale."""
    t, err, reference, eps = np.arange(1.0, 3.0), np.ones(2), np.ones(2), 0.5
    if data is not None and len(data["err"]):
        t, err, reference, eps = data["t"], data["err"], data["reference"], data["eps"]
    return (hv.Curve((t, err), "Lyapunov times", "normalised error", label="model")
            * hv.Curve((t, reference), "Lyapunov times", "normalised error", label="e^{λ1 t}").opts(
                color="grey", line_dash="dotted")
            * hv.HLine(eps).opts(color="#d9480f")).opts(
        hv.opts.Curve(framewise=True),
        hv.opts.Overlay(logy=True, width=480, height=460, legend_position="bottom_right", framewise=True))


def _attractor_panel(which: str, data=None) -> hv.Image:
    """The truth's or the free run's density image; both share one extent, so one pair of axes."""
    image, title = (np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.full((2, 2), np.nan)), which
    if data is not None and data.get(which) is not None:
        image, title = data[which], data["titles"][which]
    return hv.Image(image, ["projected x", "projected y"], "count").opts(
        cmap="fire", bgcolor="#0b0b12", title=title, width=420, height=360, framewise=True)


def _sentence(note: str) -> str:
    """A note as a sentence: capitalised (Latin letters only: λ1 stays λ1), with a full stop."""
    return (note[:1].upper() if note[:1].isascii() else note[:1]) + note[1:] + "."


def system_label(system: systems.System) -> str:
    """The system and its changed parameters, as the page names a result's origin."""
    changed = {k: v for k, v in system.changed_params().items() if np.ndim(v) == 0}
    return system.name + (" (" + ", ".join(f"{k} = {float(v):g}" for k, v in changed.items()) + ")" if changed else "")


@dataclass
class Outcome:
    """One model's result as the page shows it: the split it was judged on and its scores.
    ``long`` is None until the free run and its metrics arrive."""

    family: str
    split: evaluate.Split
    short: evaluate.ForecastScores
    source: str
    fit_time: float
    notes: list = field(default_factory=list)
    equations: list = field(default_factory=list)
    history: np.ndarray | None = None
    tuning: dict | None = None
    long: evaluate.AttractorScores | None = None
    images: dict | None = None  # the attractor images, aggregated off the event loop

    @property
    def system(self) -> systems.System:
        return self.split.task.system

    @property
    def origin(self) -> tuple:
        """What the result belongs to: system, its parameters and the sampling step."""
        return evaluate.system_key(self.system) + (self.split.dt,)

    def row(self) -> dict:
        """One line of the comparison table (display labels live here, in the page)."""
        long = self.long or evaluate.AttractorScores(None)
        window = self.short.windows[0]
        return {"model": self.family, "system": system_label(self.system), "source": self.source,
                "VPT (Λt)": self.short.vpt, "blew up after (steps)": window.blew_up_after,
                "NRMSE (1 Λt)": self.short.nrmse, "sMAPE": self.short.smape, "fit (s)": self.fit_time,
                "D_stsp": long.d_stsp, "D_H": long.d_h, "λ1 free run": long.lambda_free,
                "tuned": "yes" if self.tuning else "no"}


class ForecastDashboard(param.Parameterized):
    """Train / Stop / Load, the forecast views, and the comparison of this session's models."""

    family = param.Selector(default="nvar", objects=registry.names())
    n_train = param.Integer(default=10_000, bounds=(500, 200_000), doc="training points")
    train_noise = param.Number(default=0.0, bounds=(0.0, 1.0), doc="observation noise on the training data (× std)")
    horizon = param.Number(default=10.0, bounds=(0.5, 100.0), doc="forecast horizon in Lyapunov times")
    eps = param.Number(default=0.5, bounds=(0.01, 5.0), doc="VPT threshold on the normalised error")
    seed = param.Integer(default=0, bounds=(0, 100_000))
    auto_tune = param.Boolean(default=True, doc="search the hyper-parameters on a validation split first")
    budget = param.Number(default=3.0, bounds=(0.5, 3600.0), doc="seconds of tuning")

    def __init__(self, selection: Selection, store: ModelStore | None = None, **params):
        super().__init__(**params)
        self.sel = selection
        self.store = store or ModelStore()
        self._token, self._job, self._poll, self._cleanup_registered = 0, None, None, False
        self._early: tuple | None = None  # (token, Outcome): the short-term result, outside a server session
        self._doc = None  # the session's Bokeh document: the job hands the short-term result to it directly
        self._live_model, self._epochs_shown, self._trials_shown = None, 0, 0
        self.shown: Outcome | None = None
        self.results: list[Outcome] = []
        self.queue_note = pn.pane.Markdown("", css_classes=["forecast-queue"])
        self.hyper_box = pn.Column(sizing_mode="stretch_width")
        self._hyper_widgets: dict = {}
        self.param.watch(lambda e: self._on_family(), "family")
        # with auto-tune on, the hyper-parameter widgets show what the search chose: read-only
        self.param.watch(lambda e: self._lock_hyper(), "auto_tune")
        self.sel.param.watch(lambda e: self._on_selection(), ["system", "params", "dt"])
        self._build_hyper()
        self.train_button = pn.widgets.Button(name="Train", button_type="primary", width=90)
        self.load_button = pn.widgets.Button(name="Load", width=90)
        self.stop_button = pn.widgets.Button(name="Stop", button_type="warning", width=90, visible=False)
        self.train_button.on_click(lambda _: self.request(load_only=False))
        self.load_button.on_click(lambda _: self.request(load_only=True))
        self.stop_button.on_click(lambda _: self._job is not None and training.service().cancel(self._job))
        self.pretrained_button = pn.widgets.Button(name="Load pretrained", width=130)
        self.pretrained_button.on_click(lambda _: self.request(load_only=True, pretrained=True))
        self.preview_button = pn.widgets.Button(name="Show best so far", width=140, visible=False)
        self.preview_button.on_click(self._preview)
        # the live loss curve: a Pipe streams (epoch, training loss, validation loss) into one plot
        self.loss_pipe = hv.streams.Pipe(data=np.zeros((0, 3)))
        self.loss_pane = pn.pane.HoloViews(hv.DynamicMap(_loss_figure, streams=[self.loss_pipe]),
                                           linked_axes=False, css_classes=["forecast-loss"])
        self.loss_box = pn.Column("#### Training loss (per epoch)", self.loss_pane)
        # tuning: each trial's validation score as it finishes
        self.trials_pipe = hv.streams.Pipe(data=np.zeros((0, 2)))
        self.tuning_note = pn.pane.Markdown("", css_classes=["forecast-tuning"], sizing_mode="stretch_width")
        self.trials_box = pn.Column("#### Tuning: validation score per trial", self.tuning_note, visible=False)
        self.training_note = pn.pane.Markdown("", css_classes=["forecast-training"], sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["forecast-about"], sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=260, bar_color="info",
                                               css_classes=["forecast-progress"])
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["forecast-error"],
                                     sizing_mode="stretch_width")
        self.stale = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["forecast-stale"],
                                   sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", css_classes=["forecast-summary"], sizing_mode="stretch_width")
        self.long_note = pn.pane.Markdown("", css_classes=["forecast-long"], sizing_mode="stretch_width")
        self.equations = pn.pane.Markdown("", css_classes=["forecast-equations"])
        # the result views are fed by Pipes and built on the first Train (see _build_views)
        self.series_pipe, self.growth_pipe, self.attractor_pipe = (hv.streams.Pipe(data=None) for _ in range(3))
        self.series_panes, self.attractor_panes = [], {}
        self.series_box, self.growth_box = pn.Column(), pn.Column()
        self.attractors = pn.Row(css_classes=["forecast-attractors"])
        # a Tabulator: click a column header to sort the session's models by any metric
        self.table = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, sizing_mode="stretch_width",
                                          css_classes=["forecast-table"], layout="fit_data_table")
        self.grid = pn.GridBox(ncols=3)
        self._grid_panes: list[tuple[Outcome, pn.pane.HoloViews]] = []
        self._on_family()

    # -- widgets ------------------------------------------------------------------------------
    def _timescales(self):
        """Time scales of the selection for the widgets' defaults (λ1 is not needed for them)."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError):
            return None
        return evaluate.timescales(system, float(self.sel.dt or system.dt)) if system.kind != "delay" else None

    def _tunable(self) -> bool:
        ts = self._timescales()
        return ts is not None and bool(registry.family(self.family).search_space(ts))

    def _on_family(self) -> None:
        iterative = registry.family(self.family).is_iterative
        self.auto_tune = not iterative and self._tunable()  # on by default for the classical families only
        self.budget = DEFAULT_BUDGET[iterative]
        self.loss_box.visible = iterative  # no epochs, no loss curve
        self._build_hyper()

    def _build_hyper(self) -> None:
        widgets = {}
        values = registry.defaults(self.family, self._timescales())
        for name, spec in registry.schema(self.family).items():
            if spec.choices is not None:
                widget = pn.widgets.Select(name=name, options=list(spec.choices), value=values[name], width=150)
            elif spec.kind is int:
                widget = pn.widgets.IntInput(name=name, value=values[name], width=150)
            else:
                widget = pn.widgets.FloatInput(name=name, value=values[name], width=150)
            widget.description = spec.doc
            widgets[name] = widget
        self._hyper_widgets = widgets
        about = pn.pane.Markdown(f"**{self.family}**: {registry.family(self.family).describe_family()}",
                                 css_classes=["forecast-family"], sizing_mode="stretch_width")
        self.hyper_box.objects = [about, pn.FlexBox(*widgets.values()) if widgets
                                  else pn.pane.Markdown("*no hyper-parameters*")]
        self._lock_hyper()

    def _lock_hyper(self) -> None:
        for widget in self._hyper_widgets.values():
            widget.disabled = bool(self.auto_tune)

    def _fill_hyper(self, values: dict) -> None:
        for name, value in values.items():
            if name in self._hyper_widgets:
                self._hyper_widgets[name].value = value

    def _on_selection(self) -> None:
        """A new system or sampling: time-aware defaults follow it, and a result shown for the old
        one says plainly that it belongs to the old one."""
        ts = self._timescales()
        if ts is not None:
            self._fill_hyper(registry.family(self.family).defaults(ts))
        self._mark_stale()

    def _mark_stale(self) -> None:
        if self.shown is None:
            self.stale.visible = False
            return
        try:
            system = self.sel.current_system()
            current = evaluate.system_key(system) + (float(self.sel.dt or system.dt),)
        except (KeyError, ValueError):
            current = None
        if current == self.shown.origin:
            self.stale.visible = False
            return
        self.stale.object = (f"**The result below belongs to {system_label(self.shown.system)} "
                             f"(dt = {self.shown.split.dt:g}), not to the system now selected.** "
                             "Press Train to forecast the selected system.")
        self.stale.visible = True

    def controls(self):
        return pn.Column(
            pn.Row(pn.widgets.Select.from_param(self.param.family, name="Model", width=160),
                   pn.widgets.IntInput.from_param(self.param.n_train, name="Training points", width=130),
                   pn.widgets.FloatInput.from_param(self.param.train_noise, name="Training noise", width=110),
                   pn.widgets.FloatInput.from_param(self.param.horizon, name="Horizon (Lyapunov times)", width=170),
                   pn.widgets.FloatInput.from_param(self.param.eps, name="ε", width=80),
                   pn.widgets.IntInput.from_param(self.param.seed, name="Seed", width=90)),
            pn.Row(pn.widgets.Checkbox.from_param(self.param.auto_tune, name="Auto-tune", css_classes=["forecast-autotune"],
                                                  width=100, align="center"),
                   pn.widgets.FloatInput.from_param(self.param.budget, name="Tuning budget (s)", width=130)),
            # the buttons sit above the hyper-parameters, whose height changes with the family
            pn.Row(self.train_button, self.load_button, self.pretrained_button, self.stop_button,
                   self.preview_button, self.progress, self.queue_note),
            self.training_note,
            pn.Card(self.hyper_box, title="Hyper-parameters", collapsed=False, sizing_mode="stretch_width"),
        )

    def main(self):
        return pn.Column(
            self.controls(), self.message, self.stale, self.summary, self.about, self.equations, self.trials_box,
            self.loss_box,
            pn.Row(pn.Column("#### Truth and forecast", self.series_box),
                   pn.Column("#### Error growth", self.growth_box)),
            pn.Column("#### Attractors: truth and the model's free run (same axes)", self.long_note, self.attractors),
            pn.Column("#### Models of this session", self.table, self.grid),
            sizing_mode="stretch_width",
        )

    def _build_views(self) -> None:
        """The plots of a result, made once, on the first request: every later result patches
        their data through the Pipes. Not at page load — seven figures would add a second to the
        first paint of every visitor, most of whom never open this tab."""
        if self.series_panes:
            return
        self.series_panes = [pn.pane.HoloViews(hv.DynamicMap(partial(_series_panel, i), streams=[self.series_pipe]),
                                               linked_axes=False) for i in range(3)]
        self.series_box.objects = self.series_panes
        self.growth_box.objects = [pn.pane.HoloViews(hv.DynamicMap(_growth_panel, streams=[self.growth_pipe]),
                                                     linked_axes=False)]
        self.attractor_panes = {which: pn.pane.HoloViews(
            hv.DynamicMap(partial(_attractor_panel, which), streams=[self.attractor_pipe]), linked_axes=False)
            for which in ("truth", "free")}
        self.attractors.objects = list(self.attractor_panes.values())
        self.trials_box.append(pn.pane.HoloViews(hv.DynamicMap(_trials_figure, streams=[self.trials_pipe]),
                                                 linked_axes=False, css_classes=["forecast-trials"]))

    # -- jobs ---------------------------------------------------------------------------------
    def _hparams(self) -> dict:
        hparams = {name: w.value for name, w in self._hyper_widgets.items()}
        registry.create(self.family, **hparams)  # validates (ValueError with the bound)
        return hparams

    def _task(self, system, dt=None) -> evaluate.ForecastTask:
        return evaluate.ForecastTask(system, dt=dt or self.sel.dt or None, n_train=self.n_train,
                                     noise=float(self.train_noise), seed=int(self.seed), horizon=float(self.horizon),
                                     eps=float(self.eps))

    def request(self, load_only: bool, pretrained: bool = False) -> None:
        try:
            system = self.sel.current_system()
            hparams = self._hparams()
            task = self._task(system)
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return
        tune_budget = float(self.budget) if self.auto_tune and self._tunable() and not (load_only or pretrained) \
            else None
        self._build_views()
        self._token += 1
        token = self._token
        if self._job is not None:
            training.service().cancel(self._job)
        family = self.family

        def work(progress, stop):
            return self._work(token, task, family, hparams, load_only, progress, stop, pretrained, tune_budget)

        in_session = pn.state.curdoc is not None and pn.state.curdoc.session_context is not None
        if not in_session:  # tests, notebooks: run here
            outcome = work(None, threading.Event())
            early, self._early = self._early, None
            if early is not None and isinstance(outcome, Outcome):
                self._publish(*early)
            self._publish(token, outcome)
            return
        owner = pn.state.curdoc.session_context.id
        if not self._cleanup_registered:
            # a closed tab's jobs are cancelled, not left running for nobody
            pn.state.on_session_destroyed(lambda ctx: training.service().cancel_owner(ctx.id))
            self._cleanup_registered = True
        try:
            self._job = training.service().submit(work, owner=owner, label=f"{family} on {system.name}")
        except training.QueueFull as exc:
            self._show_error(str(exc))
            return
        self.progress.value, self.progress.visible, self.stop_button.visible = 0, True, True
        self.preview_button.visible = registry.family(family).is_iterative and not (load_only or pretrained)
        self.train_button.disabled = True
        self._live_model, self._epochs_shown, self._trials_shown = None, 0, 0
        self._doc = pn.state.curdoc
        self.loss_pipe.send(np.zeros((0, 3)))
        if tune_budget:
            self.trials_pipe.send(np.zeros((0, 2)))
            self.trials_box.visible, self.tuning_note.object = True, ""
        verb = "loading" if load_only else ("tuning and training" if tune_budget else "training")
        self.training_note.object = f"*{verb} {family} on {system_label(system)}…*"
        self._poll = pn.state.add_periodic_callback(partial(self._watch, token, self._job), period=100)

    def _watch(self, token, job) -> None:
        """On the event loop: mirror the job's progress and queue position; publish what is ready."""
        position = training.service().queue_position(job)
        self.progress.value = int(100 * job.progress)
        self._show_training(job)
        self.queue_note.object = f"*waiting: position {position} in the server's training queue*" if position else ""
        if not job.done:
            return
        self._poll.stop()
        self.queue_note.object = ""
        self.train_button.disabled = False
        if token == self._token:
            self.progress.visible, self.stop_button.visible, self.preview_button.visible = False, False, False
            self._show_training(job, final=True)
        if job.state == training.DONE:
            self._publish(token, job.result)
        elif job.state == training.CANCELLED:
            self._publish(token, {"error": "training stopped; the previous models are kept"})
        else:
            self._publish(token, {"error": job.error})

    def _show_training(self, job, final: bool = False) -> None:
        """Stream the loss curve and the tuning trials; say where the job stands (epoch, ETA)."""
        history = list(job.history)
        trials = [info for _, info in history if "trial" in info and info.get("score") is not None]
        if len(trials) != self._trials_shown:
            self._trials_shown = len(trials)
            self.trials_pipe.send(np.array([[i["trial"], i["score"]] for i in trials]))
            best = max(i["score"] for i in trials)
            self.tuning_note.object = f"*{len(trials)} trials, best validation score {best:.2f} Λt*"
        epochs = [info for _, info in history if "epoch" in info and "loss" in info]
        if len(epochs) != self._epochs_shown:
            self._epochs_shown = len(epochs)
            self.loss_pipe.send(np.array([[i["epoch"], i["loss"], i["val_loss"]] for i in epochs]))
        if final:
            done = "stopped" if job.stop.is_set() else {training.DONE: "finished", training.CANCELLED: "stopped",
                                                         training.FAILED: "failed"}[job.state]
            last = f" after {epochs[-1]['epoch']} epochs" if epochs else ""
            self.training_note.object = f"*{job.label}: {done}{last} in {job.finished - job.started:.1f} s*" \
                if job.started else ""
            return
        if epochs:
            info = epochs[-1]
            eta = job.eta
            self.training_note.object = (
                f"*{job.label}: epoch {info['epoch']} · training loss {info['loss']:.3g} · "
                f"validation loss {info['val_loss']:.3g} · about {eta:.0f} s left*" if eta is not None else "")
        elif job.state == training.RUNNING and job.info.get("stage"):
            self.training_note.object = f"*{job.label}: {job.info['stage']}…*"

    async def _preview(self, _event=None) -> None:
        """Forecast from the best checkpoint so far while training goes on (off the event loop)."""
        model = self._live_model
        snapshot = model.snapshot() if model is not None else None
        if snapshot is None:
            self.training_note.object = "*no checkpoint yet: wait for the first epoch to end*"
            return
        token, system, family = self._token, self.sel.current_system(), self.family
        source = f"preview: best checkpoint of epoch {snapshot.best_epoch_}, training goes on"

        def work():
            try:
                split = evaluate.make_split(self._task(system))
                return self._outcome(snapshot, split, family, source, float("nan"))
            except (ForecastError, ValueError, integrate.IntegrationError) as exc:
                return {"error": f"the preview failed: {exc}"}

        result = await asyncio.wrap_future(PREVIEWS.submit(work))
        self._publish(token, result, compare=False)

    def _work(self, token, task, family, hparams, load_only, progress, stop, pretrained=False, tune_budget=None):
        """Training-service thread: data, the model (stored, tuned or trained), forecasts, metrics."""
        progress = progress or (lambda fraction, info=None: None)
        try:
            if pretrained:
                return self._evaluate_pretrained(token, task, family, progress)
            return self._evaluate(token, task, family, hparams, load_only, progress, stop, tune_budget)
        except FitStopped:
            return {"error": "training stopped before its first epoch ended; the previous models are kept"}
        except (ForecastError, StoreError, ValueError, LookupError, lyapunov.LyapunovError,
                integrate.IntegrationError) as exc:
            return {"error": str(exc)}

    def _evaluate_pretrained(self, token, task, family, progress):
        """A checkpoint shipped in assets/: trained by ``python -m core.pretrain``, not here."""
        shipped = pretrain.load(family, task.system.name)
        meta = shipped.meta
        split = evaluate.make_split(replace(task, dt=None if shipped.zero_shot else meta["dt"]))
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
        outcome = self._outcome(shipped.model, split, family, source, float(meta["fit_seconds"]))
        if shipped.zero_shot:  # say plainly how good that is: against the simplest references on the same window
            base = evaluate.reference_vpts(split)
            vpt = outcome.short.vpt
            verdict = "better than" if vpt > base["nvar"] else "worse than"
            outcome.notes.insert(0, f"Zero-shot honesty: VPT {vpt:.2f} Λt here, against persistence "
                                    f"{base['persistence']:.2f} and an NVAR trained on this very system in a second "
                                    f"{base['nvar']:.2f}; the pretrained transformer is {verdict} the NVAR")
        return self._finish(token, outcome, shipped.model, progress)

    def _evaluate(self, token, task, family, hparams, load_only, progress, stop, tune_budget):
        progress(0.0, {"stage": "integrating the system and its λ1"})
        split = evaluate.make_split(task)
        tuned, fresh = None, None
        if tune_budget:
            settings = {"budget": tune_budget, "horizon": task.horizon, "eps": task.eps}
            tuned = self.store.load_tuning(split.spec(family, {}), settings)
            if tuned is None:
                progress(0.0, {"stage": f"tuning for {tune_budget:g} s"})
                fresh = tuning.tune(family, split.train, split.dt, tune_budget, timescales=split.timescales,
                                    seed=task.seed, horizon=task.horizon, eps=task.eps, stop=stop,
                                    progress=lambda f, info: progress(0.7 * f, info))
                tuned = fresh.provenance()
                if not fresh.stopped:  # a stopped search is shown with its best trial, not remembered
                    self.store.save_tuning(split.spec(family, {}), settings, tuned)
            hparams = dict(tuned["params"])
        spec = split.spec(family, hparams)
        record = self.store.load(spec)
        source, stopped = "loaded from the store", False
        if record is None and fresh is not None:  # the tuning's refit on the whole training series
            fit_time = fresh.validation["refit_seconds"]
            model, source = fresh.model, f"refitted on the whole training series in {fit_time:.2f} s"
            if fresh.stopped:
                source += f"; tuning stopped after {len(fresh.trials)} trials, the best one kept"
        elif record is None:
            if load_only:
                raise ValueError(f"no stored {family} model for this configuration: train it first")
            model = registry.create(family, **hparams)
            self._live_model = model  # the page may preview its best checkpoint while it trains
            progress(0.7 if tuned else 0.0, {"stage": "fitting"})
            start = time.perf_counter()
            model.fit(split.train, split.dt, progress=lambda f, info=None: progress(0.8 * f, info), stop=stop)
            fit_time = time.perf_counter() - start
            source = f"trained in {fit_time:.2f} s"
            stopped = stop is not None and stop.is_set()
            if stopped:
                source += f", stopped: best checkpoint of epoch {model.best_epoch_} kept"
        else:
            model, fit_time = record.model, record.metrics.get("fit_time", float("nan"))
            tuned = record.provenance.get("tuning", tuned)
        if tuned:
            source += (f"; tuned: {tuned['trials']} trials in {tuned['seconds']:g} s, validation score "
                       f"{tuned['score']:.2f} Λt (defaults {tuned['default_score']:.2f})"
                       if tuned.get("default_score") is not None else f"; tuned ({tuned['trials']} trials)")
        outcome = self._outcome(model, split, family, source, fit_time, tuned)
        outcome = self._finish(token, outcome, model, progress)
        if record is None and not stopped:  # a stopped model is shown, never stored as the finished one
            numbers = {k: v for k, v in outcome.row().items() if isinstance(v, float) and math.isfinite(v)}
            self.store.save(spec, model, metrics=numbers | {"fit_time": fit_time},
                            provenance={"tuning": tuned} if tuned else {"tuning": None, "hparams": "as given"})
        return outcome

    def _outcome(self, model, split, family, source, fit_time, tuned=None) -> Outcome:
        """The short-term result: the forecast of the test window, its VPT and errors."""
        context, _ = split.window(0, model.min_context)
        history = model.loss_history_ if model.is_iterative else None  # epochs: only iterative families have them
        return Outcome(family, split, evaluate.score_forecast(model, split), source, fit_time,
                       model.notes(context), model.equations(), history, tuned)

    def _finish(self, token, outcome: Outcome, model, progress) -> Outcome:
        """Publish the short-term result at once, then add the free run and its metrics."""
        self._hand_over(token, replace(outcome))
        progress(0.85, {"stage": "free run and attractor metrics"})
        outcome.long = evaluate.score_attractor(model, outcome.split)
        outcome.images = self._attractor_images(outcome)
        progress(0.95, {"stage": "metrics"})
        return outcome

    def _hand_over(self, token, outcome: Outcome) -> None:
        """From the job's thread: have the event loop show the short-term result now, and wait
        (at most a second) until it has gone out before starting the long computation — the job
        holds the interpreter while it computes, and would otherwise delay the page's update
        until it is done (0.6 s for a Rosenstein fit of the free run)."""
        doc = self._doc
        if doc is None or doc.session_context is None:  # tests, notebooks: shown after the job returns
            self._early = (token, outcome)
            return
        sent = threading.Event()

        def show():
            self._publish(token, outcome)
            # Panel sends the patches of this update on the following ticks: leave the loop alone
            # for a moment (the job would otherwise hold the interpreter while they wait)
            doc.add_timeout_callback(sent.set, 300)

        doc.add_next_tick_callback(show)
        sent.wait(timeout=1.0)

    # -- results ------------------------------------------------------------------------------
    def _publish(self, token, result, compare: bool = True) -> None:
        if token != self._token:
            return
        if isinstance(result, dict):
            self._show_error(result["error"])
            return
        self.message.visible = False
        drawn = self.shown is not None and self.shown.short is result.short  # its short-term part is on the page
        self.shown = result
        self._mark_stale()
        self._show_summary(result)
        if result.tuning:
            self._show_tuning(result.tuning)
        else:
            self.trials_box.visible = False
        if not drawn:
            self._show_forecast(result)
        if result.long is None:
            self.long_note.object = "*free run of 10 000 steps and its metrics on the way…*"
            return
        self.long_note.object = " ".join(_sentence(n) for n in result.long.notes)
        self.attractor_pipe.send(result.images)
        self.attractor_panes["free"].visible = result.images["free"] is not None
        if not compare:
            return
        history = result.history
        if history is not None and len(history) and not self._epochs_shown:  # a loaded model: its own curve
            self.loss_pipe.send(np.column_stack([np.arange(1, len(history) + 1), history]))
        self.results = (self.results + [result])[-MAX_COMPARED:]
        table = pd.DataFrame([r.row() for r in self.results])
        self.table.value = table.round(3).sort_values("VPT (Λt)", ascending=False)
        # the models still compared keep their panes; only the new one is drawn
        self._grid_panes = [(r, pane) for r, pane in self._grid_panes if any(r is kept for kept in self.results)]
        if result.images["free"] is not None:
            self._grid_panes.append((result, pn.pane.HoloViews(self._grid_figure(result), linked_axes=False)))
        self.grid.objects = [pane for _, pane in self._grid_panes]

    def _show_tuning(self, tuned: dict) -> None:
        """The chosen values into the widgets, and the score of every trial that chose them."""
        self._fill_hyper(tuned["params"])
        scores = [(k + 1, v) for k, v in enumerate(tuned.get("scores", [])) if v is not None]
        self.trials_pipe.send(np.array(scores, dtype=float).reshape(-1, 2))
        stopped = "; stopped early, best trial kept" if tuned.get("stopped") else ""
        self.tuning_note.object = (f"*{tuned['trials']} trials in {tuned['seconds']:g} s; best validation score "
                                   f"{tuned['score']:.2f} Λt{stopped}. Chosen values are in the hyper-parameters.*")
        self.trials_box.visible = True

    def _show_summary(self, result: Outcome) -> None:
        window = result.short.windows[0]
        blown = ""
        if window.blew_up_after is not None:
            blown = (f" The forecast blew up after {window.blew_up_after} steps "
                     f"({window.blew_up_after * result.split.dt * result.split.lam:.2f} Lyapunov times); "
                     "it was valid until then.")
        self.summary.object = (
            f"**{result.family} on {system_label(result.system)}: VPT = {result.short.vpt:.2f} Lyapunov times** "
            f"(ε = {result.split.task.eps:g}; {result.split.lyapunov}; dt = {result.split.dt:g}; "
            f"{result.source}).{blown}")
        notes = result.notes
        self.about.object = " ".join(_sentence(n) for n in notes)
        self.equations.object = ("**Discovered equations**\n\n" + "\n".join(f"- `{e}`" for e in result.equations)
                                 if result.equations else "")

    def _lyapunov_axis(self, result: Outcome, n: int) -> np.ndarray:
        return np.arange(1, n + 1) * result.split.dt * result.split.lam

    def _show_forecast(self, result: Outcome) -> None:
        """Truth and forecast of the test window, and the error growth: data patches, no new figures."""
        window = result.short.windows[0]
        t = self._lyapunov_axis(result, len(window.truth))
        self.series_pipe.send({"t": t, "truth": window.truth, "forecast": window.forecast, "vpt": window.vpt})
        for i, pane in enumerate(self.series_panes):
            pane.visible = i < window.truth.shape[1]
        n = len(window.forecast)
        err = np.maximum(metrics.error_growth(window.truth[:n], window.forecast, result.split.scale), 1e-12) \
            if n else np.zeros(0)
        reference = max(err[0], 1e-12) * np.exp(t[:n] - t[0]) if n else err
        self.growth_pipe.send({"t": t[:n], "err": err, "reference": reference, "eps": result.split.task.eps})

    def _projected(self, x):
        coords = tuple(range(min(3, x.shape[1])))
        if len(coords) == 1:
            return np.stack([x[:-1, 0], x[1:, 0]], axis=1)
        return project(x, coords, self.sel.azimuth, self.sel.elevation)

    def _attractor_images(self, result: Outcome) -> dict:
        """Truth and free run aggregated over one extent covering both (runs on the worker)."""
        truth = self._projected(result.split.long_truth())
        free = self._projected(result.long.free) if result.long.free is not None else None
        extent = _padded_extent(truth, *([free] if free is not None else []))
        lines = result.system.kind != "map"
        return {"truth": density(pd.DataFrame({"x": truth[:, 0], "y": truth[:, 1]}), extent, 300, 260, lines),
                "free": None if free is None else density(pd.DataFrame({"x": free[:, 0], "y": free[:, 1]}), extent,
                                                          300, 260, lines),
                "titles": {"truth": "truth", "free": f"{result.family}: free run of {len(result.long.free)} steps"
                           if free is not None else ""}}

    def _grid_figure(self, result: Outcome):
        return hv.Image(result.images["free"], ["projected x", "projected y"], "count").opts(
            cmap="fire", bgcolor="#0b0b12", width=260, height=220, title=f"{result.family} (VPT {result.short.vpt:.1f})",
            xaxis=None, yaxis=None)

    def _show_error(self, message: str) -> None:
        self.message.object = f"**Forecast not updated:** {message}"
        self.message.visible = True

