"""The orbit diagram: a map's iterates after a transient (a flow's successive maxima) against one
parameter, computed in parallel over the parameter's values (``core.pictures.textbook.orbit_view``),
λ1 against the same values beside it for a map; a zoom recomputes the window, a click sets the
parameter there for every tab."""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, Span
from bokeh.plotting import figure

from core import systems
from core.pictures import textbook
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.card import TeachCard
from dashboards.render import RasterView, one_update


def coordinate_names(system: systems.System) -> list[str]:
    """The state's coordinates by name (x, y, z …, or a typed system's own)."""
    return list(system.coordinate_labels)


class OrbitDiagram(TeachCard):
    """The orbit diagram card: which parameter, over which window, which coordinate."""

    def __init__(self, **params):
        super().__init__(**params)
        self.view = RasterView("parameter", "state", textbook.ORBIT_PIXELS, title="orbit diagram")
        self.marker = Span(location=0.0, dimension="height", line_color="#4dabf7", line_dash="dashed", line_width=2)
        self.view.figure.add_layout(self.marker)
        self.view.figure.on_event(Tap, self.on_tap)
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=240, bar_color="info")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", visible=False, width=80)
        self.jobs = Runner(self.progress, self.stop_button)
        self.zooms = Runner()
        self.parameter = pn.widgets.Select(label="Parameter", width=140)
        self.coordinate = pn.widgets.Select(label="Coordinate", width=110)
        self.low = pn.widgets.FloatInput(label="from", width=110)
        self.high = pn.widgets.FloatInput(label="to", width=110)
        pn.bind(self._set, "orbit_parameter", self.parameter, watch=True)
        pn.bind(self._set_coordinate, self.coordinate, watch=True)
        pn.bind(self._set, "orbit_low", self.low, watch=True)
        pn.bind(self._set, "orbit_high", self.high, watch=True)
        self.note = pn.pane.Markdown("", css_classes=["teach-note"], sizing_mode="stretch_width")
        # λ1 along the same parameter values: a plain figure whose columns are replaced, shown and
        # hidden as a Bokeh property (a HoloViews pane replaced its figure with every result)
        self.lyapunov_source = ColumnDataSource({"value": [], "lyapunov": []})
        self.lyapunov_figure = figure(width=640, height=200, title="largest Lyapunov exponent: above 0, chaos",
                                      x_axis_label="parameter", y_axis_label="λ1",
                                      tools="pan,wheel_zoom,box_zoom,reset,save,hover", visible=False)
        self.lyapunov_figure.line("value", "lyapunov", source=self.lyapunov_source, line_width=2)
        self.lyapunov_figure.add_layout(Span(location=0.0, dimension="width", line_color="grey", line_dash="dotted"))
        self._drawn = None  # what the diagram shows, bar the varied parameter's own value
        self.controls = pn.Row(self.parameter, self.low, self.high, self.coordinate, self.progress, self.stop_button)

    def __panel__(self):
        return pn.Column(self.note, self.view.panel(css_classes=["orbit-diagram"]), pn.pane.Bokeh(self.lyapunov_figure),
                         sizing_mode="stretch_width")

    # -- the selection ----------------------------------------------------------------------------
    def _set(self, name: str, value) -> None:
        if getattr(self.sel, name) != value:
            setattr(self.sel, name, value)

    def _set_coordinate(self, name: str) -> None:
        options = self.coordinate.options
        self._set("orbit_coordinate", options.index(name) if name in options else 0)

    @param.depends("active", "sel.param_overrides", "sel.orbit_parameter", "sel.orbit_coordinate", "sel.orbit_low",
                   "sel.orbit_high", watch=True)
    def _changed(self) -> None:
        if self.active:
            self.request()

    def sync(self, system: systems.System) -> None:
        """The selection's orbit fields completed with the system's defaults, and the widgets
        showing them."""
        scalars = system.continuous_params
        sel = self.sel
        with param.parameterized.batch_call_watchers(sel):
            if sel.orbit_parameter not in scalars:  # a network's: its coupling first
                sel.orbit_parameter = "coupling" if system.network is not None else scalars[0] if scalars else ""
            if sel.orbit_parameter and (sel.orbit_low is None or sel.orbit_high is None):
                sel.orbit_low, sel.orbit_high = textbook.default_window(system, sel.orbit_parameter)
            if not 0 <= sel.orbit_coordinate < system.dim:
                sel.orbit_coordinate = 0
        names = coordinate_names(system)
        self.parameter.param.update(options=scalars, value=sel.orbit_parameter)
        self.coordinate.param.update(options=names, value=names[sel.orbit_coordinate])
        self.low.value, self.high.value = sel.orbit_low, sel.orbit_high

    # -- the diagram ------------------------------------------------------------------------------
    def request(self) -> None:
        """The diagram of the selection as a job, unless only the varied parameter moved."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError) as exc:
            self.report("Orbit diagram", str(exc))
            return
        self.sync(system)
        sel = self.sel
        if not sel.orbit_parameter:
            self.report("Orbit diagram", f"{system.name} has no scalar parameter to vary")
            return
        if system.kind == "delay":
            self.report("Orbit diagram", f"{system.name} is a delay system: its orbit diagram is not supported yet")
            return
        # a Bokeh model changed from a widget's event, which Panel runs on its thread pool: held and
        # sent by Panel, never written to the session without its lock (a RuntimeError in the log)
        with one_update(holoviews=False):
            self.marker.location = float(system.params[sel.orbit_parameter])
        others = tuple(sorted((k, float(v)) for k, v in system.params.items()
                              if np.ndim(v) == 0 and k != sel.orbit_parameter))
        key = (system.name, others, sel.orbit_parameter, sel.orbit_low, sel.orbit_high, sel.orbit_coordinate)
        if key == self._drawn:
            return  # only the varied parameter moved (a click): the diagram is the same, the marker moved
        self._drawn = key
        args = (system, sel.orbit_parameter, float(sel.orbit_low), float(sel.orbit_high), sel.orbit_coordinate)
        labels = (sel.orbit_parameter, coordinate_names(system)[sel.orbit_coordinate])
        kind = "iterates after a transient" if system.kind == "map" else "successive maxima"

        def shown(job) -> None:
            result = job.result
            self.report("Orbit diagram", None)  # a good diagram: the tab's last message is stale
            self.view.show(result.raster, labels, zoom=self._zoomer(args),
                           title=f"{system.name}: {labels[1]} ({kind}) against {labels[0]}")
            self._show_lyapunov(result)
            self.note.object = (f"*{len(result.values)} values of {labels[0]} computed in {result.seconds:.2f} s; "
                                "zoom to recompute a window, click to set the parameter there.*")

        def failed(message: str) -> None:
            self._drawn = None
            self.report("Orbit diagram", message)

        self.jobs.run(textbook.orbit_view, *args, kind=jobs.INTERACTIVE, label=f"orbit diagram {system.name}",
                      on_result=shown, on_error=failed)

    def _zoomer(self, args):
        def zoom(extent, done) -> None:
            def shown(job) -> None:
                done(job.result.raster)
                self._show_lyapunov(job.result)

            self.zooms.run(textbook.orbit_view, *args, extent, kind=jobs.INTERACTIVE, label="orbit zoom",
                           on_result=shown, on_error=lambda message: self.report("Orbit diagram", message))
        return zoom

    def _show_lyapunov(self, result: textbook.OrbitView) -> None:
        shown = result.lyapunov is not None  # flows: their spectra are the Lyapunov tab's
        if self.lyapunov_figure.visible != shown:
            self.lyapunov_figure.visible = shown
        if not shown:
            return
        self.lyapunov_source.data = {"value": np.asarray(result.values), "lyapunov": np.asarray(result.lyapunov)}
        if self.lyapunov_figure.xaxis[0].axis_label != result.parameter:
            self.lyapunov_figure.xaxis.axis_label = result.parameter

    def on_tap(self, event) -> None:
        """A click on the diagram: the parameter takes the value under the pointer, everywhere."""
        if event.x is None or not self.sel.orbit_parameter:
            return
        value = float(f"{event.x:.6g}")
        self.sel.set_override(self.sel.orbit_parameter, value)
        self.marker.location = value
