"""The forecast tab: train (tuned or by hand) or load a model on the selected system, and judge it.

The experiment itself — split, λ1, scores — is ``core.forecasting.experiment``'s and the search is
``core.forecasting.tuning``'s; this module only runs them on the training service and draws what they return.
Short term first (the forecast, its VPT and the error growth, about a second after Train), long
term after (the free-run attractor beside the truth on the same axes, D_stsp, D_H, λ1 of the free
run), and the comparison of this session's models.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import panel as pn
import param

from core.forecasting import experiment, live
from core.forecasting.families import registry
from core.forecasting.live import ForecastRequest, Outcome, system_label
from core.forecasting.store import ModelStore
from core.pictures import rollout
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.forecast_plots import GrowthPlot, LossPlot, SeriesPlots, TrialsPlot
from dashboards.render import RasterView, one_update
from dashboards.selection import Selection, plain

MAX_COMPARED = 6  # models kept per session for the comparison
DEFAULT_BUDGET = {False: 3.0, True: 60.0}  # seconds of tuning: classical families, iterative (torch) ones


def _sentence(note: str) -> str:
    """A note as a sentence: capitalised (Latin letters only: λ1 stays λ1), with a full stop."""
    return (note[:1].upper() if note[:1].isascii() else note[:1]) + note[1:] + "."


def _say(pane: pn.pane.Markdown, text: str) -> None:
    """Set a note's text only when it changes: a progress poll repeats itself four times a second."""
    if pane.object != text:
        pane.object = text


