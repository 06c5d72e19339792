"""The Networks tab: a network of coupled maps (``core.systems.networks``) seen as a network — the
nodes' coupled variable in space and time, the nodes' states on the topology, their correlation
matrix and synchrony measures, and a measure against a coupling strength, recomputed over the
window a zoom shows (like the orbit diagram).

The network is the shared selection's system, so its parameters (N, R, the couplings, the node
map's own) are the sidebar's, and every other tab takes it too. Runs and diagrams are jobs
(``core.pictures.networks``); a refused size or a diverging network is said in the page, the last
picture kept.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import RangesUpdate
from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d
from bokeh.plotting import figure
from panel.viewable import Viewer

from core import systems
from core.pictures import networks as pictures
from core.pictures import raster
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.render import RasterView, one_update
from dashboards.selection import Selection, plain

COUPLINGS = ("coupling", "hub", "triadic", "spread")
LABELS = {"N": "nodes N", "R": "radius R", "coupling": "coupling σ", "hub": "hub μ", "triadic": "triadic σ₂",
          "spread": "spread"}
DEFAULT_MEASURE = "cross-correlation"


def default_window(system: systems.System, parameter: str) -> tuple[float, float]:
    """The diagram's first window: from 0 to four times the parameter's value (at least 0.1), so
    the value sits inside it."""
    value = float(system.params[parameter])
    return 0.0, max(0.1, 4 * abs(value))


class NetworksDashboard(Viewer):
    """The tab over the shared selection's system, when it is a network of maps."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def __init__(self, selection: Selection, **params):
        super().__init__(sel=selection, **params)
        self.network_select = pn.widgets.Select(label="network", options=systems.names(group="network"), width=220)
        self.network_select.param.watch(lambda e: setattr(self.sel, "system", e.new), "value")
        self.iterates = pn.widgets.IntInput(label="iterates shown", value=1000, start=10, end=100_000, width=120)
        self.transient = pn.widgets.IntInput(label="transient", value=1000, start=0, end=1_000_000, width=110)
        for widget in (self.iterates, self.transient):
            widget.param.watch(lambda _: self._draw(), "value")
        self.inputs = {name: pn.widgets.FloatInput(label=LABELS[name], width=110) for name in ("N", "R", *COUPLINGS)}
        for name, widget in self.inputs.items():
            widget.param.watch(lambda e, name=name: self._edited(name, e.new), "value")
        self.message = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["networks-error"],
                                     sizing_mode="stretch_width")
        self.about = pn.pane.Markdown("", css_classes=["networks-about"], sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", css_classes=["networks-note"], sizing_mode="stretch_width")
        self.measures = pn.pane.Markdown("", css_classes=["networks-measures"], sizing_mode="stretch_width")
        self.space_time = RasterView("iterate", "node", pictures.SPACE_TIME_PIXELS, cmap=pictures.CMAP,
                                     title="space–time")
        self.topology, self.topology_source, self.edge_source, self.colours = self._topology_figure()
        self.correlation, self.correlation_source = self._correlation_figure()
        # the diagram: a measure against a parameter, its window recomputed on zoom
        self.parameter = pn.widgets.Select(label="against", options=list(COUPLINGS), width=110)
        self.measure = pn.widgets.Select(label="measure", options=list(pictures.MEASURES), value=DEFAULT_MEASURE,
                                         width=170)
        self.low = pn.widgets.FloatInput(label="from", width=100)
        self.high = pn.widgets.FloatInput(label="to", width=100)
        self.points = pn.widgets.IntInput(label="values", value=60, start=2, end=pictures.MAX_DIAGRAM_VALUES,
                                          width=90)
        self.diagram_button = pn.widgets.Button(label="Draw the diagram", color="primary", width=150)
        self.diagram_button.on_click(lambda _: self.request_diagram())
        self.diagram_progress = pn.indicators.Progress(value=0, max=100, width=160, visible=False)
        self.diagram_stop = pn.widgets.Button(label="Stop", width=70, visible=False)
        self.diagram_note = pn.pane.Markdown("", css_classes=["networks-diagram-note"], sizing_mode="stretch_width")
        self.diagram_source = ColumnDataSource({"value": [], "measure": []})
        self.diagram_range = Range1d(0.0, 1.0)
        self.diagram = figure(width=760, height=260, x_range=self.diagram_range, title="measure against coupling",
                              x_axis_label="coupling", y_axis_label=DEFAULT_MEASURE,
                              tools="xpan,xwheel_zoom,box_zoom,reset,save,hover", active_scroll="xwheel_zoom")
        self.diagram.line("value", "measure", source=self.diagram_source, line_width=2)
        self.diagram.scatter("value", "measure", source=self.diagram_source, size=4)
        self.diagram.on_event(RangesUpdate, self._zoomed)
        self.runs = Runner(coalesce=True)
        self.diagrams = Runner(self.diagram_progress, self.diagram_stop)
        self._asked = None
        self._window: tuple[float, float] | None = None  # the diagram's computed window
        self.body = pn.Column(
            pn.Row(*self.inputs.values()), pn.Row(self.iterates, self.transient), self.message, self.note,
            self.space_time.panel(css_classes=["network-space-time"]),
            pn.Row(pn.pane.Bokeh(self.topology), pn.pane.Bokeh(self.correlation)), self.measures,
            "##### A measure against a coupling strength",
            pn.Row(self.parameter, self.measure, self.low, self.high, self.points, self.diagram_button,
                   self.diagram_progress, self.diagram_stop),
            self.diagram_note, pn.pane.Bokeh(self.diagram, css_classes=["network-diagram"]),
            sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Column("#### Networks of maps", self.about, self.network_select, self.body,
                         sizing_mode="stretch_width")

    def main(self):
        return self.__panel__()

    # -- figures ----------------------------------------------------------------------------------
    @staticmethod
    def _topology_figure():
        palette = raster.palette(pictures.CMAP)
        colours = LinearColorMapper(palette=list(palette), low=0.0, high=1.0)
        nodes = ColumnDataSource({"x": [], "y": [], "value": [], "node": []})
        edges = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        fig = figure(width=380, height=380, title="the nodes' states on the topology", match_aspect=True,
                     tools="pan,wheel_zoom,reset,save,hover", tooltips=[("node", "@node"), ("state", "@value")],
                     x_axis_label="", y_axis_label="")
        fig.segment("x0", "y0", "x1", "y1", source=edges, line_color="#adb5bd", line_alpha=0.5)
        fig.scatter("x", "y", source=nodes, size=9, line_color="#343a40",
                    fill_color={"field": "value", "transform": colours})
        fig.axis.visible = False
        fig.grid.visible = False
        return fig, nodes, edges, colours

    @staticmethod
    def _correlation_figure():
        source = ColumnDataSource({"image": [], "dw": [], "dh": []})
        mapper = LinearColorMapper(palette=list(raster.palette("coolwarm")), low=-1.0, high=1.0)
        fig = figure(width=380, height=380, title="cross-correlation of the nodes", x_axis_label="node",
                     y_axis_label="node", tools="pan,wheel_zoom,reset,save,hover")
        fig.image(image="image", x=-0.5, y=-0.5, dw="dw", dh="dh", source=source, color_mapper=mapper)
        return fig, source

    # -- the selection ----------------------------------------------------------------------------
    def _edited(self, name: str, value) -> None:
        if value is None:
            return
        try:
            current = float(self.sel.current_system().params[name])
        except (KeyError, ValueError):
            current = None
        if current != value:
            self.sel.set_override(name, float(value))

    @param.depends("active", "sel.system", "sel.param_overrides", watch=True)
    def _draw(self) -> None:
        if self.active:
            self.request()

    def _refuse(self, message: str) -> None:
        self.message.object = f"**Not drawn:** {plain(message)}"
        self.message.visible = True

    def current(self) -> systems.System | None:
        """The selected network; None (the page says why) when it is not one or refuses its settings."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError) as exc:
            self._refuse(str(exc).strip("'\""))
            return None
        if system.network is None:
            self.body.visible = False
            self.about.object = (f"**{plain(system.name)} is not a network of maps.** Pick one here or in the "
                                 "sidebar's group *Networks of maps*: Chialvo, Rulkov, logistic or Hénon maps on a "
                                 "chain, a ring, a star or a ring-star.")
            return None
        self.body.visible = True
        return system

    # -- the run ----------------------------------------------------------------------------------
    def request(self) -> None:
        system = self.current()
        if system is None:
            return
        for name, widget in self.inputs.items():
            if widget.value != float(system.params[name]):
                widget.value = float(system.params[name])
        if self.network_select.value != system.name:
            self.network_select.value = system.name
        n, transient = int(self.iterates.value or 1000), int(self.transient.value or 0)
        key = (system.name, tuple(sorted(self.sel.overrides().items())), n, transient)
        if key == self._asked:
            return
        self._asked = key
        self.message.object, self.message.visible = "", False
        net = system.network
        self.about.object = f"**{plain(system.name)}.** {plain(system.description)} *{plain(system.citation)}*"
        self.note.object = f"*iterating {int(system.params['N'])} {net.node} maps…*"

        def failed(message: str) -> None:
            self._asked = None
            self._refuse(message)
            self.note.object = ""

        self.runs.run(pictures.network_picture, system, n, transient, kind=jobs.INTERACTIVE,
                      label=f"network {system.name}", on_result=lambda job: self.show(system, job.result),
                      on_error=failed)
        if self._window is None or self._window[2] != system.name:
            self._reset_diagram(system)

    def show(self, system: systems.System, picture: pictures.NetworkPicture) -> None:
        net = system.network
        low, high = picture.span
        nodes = len(picture.last)
        with one_update(holoviews=False):
            self.space_time.show(picture.image, ("iterate", "node"),
                                 title=f"{system.name}: {system.coordinate_labels[0][:-1]} of every node")
            self.colours.update(low=low, high=high if high > low else low + 1.0)
            self.topology_source.data = {"x": picture.positions[:, 0], "y": picture.positions[:, 1],
                                         "value": picture.last, "node": np.arange(nodes)}
            e = picture.edges
            self.edge_source.data = {"x0": picture.positions[e[:, 0], 0], "y0": picture.positions[e[:, 0], 1],
                                     "x1": picture.positions[e[:, 1], 0], "y1": picture.positions[e[:, 1], 1]}
            if picture.correlation is not None:
                self.correlation_source.data = {"image": [picture.correlation], "dw": [nodes], "dh": [nodes]}
            self.correlation.visible = picture.correlation is not None
        self.note.object = (f"{nodes} {net.node} maps on a {net.topology}, iterates {int(picture.image.extent[0])} "
                            f"to {int(picture.image.extent[1])}; colours from {low:.3g} (blue) to {high:.3g} "
                            f"(yellow), the last iterate on the topology; computed in {picture.seconds:.2f} s")
        lines = [f"- **{name}:** {value:.4g} — {pictures.MEASURES[name][1]}"
                 for name, value in picture.measures.items()]
        self.measures.object = "\n".join(lines)

    # -- the diagram ------------------------------------------------------------------------------
    def _reset_diagram(self, system: systems.System) -> None:
        parameter = self.parameter.value or "coupling"
        self.low.value, self.high.value = default_window(system, parameter)
        self._window = None
        self.diagram_source.data = {"value": [], "measure": []}
        self.diagram_note.object = "*Choose a measure and a window, then draw; zoom to recompute a window.*"

    def request_diagram(self, low: float | None = None, high: float | None = None) -> None:
        system = self.current()
        if system is None:
            return
        low = self.low.value if low is None else low
        high = self.high.value if high is None else high
        parameter, measure = self.parameter.value, self.measure.value
        if low is None or high is None:
            self.diagram_note.object = "**No diagram:** the window needs a from and a to"
            return
        self.diagram_note.object = f"*{measure} at {self.points.value} values of {parameter}…*"

        def failed(message: str) -> None:
            self.diagram_note.object = f"**No diagram:** {plain(message)}"

        self.diagrams.run(pictures.coupling_diagram, system, parameter, float(low), float(high), measure,
                          int(self.points.value), int(self.iterates.value or 1000), int(self.transient.value or 0),
                          kind=jobs.INTERACTIVE, label=f"diagram {system.name}",
                          on_result=lambda job: self._show_diagram(system, job.result), on_error=failed)

    def _show_diagram(self, system: systems.System, result: pictures.CouplingDiagram) -> None:
        low, high = float(result.values[0]), float(result.values[-1])
        self._window = (low, high, system.name)
        with one_update(holoviews=False):
            self.diagram_source.data = {"value": result.values, "measure": result.results}
            self.diagram_range.update(start=low, end=high)
            self.diagram.xaxis.axis_label = result.parameter
            self.diagram.yaxis.axis_label = result.measure
            self.diagram.title.text = f"{system.name}: {result.measure} against {result.parameter}"
        self.low.value, self.high.value = low, high
        lost = f"; {result.diverged} values diverged (left out)" if result.diverged else ""
        meaning = pictures.MEASURES[result.measure][1]
        self.diagram_note.object = (f"{len(result.values)} values of {result.parameter} from {low:.4g} to {high:.4g} "
                                    f"in {result.seconds:.2f} s{lost}. {meaning[0].upper()}{meaning[1:]}; "
                                    "zoom or pan to recompute the window.")

    def _zoomed(self, event) -> None:
        """A zoom or pan of the diagram: the window shown, recomputed (a window already drawn is not)."""
        if self._window is None or event.x0 is None or event.x1 is None:
            return
        low, high = float(event.x0), float(event.x1)
        width = self._window[1] - self._window[0]
        if abs(low - self._window[0]) < 1e-3 * width and abs(high - self._window[1]) < 1e-3 * width:
            return
        if high > low:
            self.request_diagram(low, high)
