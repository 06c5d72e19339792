"""What the Forecast tab shows of a job and its result: the training as it goes (loss curve,
tuning trials, where it stands), the outcome (summary, truth and forecast, error growth, the
attractors of truth and free run) and the comparison of the session's models. Each view only
draws what ``core.forecasting.live`` computed; the figures are built on the first Train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from core.forecasting.families import registry
from core.forecasting.live import Outcome, system_label
from core.pictures import rollout
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.forecast_plots import GrowthPlot, LossPlot, SeriesPlots, TrialsPlot
from dashboards.render import RasterView
from dashboards.selection import Selection

MAX_COMPARED = 6  # models kept per session for the comparison


def sentence(note: str) -> str:
    """A note as a sentence: capitalised (Latin letters only: λ1 stays λ1), with a full stop."""
    return (note[:1].upper() if note[:1].isascii() else note[:1]) + note[1:] + "."


def say(pane: pn.pane.Markdown, text: str) -> None:
    """Set a note's text only when it changes: a progress poll repeats itself four times a second."""
    if pane.object != text:
        pane.object = text


class TrainingView(Viewer):
    """The loss curve per epoch (iterative families), each tuning trial's validation score, and a
    line saying where the job stands (stage, epoch, losses, time left, or how it ended)."""

    sel = param.ClassSelector(class_=Selection)

    def __init__(self, **params):
        super().__init__(**params)
        self.note = pn.pane.Markdown("", css_classes=["forecast-training"], sizing_mode="stretch_width")
        # the live loss curve: (epoch, training loss, validation loss) replaced as epochs arrive
        self.loss = LossPlot()
        self.loss_box = pn.Column("#### Training loss (per epoch)", pn.pane.Bokeh(self.loss.figure,
                                                                                   css_classes=["forecast-loss"]))
        # tuning: each trial's validation score as it finishes
        self.trials = TrialsPlot()
        self.tuning_note = pn.pane.Markdown("", css_classes=["forecast-tuning"], sizing_mode="stretch_width")
        self.trials_box = pn.Column("#### Tuning: validation score per trial", self.tuning_note, visible=False)
        self._trials_figure_shown = False
        self.epochs_shown, self.trials_shown = 0, 0
        self._family()

    @param.depends("sel.model", watch=True)
    def _family(self) -> None:
        self.loss_box.visible = registry.family(self.sel.model).is_iterative  # no epochs, no loss curve

    def start(self, label: str, tuning: bool) -> None:
        """A new job: empty curves, the trials shown while it tunes."""
        if not self._trials_figure_shown:  # built into the page on the first request only
            self.trials_box.append(pn.pane.Bokeh(self.trials.figure, css_classes=["forecast-trials"]))
            self._trials_figure_shown = True
        self.epochs_shown, self.trials_shown = 0, 0
        self.loss.show(np.zeros((0, 3)))
        if tuning:
            self.trials.show(np.zeros((0, 2)))
            self.trials_box.visible, self.tuning_note.object = True, ""
        self.note.object = f"*{label}…*"

    def show(self, job, final: bool = False) -> None:
        """Stream the loss curve and the tuning trials; say where the job stands (epoch, ETA)."""
        history = list(job.history)
        trials = [info for _, info in history if "trial" in info and info.get("score") is not None]
        if len(trials) != self.trials_shown:
            self.trials_shown = len(trials)
            self.trials.show(np.array([[i["trial"], i["score"]] for i in trials]))
            best = max(i["score"] for i in trials)
            self.tuning_note.object = f"*{len(trials)} trials, best validation score {best:.2f} Λt*"
        epochs = [info for _, info in history if "epoch" in info and "loss" in info]
        if len(epochs) != self.epochs_shown:
            self.epochs_shown = len(epochs)
            self.loss.show(np.array([[i["epoch"], i["loss"], i["val_loss"]] for i in epochs]))
        if final:
            done = "stopped" if job.stopping else {jobs.DONE: "finished", jobs.CANCELLED: "stopped",
                                                   jobs.FAILED: "failed"}.get(job.state, job.state)
            last = f" after {epochs[-1]['epoch']} epochs" if epochs else ""
            self.note.object = f"*{job.label}: {done}{last} in {job.finished - job.started:.1f} s*" \
                if job.started else ""
            return
        if epochs:
            info = epochs[-1]
            eta = job.eta
            say(self.note, f"*{job.label}: epoch {info['epoch']} · training loss {info['loss']:.3g} · "
                           f"validation loss {info['val_loss']:.3g} · about {eta:.0f} s left*" if eta is not None else "")
        elif job.state == jobs.RUNNING and job.info.get("stage"):
            say(self.note, f"*{job.label}: {job.info['stage']}…*")

    def show_tuning(self, tuned: dict | None) -> None:
        """The score of every trial of the search that chose the model (hidden for none)."""
        if not tuned:
            self.trials_box.visible = False
            return
        scores = [(k + 1, v) for k, v in enumerate(tuned.get("scores", [])) if v is not None]
        self.trials.show(np.array(scores, dtype=float).reshape(-1, 2))
        stopped = "; stopped early, best trial kept" if tuned.get("stopped") else ""
        self.tuning_note.object = (f"*{tuned['trials']} trials in {tuned['seconds']:g} s; best validation score "
                                   f"{tuned['score']:.2f} Λt{stopped}. Chosen values are in the hyper-parameters.*")
        self.trials_box.visible = True

    def show_history(self, history: np.ndarray | None) -> None:
        """A loaded model's own loss curve (a trained one streamed its epochs)."""
        if history is not None and len(history) and not self.epochs_shown:
            self.loss.show(np.column_stack([np.arange(1, len(history) + 1), history]))

    def __panel__(self):
        return pn.Column(self.trials_box, self.loss_box, sizing_mode="stretch_width")


