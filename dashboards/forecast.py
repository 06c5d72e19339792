"""The forecast tab: train (tuned or by hand) or load a model on the selected system, and judge it.

The experiment itself — split, λ1, scores — is ``core.forecasting.experiment``'s and the search is
``core.forecasting.tuning``'s; this module only runs them on the training service and draws what they return.
Short term first (the forecast, its VPT and the error growth, about a second after Train), long
term after (the free-run attractor beside the truth on the same axes, D_stsp, D_H, λ1 of the free
run), and the comparison of this session's models.
"""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from core.forecasting import live
from core.forecasting.families import registry
from core.forecasting.live import ForecastRequest, Outcome, system_label
from core.forecasting.store import ModelStore
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.forecast_settings import ModelSettings
from dashboards.forecast_views import Comparison, OutcomeView, TrainingView, say
from dashboards.render import one_update
from dashboards.selection import Selection, plain


class ForecastDashboard(Viewer):
    """Train / Stop / Load over the settings (``ModelSettings``, all in the shared ``Selection``),
    the training as it goes, the outcome, and the comparison of this session's models."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown (it is built when first shown)")

    def __init__(self, selection: Selection, store: ModelStore | None = None, linked: frozenset = frozenset(),
                 **params):
        """``linked``: the fields a shared link set; the family's tuning defaults fill the others."""
        super().__init__(sel=selection, **params)
        self.store = store or ModelStore()
        self.shown: Outcome | None = None
        self.settings = ModelSettings(sel=selection, linked=linked)
        self.training = TrainingView(sel=selection)
        self.outcome = OutcomeView(report=self._show_error)
        self.comparison = Comparison(self.outcome)
        self.queue_note = pn.pane.Markdown("", css_classes=["forecast-queue"])
        self.train_button = pn.widgets.Button(label="Train", color="primary", width=90)
        self.load_button = pn.widgets.Button(label="Load", width=90)
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", width=90, visible=False)
        self.train_button.on_click(lambda _: self.request(load_only=False))
        self.load_button.on_click(lambda _: self.request(load_only=True))
        self.pretrained_button = pn.widgets.Button(label="Load pretrained", width=130)
        self.pretrained_button.on_click(lambda _: self.request(load_only=True, pretrained=True))
        self.preview_button = pn.widgets.Button(label="Show best so far", width=140, visible=False)
        self.preview_button.on_click(lambda _: self.runner.preview())
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

    def show_configuration(self, family: str, hparams: dict) -> None:
        """Open on ``family`` with these hyper-parameters as they are (a leaderboard's tuned ones)."""
        self.settings.show_configuration(family, hparams)

    @param.depends("sel.system", "sel.equations", "sel.param_overrides", "sel.dt", watch=True)
    def _mark_stale(self) -> None:
        """A result shown for another system (or sampling) says plainly that it belongs to that one."""
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

    def __panel__(self):
        outcome = self.outcome
        return pn.Column(
            self.settings,
            # the buttons sit above the hyper-parameters, whose height changes with the family
            pn.Row(self.train_button, self.load_button, self.pretrained_button, self.stop_button,
                   self.preview_button, self.progress, self.queue_note),
            self.training.note, self.settings.hyper_card,
            self.message, self.stale, outcome.summary, outcome.about, outcome.equations, self.training, outcome,
            self.comparison, sizing_mode="stretch_width",
        )

    def main(self):
        return self.__panel__()

    # -- jobs ---------------------------------------------------------------------------------
    def request(self, load_only: bool, pretrained: bool = False) -> None:
        try:
            system = self.sel.current_system()
            hparams = self.settings.hparams()
            task = self.settings.task(system)
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return
        tune_budget = float(self.sel.budget) if self.sel.auto_tune and self.settings.tunable() \
            and not (load_only or pretrained) else None
        family = self.sel.model
        request = ForecastRequest(task, family, hparams, load_only, pretrained, tune_budget, self.sel.azimuth,
                                  self.sel.elevation, str(self.store.root))
        self.preview_button.visible = registry.family(family).is_iterative and not (load_only or pretrained)
        self.train_button.disabled = True
        verb = "loading" if load_only else ("tuning and training" if tune_budget else "training")
        # a click runs on Panel's thread pool: Bokeh changes held; the first request's new plots
        # in one recomputation of the document's models
        with one_update():
            self.outcome.build()
            self.outcome.start()
            self.training.start(f"{verb} {family} on {system_label(system)}", tuning=bool(tune_budget))
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
            self.training.show(job, final=True)

    def _watch(self, job) -> None:
        """On the event loop: mirror the job's progress and queue position."""
        position = jobs.service().queue_position(job) if job.state == jobs.QUEUED else 0
        self.training.show(job)
        say(self.queue_note, f"*waiting: position {position} in the server's training queue*" if position else "")

    # -- results ------------------------------------------------------------------------------
    def _publish(self, result: Outcome) -> None:
        """Show an outcome: a preview, the short-term part (published by the job first), or the
        whole result, which joins the comparison."""
        with one_update(holoviews=False):
            self.message.visible = False
            self.shown = result
            self._mark_stale()
            if result.tuning:
                self.settings.fill(result.tuning["params"])  # the chosen values, in the widgets
            self.training.show_tuning(result.tuning)
            self.outcome.show(result)
            if result.long is not None:
                self.training.show_history(result.history)
                self.comparison.add(result)

    def _show_error(self, message: str) -> None:
        self.message.object = f"**Forecast not updated:** {plain(message)}"
        self.message.visible = True
