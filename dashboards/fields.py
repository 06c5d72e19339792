"""The Fields tab: spatiotemporal chaos — Kuramoto–Sivashinsky and Lorenz-96 drawn in space and
time, the rd-spiral's λ–ω field animated frame by frame — with every setting editable and the
leading Lyapunov exponents beside the literature's.

Runs and spectra are jobs (``core.pictures.fields``), never work on the session's loop; a bad
grid or an unstable step is refused with ``core.systems.fields``'s message, the last picture kept.
Play, Pause and Step only show frames already computed, so Pause stops at once.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from core.errors import ArgumentError
from core.pictures import fields as pictures
from core.runtime import jobs
from core.systems import fields
from dashboards.background import PlayToggle, Runner
from dashboards.render import RasterView
from dashboards.selection import Selection, plain

TICK_MS = 100  # ten frames a second
SNAPSHOTS = {"KuramotoSivashinsky": 2000, "LambdaOmega": 200, "Lorenz96": 600}  # a run's default length
EXPONENTS = 6
FORECAST_TIME = "time (the forecast's window)"
INTEGER_SETTINGS = ("grid",)
SETTING_LABELS = {"grid": "grid points", "length": "domain length L", "step": "time step", "dt": "sampling Δt",
                  "beta": "β", "alpha": "α (dispersion)", "d": "diffusion d", "F": "forcing F"}


class FieldsDashboard(Viewer):
    """The tab over the shared selection's ``field`` and ``field_settings``."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def __init__(self, selection: Selection, **params):
        super().__init__(sel=selection, **params)
        self.field_select = pn.widgets.Select(
            label="field", options={fields.get(name).title: name for name in fields.names()}, width=260)
        self.field_select.value = selection.field
        self.field_select.param.watch(lambda e: setattr(self.sel, "field", e.new), "value")
        self.snapshots = pn.widgets.IntInput(label="snapshots", start=2, end=100_000, width=110)
        self.snapshots.param.watch(lambda _: self._draw(), "value")
        self.settings_row = pn.Row()
        self.inputs: dict[str, pn.widgets.Widget] = {}
        self.message = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["fields-error"],
                                     sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["fields-about"], sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", css_classes=["fields-note"], sizing_mode="stretch_width")
        self.space_time = RasterView("time", "x", pictures.SPACE_TIME_PIXELS, cmap=pictures.CMAP,
                                     title="space–time")
        self.frame_view = RasterView("x", "y", pictures.FRAME_PIXELS, cmap=pictures.CMAP, title="the field u")
        self.play = PlayToggle(lambda: self.advance(1), TICK_MS)
        self.step_button = pn.widgets.Button(label="Step frame", width=100)
        self.step_button.on_click(lambda _: self.advance(1))
        self.space_time_box = pn.Column(self.space_time.panel(css_classes=["space-time"]))
        self.frames_box = pn.Column(pn.Row(self.play.button, self.step_button),
                                    self.frame_view.panel(css_classes=["field-frame"]), visible=False)
        self.progress = pn.indicators.Progress(value=0, max=100, width=200, visible=False)
        self.stop_button = pn.widgets.Button(label="Stop", width=80, visible=False)
        self.spectrum_button = pn.widgets.Button(label="Leading Lyapunov exponents", color="primary",
                                                 width=230)
        self.spectrum_button.on_click(lambda _: self.request_spectrum())
        self.averaging = pn.widgets.FloatInput(label="averaging time (empty: the field's default)", value=None,
                                               start=1.0, width=250)
        self.spectrum_note = pn.pane.Markdown("", css_classes=["fields-spectrum"], sizing_mode="stretch_width")
        self.train_steps = pn.widgets.IntInput(label="training steps", value=20_000, start=1000, end=100_000,
                                               width=130)
        self.horizon = pn.widgets.IntInput(label="forecast steps", value=1000, start=10, end=10_000, width=120)
        self.units = pn.widgets.IntInput(label="units per reservoir", value=1000, start=10, end=5000, width=140)
        self.forecast_button = pn.widgets.Button(label="Forecast with parallel reservoirs", color="primary",
                                                 width=260)
        self.forecast_button.on_click(lambda _: self.request_forecast())
        self.forecast_progress = pn.indicators.Progress(value=0, max=100, width=200, visible=False)
        self.forecast_stop = pn.widgets.Button(label="Stop", width=80, visible=False)
        self.forecast_note = pn.pane.Markdown("", css_classes=["fields-forecast"], sizing_mode="stretch_width")
        self.forecast_views = {name: RasterView(FORECAST_TIME, "x", pictures.FORECAST_PIXELS, cmap=pictures.CMAP,
                                                title=name)
                               for name in ("truth", "forecast", "forecast − truth")}
        self.forecast_box = pn.Column(
            "##### Forecast: parallel local reservoirs (Pathak et al. 2018)",
            pn.Row(self.train_steps, self.horizon, self.units, self.forecast_button, self.forecast_progress,
                   self.forecast_stop),
            self.forecast_note, *(view.panel(css_classes=["field-forecast"]) for view in self.forecast_views.values()))
        self.forecasts = Runner(self.forecast_progress, self.forecast_stop)
        self.runs = Runner(coalesce=True)  # typing or scripting settings keeps one run in flight
        self.spectra = Runner(self.progress, self.stop_button)
        self.picture: pictures.FieldPicture | None = None
        self.frame = 0
        self._asked = None  # what the picture shown (or being computed) is of
        self._build_inputs()

    def __panel__(self):
        return pn.Column(
            "#### Fields: chaos in space and time", self.about,
            pn.Row(self.field_select, self.snapshots), self.settings_row, self.message, self.note,
            self.space_time_box, self.frames_box,
            pn.Row(self.averaging, self.spectrum_button, self.progress, self.stop_button), self.spectrum_note,
            self.forecast_box, sizing_mode="stretch_width")

    def main(self):
        return self.__panel__()

    # -- settings ---------------------------------------------------------------------------------
    def _build_inputs(self) -> None:
        """One input per setting of the selected field, filled from the shared selection."""
        defaults = fields.get(self.sel.field).settings()
        values = dict(defaults)
        for key, value in (self.sel.field_settings or {}).items():
            try:  # a shared link may carry anything: what is not a number shows the default
                values[key] = float(value) if key in defaults else values[key]
            except (TypeError, ValueError, KeyError):
                continue
        self.inputs = {}
        for key, value in values.items():
            kind = pn.widgets.IntInput if key in INTEGER_SETTINGS else pn.widgets.FloatInput
            number = int(value) if key in INTEGER_SETTINGS and float(value).is_integer() else value
            widget = kind(label=SETTING_LABELS.get(key, key), value=number if key not in INTEGER_SETTINGS
                          or isinstance(number, int) else int(defaults[key]), width=120)
            widget.param.watch(self._setting_changed, "value")
            self.inputs[key] = widget
        self.settings_row.objects = list(self.inputs.values())
        self.snapshots.value = SNAPSHOTS[self.sel.field]

    def _setting_changed(self, _) -> None:
        defaults = fields.get(self.sel.field).settings()
        changed = {k: w.value for k, w in self.inputs.items() if w.value is not None and w.value != defaults[k]}
        if any(w.value is None for w in self.inputs.values()):
            self._refuse("every setting needs a value")
            return
        self.sel.field_settings = changed

    @param.depends("sel.field", watch=True)
    def _field_changed(self) -> None:
        self.field_select.value = self.sel.field
        self.play.pause()
        with param.parameterized.discard_events(self.sel):  # the new field's inputs first, then one request
            self.sel.field_settings = {}
        self._build_inputs()
        self.spectrum_note.object = self.forecast_note.object = ""
        self._draw()

    @param.depends("active", "sel.field_settings", watch=True)
    def _draw(self) -> None:
        if self.active:
            self.request()

    def current_field(self) -> fields.Field | None:
        """The selected field with its settings; None, said in the page, where it refuses them."""
        try:
            return fields.get(self.sel.field, **(self.sel.field_settings or {}))
        except ArgumentError as exc:
            self._refuse(str(exc))
            return None

    def _refuse(self, message: str) -> None:
        self.message.object = f"**Not drawn:** {plain(message)}"
        self.message.visible = True

    # -- the run ----------------------------------------------------------------------------------
    def request(self) -> None:
        field = self.current_field()
        if field is None:
            return
        n = int(self.snapshots.value or SNAPSHOTS[field.name])
        key = (field.name, tuple(sorted(field.settings().items())), n)
        if key == self._asked:
            return
        self._asked = key
        self.play.pause()
        self.message.object, self.message.visible = "", False
        self.about.object = f"**{field.title}.** {field.description} *{field.citation}.*"
        self.note.object = f"*integrating {n} snapshots…*"

        def failed(message: str) -> None:
            self._asked = None
            self._refuse(message)
            self.note.object = ""

        self.runs.run(pictures.field_picture, field, n, kind=jobs.INTERACTIVE, label="field run",
                      on_result=lambda job: self.show(job.result), on_error=failed)

    def show(self, picture: pictures.FieldPicture) -> None:
        self.picture, self.frame = picture, 0
        field = picture.field
        two_d = field.space_dims == 2
        self.space_time_box.visible, self.frames_box.visible = not two_d, two_d
        self.forecast_box.visible = not two_d
        low, high = picture.span
        what = f"{len(picture.t)} snapshots every {field.dt:g} from t = {picture.t[0]:g} to {picture.t[-1]:g}, " \
               f"grid {field.grid}{'²' if two_d else ''}, colours from {low:.3g} (blue) to {high:.3g} (red); " \
               f"computed in {picture.seconds:.2f} s"
        if two_d:
            self.frame_view.show(picture.frame(0), ("x", "y"), title=f"{field.title}: the species u")
            self.note.object = f"t = {picture.t[0]:.2f}: {what}"
        else:
            ylabel = "site i" if field.name == "Lorenz96" else "x"
            self.space_time.show(picture.image, ("time", ylabel), title=f"{field.title}: space–time")
            self.note.object = what

    def advance(self, frames: int) -> None:
        """The next frame of a 2-D run (wrapping round at its end)."""
        picture = self.picture
        if picture is None or picture.frames is None:
            return
        self.frame = (self.frame + frames) % len(picture.frames)
        self.frame_view.show(picture.frame(self.frame), ("x", "y"))
        self.note.object = f"t = {picture.t[self.frame]:.2f}: frame {self.frame + 1} of {len(picture.frames)}"

    # -- the spectrum -----------------------------------------------------------------------------
    def request_spectrum(self) -> None:
        field = self.current_field()
        if field is None:
            return
        k = min(EXPONENTS, field.state_dim)
        self.spectrum_note.object = f"*the {k} leading exponents of {field.title}…*"

        def failed(message: str) -> None:
            self.spectrum_note.object = f"**No spectrum:** {plain(message)}"

        self.spectra.run(pictures.field_spectrum, field, k, self.averaging.value, kind=jobs.INTERACTIVE,
                         label="field spectrum",
                         on_result=lambda job: self._show_spectrum(field, job.result), on_error=failed)

    def _show_spectrum(self, field: fields.Field, result: pictures.FieldSpectrum) -> None:
        values = ", ".join(f"{x:.4g}" for x in np.asarray(result.exponents))
        text = f"λ1 … λ{len(result.exponents)} = ({values}); Kaplan–Yorke dimension {result.dimension}. " \
               f"Averaged over {result.t_max:g} time units in {result.seconds:.1f} s."
        if result.reference is not None:
            gap = abs(result.exponents[0] / result.reference - 1)
            text += f" Published λ1 {result.reference:g} ({result.source}): ours differs by {gap:.1%}."
        else:
            text += " No published value at these settings (the references are at the published parameters)."
        self.spectrum_note.object = text

    # -- the forecast -----------------------------------------------------------------------------
    def request_forecast(self) -> None:
        field = self.current_field()
        if field is None:
            return
        self.forecast_note.object = f"*training {pictures.reservoir_groups(field.grid)} reservoirs on " \
                                    f"{self.train_steps.value} steps of {field.title}…*"

        def failed(message: str) -> None:
            self.forecast_note.object = f"**No forecast:** {plain(message)}"

        self.forecasts.run(pictures.field_forecast, field, self.train_steps.value, self.horizon.value,
                           self.units.value, kind=jobs.TRAIN, label="field forecast",
                           on_result=lambda job: self._show_forecast(job.result), on_error=failed)

    def _show_forecast(self, result: pictures.FieldForecast) -> None:
        field = result.field
        ylabel = "site i" if field.name == "Lorenz96" else "x"
        for view, image in zip(self.forecast_views.values(), (result.truth, result.prediction, result.difference)):
            view.show(image, (FORECAST_TIME, ylabel))
        unit = f"Lyapunov times (λ1 = {result.lyapunov:g})" if result.lyapunov else \
            "time units (no published λ1 at these settings)"
        self.forecast_note.object = (
            f"Valid for **{result.vpt:.2f} {unit}**: the error, each site normalised by its training standard "
            f"deviation, first exceeds 0.5 there. {result.groups} reservoirs of {self.units.value} units, "
            f"each learning {field.grid // result.groups} sites from {field.grid // result.groups + 12} "
            f"(6 either side), fitted on {self.train_steps.value} steps in {result.fit_seconds:.1f} s.")