class OutcomeView(Viewer):
    """A result: the summary and the model's own notes, truth and forecast of the test window in
    Lyapunov times, the error's growth against e^{λ1 t}, and both attractors on the same axes."""

    report = param.Callable(doc="shows a message in the tab")

    def __init__(self, **params):
        super().__init__(**params)
        self.summary = pn.pane.Markdown("", css_classes=["forecast-summary"], sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["forecast-about"], sizing_mode="stretch_width")
        self.equations = pn.pane.Markdown("", css_classes=["forecast-equations"])
        self.long_note = pn.pane.Markdown("", css_classes=["forecast-long"], sizing_mode="stretch_width")
        # the figures are built on the first Train (``build``); later results replace their data
        self.series: SeriesPlots | None = None
        self.growth: GrowthPlot | None = None
        self.attractor_views: dict[str, RasterView] = {}
        self.zooms: dict[str, Runner] = {}  # per image: the newest zoom wins
        self.series_box, self.growth_box = pn.Column(), pn.Column()
        self.attractors = pn.Row(css_classes=["forecast-attractors"])
        self._short_drawn = False

    def build(self) -> None:
        """The plots of a result, made once, on the first request. Not at page load — seven
        figures would add a second to the first paint of every visitor, most of whom never
        open this tab."""
        if self.series is not None:
            return
        self.series, self.growth = SeriesPlots(), GrowthPlot()
        self.series_box.objects = [pn.pane.Bokeh(self.series.layout, css_classes=["forecast-series"])]
        self.growth_box.objects = [pn.pane.Bokeh(self.growth.figure, css_classes=["forecast-growth"])]
        self.attractor_views = {which: RasterView("projected x", "projected y", rollout.ATTRACTOR_PIXELS, title=which)
                                for which in ("truth", "free")}
        self.attractors.objects = [view.panel() for view in self.attractor_views.values()]

    def start(self) -> None:
        self._short_drawn = False

    def show(self, result: Outcome) -> None:
        """A preview, the short-term part (published by the job first), or the whole result."""
        # the short-term part published first is already drawn: the whole result adds the rest
        drawn = self._short_drawn and result.long is not None
        self._short_drawn = result.long is None and not result.preview
        self._show_summary(result)
        if not drawn:
            self._show_forecast(result)
        if result.long is None:
            self.long_note.object = "" if result.preview else "*free run of 10 000 steps and its metrics on the way…*"
            return
        spectrum = result.long.spectrum
        own = ([f"the model's own dynamics, from its Jacobian along {len(spectrum.t)} steps of its free run: "
                f"λ = {spectrum.summary()}; the truth's: ({result.truth_spectrum()})"] if spectrum is not None else [])
        self.long_note.object = " ".join(sentence(n) for n in [*result.long.notes, *own])
        self._show_attractors(result)

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
        self.about.object = " ".join(sentence(n) for n in result.notes)
        self.equations.object = ("**Discovered equations**\n\n" + "\n".join(f"- `{e}`" for e in result.equations)
                                 if result.equations else "")

    def _show_forecast(self, result: Outcome) -> None:
        """Truth and forecast of the test window, and the error growth: data patches, no new figures."""
        window = result.short.windows[0]
        t = np.arange(1, len(window.truth) + 1) * result.split.dt * result.split.lam  # in Lyapunov times
        self.series.show(t, window.truth, window.forecast, window.vpt)
        self.growth.show(*window.error_growth(result.split.scale, result.split.dt, result.split.lam),
                         result.split.task.eps)

    def zoom(self, key: str, xy: np.ndarray, lines: bool, pixels: tuple[int, int]):
        """A zoom of one image: the orbit re-aggregated over the new window, as a job."""
        runner = self.zooms.setdefault(key, Runner())

        def zoom(extent, done) -> None:
            runner.run(rollout.image, xy, lines, pixels, extent, kind=jobs.INTERACTIVE,
                       label=f"zoom {key}", on_result=lambda job: done(job.result), on_error=self.report)
        return zoom

    def forget_zooms(self, keep) -> None:
        """Zooms of images no longer shown are dropped (``keep(key)`` says which stay)."""
        self.zooms = {key: runner for key, runner in self.zooms.items() if keep(key)}

    def _show_attractors(self, result: Outcome) -> None:
        images, points = result.images, result.images["points"]
        for which, view in self.attractor_views.items():
            if view.figure.visible != (images[which] is not None):  # a Bokeh property: no layout pushed
                view.figure.visible = images[which] is not None
            if images[which] is not None:
                view.show(images[which], ("projected x", "projected y"), title=images["titles"][which],
                          zoom=self.zoom(which, points[which], images["lines"], rollout.ATTRACTOR_PIXELS))

    def __panel__(self):
        return pn.Column(
            pn.Row(pn.Column("#### Truth and forecast", self.series_box),
                   pn.Column("#### Error growth", self.growth_box)),
            pn.Column("#### Attractors: truth and the model's free run (same axes)", self.long_note, self.attractors),
            sizing_mode="stretch_width")


