"""The Teach tab: the orbit diagram of the selected system against any of its parameters, the
cobweb of a one-dimensional map, the Poincaré section of a 3-D flow and the butterfly effect in
motion (``dashboards.butterfly``).

Zooming recomputes the orbit diagram's window at full resolution; a dashed line marks the
parameter's current value; a click on the diagram sets the parameter there, for every tab. Beside
it, λ1 against the same parameter (maps). The cobweb steps, runs and resets, and a click on it
picks the starting point. After DynamicalSystems.jl's ``interactive_orbitdiagram`` and
``interactive_cobweb``.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, Scatter, Span
from bokeh.plotting import figure

from core import systems
from core.pictures import textbook
from core.runtime import jobs
from dashboards.background import Runner, Ticker
from dashboards.butterfly import ButterflyView
from dashboards.render import RasterView, one_update
from dashboards.selection import TYPED, Selection, plain


def coordinate_names(system) -> list[str]:
    return list(system.coordinate_labels)


class TeachDashboard(param.Parameterized):
    """Orbit diagram, marker, click-to-set, λ1 beside it; computed only while the tab is shown."""

    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def __init__(self, selection: Selection, **params):
        super().__init__(**params)
        self.sel = selection
        self.view = RasterView("parameter", "state", textbook.ORBIT_PIXELS, title="orbit diagram")
        self.marker = Span(location=0.0, dimension="height", line_color="#4dabf7", line_dash="dashed", line_width=2)
        self.view.figure.add_layout(self.marker)
        self.view.figure.on_event(Tap, self._on_tap)
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=240, bar_color="info")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", visible=False, width=80)
        self.runner = Runner(self.progress, self.stop_button)
        self.zooms = Runner()
        self.parameter = pn.widgets.Select(label="Parameter", width=140)
        self.coordinate = pn.widgets.Select(label="Coordinate", width=110)
        self.low = pn.widgets.FloatInput(label="from", width=110)
        self.high = pn.widgets.FloatInput(label="to", width=110)
        self.note = pn.pane.Markdown("", css_classes=["teach-note"], sizing_mode="stretch_width")
        self.error = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["teach-error"],
                                   sizing_mode="stretch_width")
        # λ1 along the same parameter values: a plain figure whose columns are replaced, shown and
        # hidden as a Bokeh property (a HoloViews pane replaced its figure with every result)
        self.lyapunov_source = ColumnDataSource({"value": [], "lyapunov": []})
        self.lyapunov_figure = figure(width=640, height=200, title="largest Lyapunov exponent: above 0, chaos",
                                      x_axis_label="parameter", y_axis_label="λ1",
                                      tools="pan,wheel_zoom,box_zoom,reset,save,hover", visible=False)
        self.lyapunov_figure.line("value", "lyapunov", source=self.lyapunov_source, line_width=2)
        self.lyapunov_figure.add_layout(Span(location=0.0, dimension="width", line_color="grey", line_dash="dotted"))
        self.lyapunov_box = pn.pane.Bokeh(self.lyapunov_figure)
        self._drawn = None  # what the diagram shows, bar the varied parameter's own value
        for widget, name in ((self.parameter, "orbit_parameter"), (self.coordinate, "orbit_coordinate"),
                             (self.low, "orbit_low"), (self.high, "orbit_high")):
            widget.param.watch(self._widget_setter(name), "value")
        self._filling = False  # a widget's options are being replaced: its events are not the user's
        self._build_cobweb()
        self._build_section()
        self.butterfly = ButterflyView(selection, self._show_error)
        selection.param.watch(self._on_system, ["system", "equations"])
        selection.param.watch(self._on_change, ["param_overrides", "orbit_parameter", "orbit_coordinate",
                                                "orbit_low", "orbit_high"])
        selection.param.watch(self._while_shown(self.draw_cobweb), ["param_overrides", "cobweb_n", "cobweb_start",
                                                                          "cobweb_coordinate"])
        selection.param.watch(self._while_shown(self.draw_section),
                              ["param_overrides", "section_coordinate", "section_value", "section_direction"])
        selection.param.watch(self._while_shown(self.draw_butterfly),
                              ["param_overrides", "butterfly_members", "butterfly_distance", "coord_x", "coord_y",
                               "coord_z", "azimuth", "elevation"])
        self.param.watch(self._on_change, ["active"])
        self._sync_widgets()
        self._on_change()

    # -- state --------------------------------------------------------------------------------
    def _widget_setter(self, name: str):
        def set_value(event):
            value = event.new
            if name == "orbit_coordinate":
                value = self.coordinate.options.index(value) if value in self.coordinate.options else 0
            if getattr(self.sel, name) != value:
                setattr(self.sel, name, value)
        return set_value

    def _system(self):
        try:
            return self.sel.current_system()
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return None

    def _system_for(self, box, shows) -> systems.System | None:
        """The selected system if ``box`` is for it (``shows(system)``), else None; ``box`` is
        hidden for the others."""
        system = self._system()
        box.visible = system is not None and shows(system)
        return system if box.visible else None

    def _sync_widgets(self) -> None:
        """Widgets from the shared state, with the system's defaults where it says nothing."""
        system = self._system()
        if system is None:
            return
        scalars = [name for name in sorted(system.params) if np.ndim(system.params[name]) == 0]
        names = coordinate_names(system)
        sel = self.sel
        with param.parameterized.batch_call_watchers(sel):
            if sel.orbit_parameter not in scalars:
                sel.orbit_parameter = scalars[0] if scalars else ""
            if sel.orbit_parameter and (sel.orbit_low is None or sel.orbit_high is None):
                sel.orbit_low, sel.orbit_high = textbook.default_window(system, sel.orbit_parameter)
            if not 0 <= sel.orbit_coordinate < system.dim:
                sel.orbit_coordinate = 0
        self.parameter.options, self.parameter.value = scalars, sel.orbit_parameter
        self.coordinate.options, self.coordinate.value = names, names[sel.orbit_coordinate]
        self.low.value, self.high.value = sel.orbit_low, sel.orbit_high

    def _on_system(self, *events) -> None:
        if all(e.name == "equations" for e in events) and self.sel.system != TYPED:
            return  # new equations matter only while they are the selected system
        with param.parameterized.batch_call_watchers(self.sel):
            self.sel.orbit_parameter, self.sel.orbit_low, self.sel.orbit_high = "", None, None
            self.sel.orbit_coordinate = 0
            self.sel.section_coordinate, self.sel.section_value = 2, None
            self.sel.cobweb_coordinate = 0
        self._section = None
        self._sync_widgets()
        self._on_change()

    def _while_shown(self, draw):
        """A watcher that redraws with ``draw`` while the tab is shown (nothing is computed else)."""
        return lambda *_: draw() if self.active else None

    def _on_change(self, *_) -> None:
        if self.active:
            self.request()
            self.draw_cobweb()
            self.draw_section()
            self.draw_butterfly()
        else:
            self.butterfly.pause()  # a hidden tab animates nothing

    def draw_butterfly(self) -> None:
        self.butterfly.draw(self._system())

    # -- the diagram ----------------------------------------------------------------------------
    def request(self) -> None:
        self._sync_widgets()
        system, sel = self._system(), self.sel
        if system is None:
            return
        if not sel.orbit_parameter:
            self._show_error(f"{system.name} has no scalar parameter to vary")
            return
        if system.kind == "delay":
            self._show_error(f"{system.name} is a delay system: its orbit diagram is not supported yet")
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
            self.error.visible = False
            result = job.result
            self.view.show(result.raster, labels, zoom=self._zoomer(args, labels),
                           title=f"{system.name}: {labels[1]} ({kind}) against {labels[0]}")
            self._show_lyapunov(result)
            self.note.object = (f"*{len(result.values)} values of {labels[0]} computed in {result.seconds:.2f} s; "
                                "zoom to recompute a window, click to set the parameter there.*")

        def failed(message: str) -> None:
            self._drawn = None
            self._show_error(message)

        self.runner.run(textbook.orbit_view, *args, kind=jobs.INTERACTIVE, label=f"orbit diagram {system.name}",
                        on_result=shown, on_error=failed)

    def _zoomer(self, args, labels):
        def zoom(extent, done) -> None:
            def shown(job) -> None:
                done(job.result.raster)
                self._show_lyapunov(job.result)

            self.zooms.run(textbook.orbit_view, *args, extent, kind=jobs.INTERACTIVE, label="orbit zoom",
                           on_result=shown, on_error=self._show_error)
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

    def _on_tap(self, event) -> None:
        """A click on the diagram: the parameter takes the value under the pointer, everywhere."""
        if event.x is None or not self.sel.orbit_parameter:
            return
        value = float(f"{event.x:.6g}")
        self.sel.set_override(self.sel.orbit_parameter, value)
        self.marker.location = value

    def _show_error(self, message: str) -> None:
        self.error.object = f"**Orbit diagram not updated:** {plain(message)}"
        self.error.visible = True

    # -- the cobweb -----------------------------------------------------------------------------
    COBWEB_STEPS = 400  # iterates computed at once; Step and Run reveal them

    def _build_cobweb(self) -> None:
        self.cobweb_n = pn.widgets.IntInput.from_param(self.sel.param.cobweb_n, label="n (shows fⁿ)", width=110)
        self.cobweb_start = pn.widgets.FloatInput.from_param(self.sel.param.cobweb_start, label="start x₀", width=130)
        self.cobweb_coordinate = pn.widgets.Select(label="coordinate", width=110, visible=False)
        self.cobweb_coordinate.param.watch(self._on_cobweb_coordinate, "value")
        self.step_button = pn.widgets.Button(label="Step", width=80)
        self.run_button = pn.widgets.Toggle(label="Run", width=80, color="primary")
        self.reset_button = pn.widgets.Button(label="Reset", width=80)
        self.step_button.on_click(lambda _: self._advance(1))
        self.reset_button.on_click(lambda _: self._show_steps(0))
        self.run_button.param.watch(self._on_run, "value")
        # plain Bokeh figures whose columns are replaced: a step costs a small patch, not a re-render
        self.cobweb_sources = {name: ColumnDataSource({"x": [], "y": []})
                               for name in ("graph", "diagonal", "stair", "start", "series")}
        web = figure(width=420, height=400, title="click to start elsewhere", tools="pan,wheel_zoom,reset,save",
                     x_axis_label="x", y_axis_label="f(x)")
        web.line("x", "y", source=self.cobweb_sources["graph"], color="#1b1b2f", line_width=2)
        web.line("x", "y", source=self.cobweb_sources["diagonal"], color="grey", line_dash="dashed")
        web.line("x", "y", source=self.cobweb_sources["stair"], color="#d9480f", line_width=1.5)
        web.scatter("x", "y", source=self.cobweb_sources["start"], color="#d9480f", size=8)
        web.on_event(Tap, self._on_cobweb_tap)
        series = figure(width=420, height=400, title="the same iterates in time", tools="pan,wheel_zoom,reset,save",
                        x_axis_label="iterate", y_axis_label="x")
        series.line("x", "y", source=self.cobweb_sources["series"], color="#d9480f")
        series.scatter("x", "y", source=self.cobweb_sources["series"], color="#d9480f", size=4)
        self.cobweb_figure = web
        self.cobweb_note = pn.pane.Markdown("", css_classes=["cobweb-note"], sizing_mode="stretch_width")
        self.cobweb_box = pn.Column(
            "#### Cobweb", self.cobweb_note,
            pn.Row(self.cobweb_coordinate, self.cobweb_n, self.cobweb_start, self.step_button, self.run_button,
                   self.reset_button),
            pn.Row(pn.pane.Bokeh(web, css_classes=["cobweb"]), pn.pane.Bokeh(series)), visible=False)
        self._cobweb: textbook.Cobweb | None = None
        self._steps = 0
        self._run = Ticker(lambda: self._advance(1), 250)

    def _on_cobweb_coordinate(self, event) -> None:
        if self._filling or event.new not in self.cobweb_coordinate.options:
            return
        with param.parameterized.batch_call_watchers(self.sel):  # another variable: its own starting point
            self.sel.cobweb_coordinate = self.cobweb_coordinate.options.index(event.new)
            self.sel.cobweb_start = None

    def draw_cobweb(self) -> None:
        """Compute the cobweb of the selected map's chosen coordinate (hidden for anything but a map)."""
        system = self._system_for(self.cobweb_box, lambda s: s.kind == "map")
        if system is None:
            return
        names = list(system.coordinate_labels)
        coordinate = self.sel.cobweb_coordinate if self.sel.cobweb_coordinate < system.dim else 0
        self._filling = True
        try:
            self.cobweb_coordinate.options, self.cobweb_coordinate.value = names, names[coordinate]
            self.cobweb_coordinate.visible = system.dim > 1
        finally:
            self._filling = False
        start = self.sel.cobweb_start if self.sel.cobweb_start is not None else float(system.ic[coordinate])
        try:
            self._cobweb = textbook.cobweb(system, start, self.COBWEB_STEPS, self.sel.cobweb_n, coordinate=coordinate)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self._show_steps(min(self._steps, self.COBWEB_STEPS) or 0)

    def _advance(self, k: int) -> None:
        if self._cobweb is not None:
            self._show_steps(min(self._steps + k, self.COBWEB_STEPS))

    def _on_run(self, event) -> None:
        if event.new:
            self._run = pn.state.add_periodic_callback(lambda: self._advance(1), period=250)
            self.run_button.label = "Pause"
        else:
            if self._run is not None:
                self._run.stop()
                self._run = Ticker(lambda: self._advance(1), 250)
            self.run_button.label = "Run"

    def _on_cobweb_tap(self, event) -> None:
        """A click on the cobweb: the staircase starts from the point's x."""
        if event.x is not None:
            self.sel.cobweb_start = float(f"{event.x:.6g}")

    def _show_steps(self, steps: int) -> None:
        """The graph of fⁿ, the diagonal and the first ``steps`` steps of the staircase."""
        c, self._steps = self._cobweb, steps
        if c is None:
            return
        if steps >= self.COBWEB_STEPS and self.run_button.value:
            self.run_button.value = False
        names = self._system().coordinate_labels if self._system() is not None else ("x",)
        name = names[c.coordinate] if c.coordinate < len(names) else "x"
        label = f"f({name})" if c.n == 1 else f"f^{c.n}({name})"
        src = self.cobweb_sources
        with one_update(holoviews=False):
            if src["graph"].data["x"] is not c.grid:  # a new cobweb: its graph and window
                src["graph"].data = {"x": c.grid, "y": c.graph}
                src["diagonal"].data = {"x": [c.low, c.high], "y": [c.low, c.high]}
                src["start"].data = {"x": [c.path_x[0]], "y": [c.path_y[0]]}
                self.cobweb_figure.yaxis.axis_label = label
                self.cobweb_figure.xaxis.axis_label = name
            src["stair"].data = {"x": c.path_x[: 2 * steps + 1], "y": c.path_y[: 2 * steps + 1]}
            k = np.arange(steps + 1)
            src["series"].data = {"x": k * c.n, "y": c.iterates[: steps + 1]}
            last = c.iterates[steps] if np.isfinite(c.iterates[steps]) else float("nan")
            held = [f"{n} = {v:.4g}" for i, (n, v) in enumerate(zip(names, c.frozen)) if i != c.coordinate]
            frozen = f" (the graph holds {', '.join(held)}; the staircase follows the whole map)" if held else ""
            self.cobweb_note.object = (f"*{steps} step{'s' * (steps != 1)} of {label} from {name}₀ = "
                                       f"{c.iterates[0]:.6g}: {name} = {last:.6g}{frozen}*")

    # -- the Poincaré section ------------------------------------------------------------------------
    LAUNCH_COLOURS = {"#4dabf7": "blue", "#69db7c": "green", "#f783ac": "pink", "#ffd43b": "yellow",
                      "#b197fc": "violet", "#63e6be": "teal"}

    def _build_section(self) -> None:
        self.section_view = RasterView("u", "v", textbook.SECTION_PIXELS, title="click to launch an orbit there")
        self.launched = ColumnDataSource({"x": [], "y": [], "colour": []})
        self.section_view.figure.add_glyph(self.launched, Scatter(x="x", y="y", fill_color="colour", line_color="colour",
                                                                  size=3))
        self.section_view.figure.on_event(Tap, self._on_section_tap)
        self.section_coordinate = pn.widgets.Select(label="Plane: coordinate", width=130)
        self.section_coordinate.param.watch(self._on_section_coordinate, "value")
        self.section_value = pn.widgets.FloatInput.from_param(self.sel.param.section_value, label="= value", width=110)
        self.section_direction = pn.widgets.Select.from_param(self.sel.param.section_direction, label="crossing",
                                                             width=100)
        self.section_clear = pn.widgets.Button(label="Clear launched orbits", width=170)
        self.section_clear.on_click(lambda _: setattr(self.launched, "data", {"x": [], "y": [], "colour": []}))
        self.section_note = pn.pane.Markdown("", css_classes=["section-note"], sizing_mode="stretch_width")
        self.section_jobs, self.launch_jobs = Runner(), Runner()
        self._section = None  # (system, coordinate, value, direction) of the section shown
        self.section_box = pn.Column(
            "#### Poincaré section", self.section_note,
            pn.Row(self.section_coordinate, self.section_value, self.section_direction, self.section_clear),
            self.section_view.panel(css_classes=["poincare-section"]), visible=False)

    def _on_section_coordinate(self, event) -> None:
        if self._filling or event.new not in self.section_coordinate.options:
            return
        with param.parameterized.batch_call_watchers(self.sel):  # another plane: through the attractor
            self.sel.section_coordinate = self.section_coordinate.options.index(event.new)
            self.sel.section_value = None

    def draw_section(self) -> None:
        """The section of a three-dimensional flow through the chosen plane (hidden otherwise)."""
        system = self._system_for(self.section_box, lambda s: s.kind == "flow" and s.dim == 3)
        if system is None:
            return
        sel = self.sel
        coordinate = sel.section_coordinate if sel.section_coordinate < 3 else 2
        names = list(system.coordinate_labels)
        self._filling = True
        try:
            self.section_coordinate.options, self.section_coordinate.value = names, names[coordinate]
        finally:
            self._filling = False
        if sel.section_value is None:
            sel.section_value = textbook.default_section_value(system, coordinate)  # draws through the watcher
            return
        spec = (system, coordinate, float(sel.section_value), int(sel.section_direction))

        def shown_section(job) -> None:
            result = job.result
            self._section = spec
            self.launched.data = {"x": [], "y": [], "colour": []}
            self.section_view.show(result.raster, result.labels, zoom=self._section_zoom(spec),
                                   title=f"{names[coordinate]} = {spec[2]:g}, {'up' if spec[3] > 0 else 'down'}wards: "
                                         "click to launch an orbit there")
            self.section_note.object = f"*{result.count} crossings of one orbit; each click adds another orbit's.*"

        self.section_jobs.run(textbook.section_view, *spec, kind=jobs.INTERACTIVE, label="Poincaré section",
                              on_result=shown_section, on_error=self._show_error)

    def _section_zoom(self, spec):
        def zoom(extent, done) -> None:
            self.section_jobs.run(textbook.section_view, *spec, 3000, extent, kind=jobs.INTERACTIVE, label="section zoom",
                                  on_result=lambda job: done(job.result.raster), on_error=self._show_error)
        return zoom

    def _on_section_tap(self, event) -> None:
        """A click on the section: an orbit from that point of the plane, its crossings in a new colour."""
        if self._section is None or event.x is None or event.y is None:
            return
        colours = list(self.LAUNCH_COLOURS)
        colour = colours[len(set(self.launched.data["colour"])) % len(colours)]

        def add(job) -> None:
            points = job.result
            data = self.launched.data
            self.launched.data = {"x": list(data["x"]) + list(points[:, 0]), "y": list(data["y"]) + list(points[:, 1]),
                                  "colour": list(data["colour"]) + [colour] * len(points)}
            self.section_note.object = (f"*launched from ({event.x:.4g}, {event.y:.4g}): {len(points)} crossings "
                                        f"in {self.LAUNCH_COLOURS[colour]}*")

        self.launch_jobs.run(textbook.launched_crossings, *self._section, (float(event.x), float(event.y)),
                             kind=jobs.INTERACTIVE, label="launch orbit", on_result=add, on_error=self._show_error)

    def main(self):
        return pn.Column(
            pn.Row(self.parameter, self.low, self.high, self.coordinate, self.progress, self.stop_button),
            self.error,
            self.note,
            self.view.panel(css_classes=["orbit-diagram"]),
            self.lyapunov_box,
            self.cobweb_box,
            self.section_box,
            self.butterfly.box,
            sizing_mode="stretch_width",
        )