class ForecastDashboard(param.Parameterized):
    """Train / Stop / Load, the forecast views, and the comparison of this session's models; its
    settings (model, training, horizon, ε, tuning) live in the shared ``Selection``."""

    active = param.Boolean(default=False, doc="the tab is shown (it is built when first shown)")

    def __init__(self, selection: Selection, store: ModelStore | None = None, linked: frozenset = frozenset(),
                 **params):
        """``linked``: the fields a shared link set; the family's tuning defaults fill the others."""
        super().__init__(**params)
        self.sel = selection
        self.store = store or ModelStore()
        self._epochs_shown, self._trials_shown, self._short_drawn = 0, 0, False
        self.shown: Outcome | None = None
        self.results: list[Outcome] = []
        self.queue_note = pn.pane.Markdown("", css_classes=["forecast-queue"])
        self.hyper_box = pn.Column(sizing_mode="stretch_width")
        self._hyper_widgets: dict = {}
        self.sel.param.watch(lambda e: self._on_family(), "model")
        # with auto-tune on, the hyper-parameter widgets show what the search chose: read-only
        self.sel.param.watch(lambda e: self._lock_hyper(), "auto_tune")
        self.sel.param.watch(lambda *_: self._on_selection(), ["system", "equations", "param_overrides", "dt"])
        self._build_hyper()
        self.train_button = pn.widgets.Button(label="Train", color="primary", width=90)
        self.load_button = pn.widgets.Button(label="Load", width=90)
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", width=90, visible=False)
        self.train_button.on_click(lambda _: self.request(load_only=False))
        self.load_button.on_click(lambda _: self.request(load_only=True))
        self.pretrained_button = pn.widgets.Button(label="Load pretrained", width=130)
        self.pretrained_button.on_click(lambda _: self.request(load_only=True, pretrained=True))
        self.preview_button = pn.widgets.Button(label="Show best so far", width=140, visible=False)
        self.preview_button.on_click(lambda _: self.runner.preview())
        # the live loss curve: (epoch, training loss, validation loss) replaced as epochs arrive
        self.loss = LossPlot()
        self.loss_box = pn.Column("#### Training loss (per epoch)", pn.pane.Bokeh(self.loss.figure,
                                                                                   css_classes=["forecast-loss"]))
        # tuning: each trial's validation score as it finishes
        self.trials = TrialsPlot()
        self.tuning_note = pn.pane.Markdown("", css_classes=["forecast-tuning"], sizing_mode="stretch_width")
        self.trials_box = pn.Column("#### Tuning: validation score per trial", self.tuning_note, visible=False)
        self.training_note = pn.pane.Markdown("", css_classes=["forecast-training"], sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["forecast-about"], sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=260, bar_color="info",
                                               css_classes=["forecast-progress"])
        # four progress polls a second: the loss curve stays live, and three trainings in a class
        # cost the server's loop a tenth of the patches ten polls a second did (each patch message
        # walks every model of its document)
        self.runner = Runner(self.progress, self.stop_button, show_after=0.0, period=250)
        self.message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["forecast-error"],
                                     sizing_mode="stretch_width")
        self.stale = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["forecast-stale"],
                                   sizing_mode="stretch_width")
        self.summary = pn.pane.Markdown("", css_classes=["forecast-summary"], sizing_mode="stretch_width")
        self.long_note = pn.pane.Markdown("", css_classes=["forecast-long"], sizing_mode="stretch_width")
        self.equations = pn.pane.Markdown("", css_classes=["forecast-equations"])
        # the result views are built on the first Train (see _build_views); later results replace their data
        self.series: SeriesPlots | None = None
        self.growth: GrowthPlot | None = None
        self.attractor_views: dict[str, RasterView] = {}
        self.zooms: dict[str, Runner] = {}  # per image: the newest zoom wins
        self.series_box, self.growth_box = pn.Column(), pn.Column()
        self.attractors = pn.Row(css_classes=["forecast-attractors"])
        # a Tabulator: click a column header to sort the session's models by any metric
        self.table = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, sizing_mode="stretch_width",
                                          css_classes=["forecast-table"], layout="fit_data_table")
        self.grid = pn.GridBox(ncols=3)
        self._grid_panes: list[tuple[Outcome, pn.pane.Bokeh]] = []
        if linked & {"auto_tune", "budget", "hparams"}:
            self._show_family()
        else:
            self._on_family()

    # -- widgets ------------------------------------------------------------------------------
    def _timescales(self):
        """Time scales of the selection for the widgets' defaults (λ1 is not needed for them)."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError):
            return None
        return experiment.timescales(system, float(self.sel.dt or system.dt)) if system.kind != "delay" else None

    def _tunable(self) -> bool:
        ts = self._timescales()
        return ts is not None and bool(registry.family(self.sel.model).search_space(ts))

    def _on_family(self) -> None:
        """The user picked another family: its own defaults for tuning and hyper-parameters."""
        self.sel.hparams = {}  # another family's values mean nothing to this one
        iterative = registry.family(self.sel.model).is_iterative
        self.sel.auto_tune = not iterative and self._tunable()  # on by default for the classical families only
        self.sel.budget = DEFAULT_BUDGET[iterative]
        self._show_family()

    def show_configuration(self, family: str, hparams: dict) -> None:
        """Open on ``family`` with these hyper-parameters as they are (a leaderboard's tuned ones):
        tuning off, so Train reproduces that configuration."""
        if self.sel.model != family:
            self.sel.model = family  # the family's defaults first (_on_family), then these values
        self.sel.hparams = dict(hparams)
        self.sel.auto_tune = False
        self._show_family()

    def _show_family(self) -> None:
        """The widgets of the selected family, from the shared state (which a link may have set)."""
        self.loss_box.visible = registry.family(self.sel.model).is_iterative  # no epochs, no loss curve
        self._build_hyper()

    def _build_hyper(self) -> None:
        widgets = {}
        schema = registry.schema(self.sel.model)
        # the family's defaults, then what the page (or a shared link) set
        values = registry.defaults(self.sel.model, self._timescales()) \
            | {k: v for k, v in (self.sel.hparams or {}).items() if k in schema}
        for name, spec in schema.items():
            if spec.choices is not None:
                widget = pn.widgets.Select(label=name, options=list(spec.choices), value=values[name], width=150)
            elif spec.kind is int:
                widget = pn.widgets.IntInput(label=name, value=values[name], width=150)
            else:
                widget = pn.widgets.FloatInput(label=name, value=values[name], width=150)
            widget.description = spec.doc
            widget.param.watch(partial(self._on_hyper, name), "value")
            widgets[name] = widget
        self._hyper_widgets = widgets
        about = pn.pane.Markdown(f"**{self.sel.model}**: {registry.family(self.sel.model).describe_family()}",
                                 css_classes=["forecast-family"], sizing_mode="stretch_width")
        self.hyper_box.objects = [about, pn.FlexBox(*widgets.values()) if widgets
                                  else pn.pane.Markdown("*no hyper-parameters*")]
        self._lock_hyper()

    def _on_hyper(self, name: str, event) -> None:
        """A hyper-parameter set in the page (or filled by tuning) goes into the shared state."""
        self.sel.hparams = {**(self.sel.hparams or {}), name: event.new}

    def _lock_hyper(self) -> None:
        for widget in self._hyper_widgets.values():
            widget.disabled = bool(self.sel.auto_tune)

    def _fill_hyper(self, values: dict) -> None:
        for name, value in values.items():
            if name in self._hyper_widgets:
                self._hyper_widgets[name].value = value

    def _on_selection(self) -> None:
        """A new system or sampling: time-aware defaults follow it, and a result shown for the old
        one says plainly that it belongs to the old one."""
        ts = self._timescales()
        if ts is not None:
            self._fill_hyper(registry.family(self.sel.model).defaults(ts))
        self._mark_stale()

    def _mark_stale(self) -> None:
        if self.shown is None:
            self.stale.visible = False
            return
        try:
            system = self.sel.current_system()
            current = system.dynamics_key + (float(self.sel.dt or system.dt),)
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
            pn.Row(pn.widgets.Select.from_param(self.sel.param.model, label="Model", width=160),
                   pn.widgets.IntInput.from_param(self.sel.param.n_train, label="Training points", width=130),
                   pn.widgets.FloatInput.from_param(self.sel.param.train_noise, label="Training noise", width=110),
                   pn.widgets.FloatInput.from_param(self.sel.param.horizon, label="Horizon (Lyapunov times)", width=170),
                   pn.widgets.FloatInput.from_param(self.sel.param.eps, label="ε", width=80),
                   pn.widgets.IntInput.from_param(self.sel.param.seed, label="Seed", width=90)),
            pn.Row(pn.widgets.Checkbox.from_param(self.sel.param.auto_tune, label="Auto-tune", css_classes=["forecast-autotune"],
                                                  width=100, align="center"),
                   pn.widgets.FloatInput.from_param(self.sel.param.budget, label="Tuning budget (s)", width=130)),
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
        """The plots of a result, made once, on the first request: every later result replaces
        their data. Not at page load — seven figures would add a second to the first paint of
        every visitor, most of whom never open this tab."""
        if self.series is not None:
            return
        self.series, self.growth = SeriesPlots(), GrowthPlot()
        self.series_box.objects = [pn.pane.Bokeh(self.series.layout, css_classes=["forecast-series"])]
        self.growth_box.objects = [pn.pane.Bokeh(self.growth.figure, css_classes=["forecast-growth"])]
        self.attractor_views = {which: RasterView("projected x", "projected y", rollout.ATTRACTOR_PIXELS, title=which)
                                for which in ("truth", "free")}
        self.attractors.objects = [view.panel() for view in self.attractor_views.values()]
        self.trials_box.append(pn.pane.Bokeh(self.trials.figure, css_classes=["forecast-trials"]))

    # -- jobs ---------------------------------------------------------------------------------
    def _hparams(self) -> dict:
        hparams = {name: w.value for name, w in self._hyper_widgets.items()}
        registry.create(self.sel.model, **hparams)  # validates (ValueError with the bound)
        return hparams

    def _task(self, system, dt=None) -> experiment.ForecastTask:
        return experiment.ForecastTask(system, dt=dt or self.sel.dt or None, n_train=self.sel.n_train,
                                     noise=float(self.sel.train_noise), seed=int(self.sel.seed), horizon=float(self.sel.horizon),
                                     eps=float(self.sel.eps))

    def request(self, load_only: bool, pretrained: bool = False) -> None:
        try:
            system = self.sel.current_system()
            hparams = self._hparams()
            task = self._task(system)
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return
        tune_budget = float(self.sel.budget) if self.sel.auto_tune and self._tunable() and not (load_only or pretrained) \
            else None
        with one_update():  # the first request's new plots: one recomputation of the document's models
            self._build_views()
        family = self.sel.model
        request = ForecastRequest(task, family, hparams, load_only, pretrained, tune_budget, self.sel.azimuth,
                                  self.sel.elevation, str(self.store.root))
        self.preview_button.visible = registry.family(family).is_iterative and not (load_only or pretrained)
        self.train_button.disabled = True
        self._epochs_shown, self._trials_shown, self._short_drawn = 0, 0, False
        with one_update(holoviews=False):  # a click runs on Panel's thread pool: Bokeh changes held
            self.loss.show(np.zeros((0, 3)))
            if tune_budget:
                self.trials.show(np.zeros((0, 2)))
        if tune_budget:
            self.trials_box.visible, self.tuning_note.object = True, ""
        verb = "loading" if load_only else ("tuning and training" if tune_budget else "training")
        self.training_note.object = f"*{verb} {family} on {system_label(system)}…*"
        self.runner.run(live.run, request, kind=jobs.TRAIN, label=f"{family} on {system.name}",
                        on_result=self._on_done, on_error=self._on_failed, on_progress=self._watch,
                        on_partial=self._publish)

    def _on_done(self, job) -> None:
        self._finished(job)
        self._publish(job.result)

    def _on_failed(self, message: str) -> None:
        self._finished(self.runner.job)
        self._show_error(message)

    def _finished(self, job) -> None:
        self.train_button.disabled = False
        self.queue_note.object = ""
        self.preview_button.visible = False
        if job is not None and job.started:
            self._show_training(job, final=True)

    def _watch(self, job) -> None:
        """On the event loop: mirror the job's progress and queue position."""
        position = jobs.service().queue_position(job) if job.state == jobs.QUEUED else 0
        self._show_training(job)
        _say(self.queue_note, f"*waiting: position {position} in the server's training queue*" if position else "")

    def _show_training(self, job, final: bool = False) -> None:
        """Stream the loss curve and the tuning trials; say where the job stands (epoch, ETA)."""
        history = list(job.history)
        trials = [info for _, info in history if "trial" in info and info.get("score") is not None]
        if len(trials) != self._trials_shown:
            self._trials_shown = len(trials)
            self.trials.show(np.array([[i["trial"], i["score"]] for i in trials]))
            best = max(i["score"] for i in trials)
            self.tuning_note.object = f"*{len(trials)} trials, best validation score {best:.2f} Λt*"
        epochs = [info for _, info in history if "epoch" in info and "loss" in info]
        if len(epochs) != self._epochs_shown:
            self._epochs_shown = len(epochs)
            self.loss.show(np.array([[i["epoch"], i["loss"], i["val_loss"]] for i in epochs]))
        if final:
            done = "stopped" if job.stopping else {jobs.DONE: "finished", jobs.CANCELLED: "stopped",
                                                   jobs.FAILED: "failed"}.get(job.state, job.state)
            last = f" after {epochs[-1]['epoch']} epochs" if epochs else ""
            self.training_note.object = f"*{job.label}: {done}{last} in {job.finished - job.started:.1f} s*" \
                if job.started else ""
            return
        if epochs:
            info = epochs[-1]
            eta = job.eta
            _say(self.training_note,
                 f"*{job.label}: epoch {info['epoch']} · training loss {info['loss']:.3g} · "
                 f"validation loss {info['val_loss']:.3g} · about {eta:.0f} s left*" if eta is not None else "")
        elif job.state == jobs.RUNNING and job.info.get("stage"):
            _say(self.training_note, f"*{job.label}: {job.info['stage']}…*")

    # -- results ------------------------------------------------------------------------------
    def _publish(self, result: Outcome) -> None:
        """Show an outcome: a preview, the short-term part (published by the job first), or the
        whole result, which joins the comparison."""
        with one_update(holoviews=False):
            self._show_outcome(result)

    def _show_outcome(self, result: Outcome) -> None:
        self.message.visible = False
        # the short-term part published first is already drawn: the whole result adds the rest
        drawn = self._short_drawn and result.long is not None
        self._short_drawn = result.long is None and not result.preview
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
            self.long_note.object = "" if result.preview else "*free run of 10 000 steps and its metrics on the way…*"
            return
        self.long_note.object = " ".join(_sentence(n) for n in result.long.notes)
        self._show_attractors(result)
        history = result.history
        if history is not None and len(history) and not self._epochs_shown:  # a loaded model: its own curve
            self.loss.show(np.column_stack([np.arange(1, len(history) + 1), history]))
        self.results = (self.results + [result])[-MAX_COMPARED:]
        table = pd.DataFrame([r.row() for r in self.results])
        self.table.value = table.round(3).sort_values("VPT (Λt)", ascending=False)
        # the models still compared keep their panes; only the new one is drawn
        self._grid_panes = [(r, pane) for r, pane in self._grid_panes if any(r is kept for kept in self.results)]
        kept = {f"grid {id(r)}" for r in self.results}
        self.zooms = {key: runner for key, runner in self.zooms.items() if not key.startswith("grid ") or key in kept}
        if result.images["free"] is not None:
            self._grid_panes.append((result, self._grid_view(result).panel()))
        self.grid.objects = [pane for _, pane in self._grid_panes]

    def _show_tuning(self, tuned: dict) -> None:
        """The chosen values into the widgets, and the score of every trial that chose them."""
        self._fill_hyper(tuned["params"])
        scores = [(k + 1, v) for k, v in enumerate(tuned.get("scores", [])) if v is not None]
        self.trials.show(np.array(scores, dtype=float).reshape(-1, 2))
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
        self.series.show(t, window.truth, window.forecast, window.vpt)
        self.growth.show(*window.error_growth(result.split.scale, result.split.dt, result.split.lam),
                         result.split.task.eps)

    def _zoom(self, key: str, xy: np.ndarray, lines: bool, pixels: tuple[int, int]):
        """A zoom of one image: the orbit re-aggregated over the new window, as a job."""
        runner = self.zooms.setdefault(key, Runner())

        def zoom(extent, done) -> None:
            runner.run(rollout.image, xy, lines, pixels, extent, kind=jobs.INTERACTIVE,
                       label=f"zoom {key}", on_result=lambda job: done(job.result), on_error=self._show_error)
        return zoom

    def _show_attractors(self, result: Outcome) -> None:
        images, points = result.images, result.images["points"]
        for which, view in self.attractor_views.items():
            if view.figure.visible != (images[which] is not None):  # a Bokeh property: no layout pushed
                view.figure.visible = images[which] is not None
            if images[which] is not None:
                view.show(images[which], ("projected x", "projected y"), title=images["titles"][which],
                          zoom=self._zoom(which, points[which], images["lines"], rollout.ATTRACTOR_PIXELS))

    def _grid_view(self, result: Outcome) -> RasterView:
        view = RasterView("projected x", "projected y", rollout.GRID_PIXELS, axes=False)
        view.show(result.images["grid"], ("projected x", "projected y"),
                  title=f"{result.family} (VPT {result.short.vpt:.1f})",
                  zoom=self._zoom(f"grid {id(result)}", result.images["points"]["free"], result.images["lines"],
                                  rollout.GRID_PIXELS))
        return view

    def _show_error(self, message: str) -> None:
        self.message.object = f"**Forecast not updated:** {plain(message)}"
        self.message.visible = True