class Comparison(Viewer):
    """The session's last ``MAX_COMPARED`` models: a table sortable by any metric (click a column
    header) and each model's free-run attractor, small, on the truth's axes."""

    def __init__(self, outcome: OutcomeView, **params):
        super().__init__(**params)
        self.outcome = outcome  # its zoom runners serve the small images too
        self.results: list[Outcome] = []
        self.table = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, sizing_mode="stretch_width",
                                          css_classes=["forecast-table"], layout="fit_data_table")
        self.grid = pn.GridBox(ncols=3)
        self.panes: list[tuple[Outcome, pn.viewable.Viewable]] = []

    def add(self, result: Outcome) -> None:
        self.results = (self.results + [result])[-MAX_COMPARED:]
        table = pd.DataFrame([r.row() for r in self.results])
        self.table.value = table.round(3).sort_values("VPT (Λt)", ascending=False)
        # the models still compared keep their panes; only the new one is drawn
        self.panes = [(r, pane) for r, pane in self.panes if any(r is kept for kept in self.results)]
        kept = {f"grid {id(r)}" for r in self.results}
        self.outcome.forget_zooms(lambda key: not key.startswith("grid ") or key in kept)
        if result.images["free"] is not None:
            self.panes.append((result, self._small_view(result).panel()))
        self.grid.objects = [pane for _, pane in self.panes]

    def _small_view(self, result: Outcome) -> RasterView:
        view = RasterView("projected x", "projected y", rollout.GRID_PIXELS, axes=False)
        view.show(result.images["grid"], ("projected x", "projected y"),
                  title=f"{result.family} (VPT {result.short.vpt:.1f})",
                  zoom=self.outcome.zoom(f"grid {id(result)}", result.images["points"]["free"], result.images["lines"],
                                         rollout.GRID_PIXELS))
        return view

    def __panel__(self):
        return pn.Column("#### Models of this session", self.table, self.grid, sizing_mode="stretch_width")
