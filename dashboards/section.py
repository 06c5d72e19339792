"""The Poincaré section of a three-dimensional flow: one orbit's crossings of a plane, located on
the dense interpolant (``core.pictures.textbook.section_view``); a click launches another orbit
from that point of the plane and adds its crossings in a colour of their own."""

from __future__ import annotations

import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, Scatter

from core import systems
from core.pictures import textbook
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.card import TeachCard
from dashboards.render import RasterView

LAUNCH_COLOURS = {"#4dabf7": "blue", "#69db7c": "green", "#f783ac": "pink", "#ffd43b": "yellow",
                  "#b197fc": "violet", "#63e6be": "teal"}


def _no_points() -> dict:
    return {"x": [], "y": [], "colour": []}


class SectionView(TeachCard):
    """The section card of the Teach tab; hidden for anything but a three-dimensional flow."""

    def __init__(self, **params):
        super().__init__(**params)
        sel = self.sel
        self.view = RasterView("u", "v", textbook.SECTION_PIXELS, title="click to launch an orbit there")
        self.launched = ColumnDataSource(_no_points())
        self.view.figure.add_glyph(self.launched, Scatter(x="x", y="y", fill_color="colour", line_color="colour",
                                                          size=3))
        self.view.figure.on_event(Tap, self.on_tap)
        self.coordinate = pn.widgets.Select(label="Plane: coordinate", width=130)
        pn.bind(self._coordinate_picked, self.coordinate, watch=True)
        self.value_input = pn.widgets.FloatInput.from_param(sel.param.section_value, label="= value", width=110)
        self.direction = pn.widgets.Select.from_param(sel.param.section_direction, label="crossing", width=100)
        self.clear = pn.widgets.Button(label="Clear launched orbits", width=170)
        self.clear.on_click(lambda _: setattr(self.launched, "data", _no_points()))
        self.note = pn.pane.Markdown("", css_classes=["section-note"], sizing_mode="stretch_width")
        self.jobs, self.launches = Runner(), Runner()
        self.shown: tuple | None = None  # (system, coordinate, value, direction) of the section shown
        self._asked = None  # ... and of the one asked for
        self.box = pn.Column(
            "#### Poincaré section", self.note,
            pn.Row(self.coordinate, self.value_input, self.direction, self.clear),
            self.view.panel(css_classes=["poincare-section"]), visible=False)

    def __panel__(self):
        return self.box

    @param.depends("active", "sel.param_overrides", "sel.section_coordinate", "sel.section_value",
                   "sel.section_direction", watch=True)
    def _changed(self) -> None:
        if self.active:
            self.draw()

    def _coordinate_picked(self, name: str) -> None:
        self.pick_coordinate(self.coordinate, name, "section_coordinate", "section_value")

    def draw(self) -> None:
        """The section through the chosen plane, as a job."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError):
            system = None  # the tab says why
        self.box.visible = system is not None and system.kind == "flow" and system.dim == 3
        if not self.box.visible:
            return
        sel = self.sel
        coordinate = sel.section_coordinate if sel.section_coordinate < 3 else 2
        names = list(system.coordinate_labels)
        self.coordinate.param.update(options=names, value=names[coordinate])
        if sel.section_value is None:
            sel.section_value = textbook.default_section_value(system, coordinate)  # draws through _changed
            return
        spec = (system, coordinate, float(sel.section_value), int(sel.section_direction))
        key = (system.dynamics_key, *spec[1:])
        if key == self._asked:
            return  # asked already (a new system changes several fields at once)
        self._asked = key

        def shown(job) -> None:
            result = job.result
            self.shown = spec
            self.launched.data = _no_points()
            self.view.show(result.raster, result.labels, zoom=self._zoom(spec),
                           title=f"{names[coordinate]} = {spec[2]:g}, {'up' if spec[3] > 0 else 'down'}wards: "
                                 "click to launch an orbit there")
            self.note.object = f"*{result.count} crossings of one orbit; each click adds another orbit's.*"

        def failed(message: str) -> None:
            self._asked = None
            self._failed(message)

        self.jobs.run(textbook.section_view, *spec, kind=jobs.INTERACTIVE, label="Poincaré section",
                      on_result=shown, on_error=failed)

    def _failed(self, message: str) -> None:
        self.report("Poincaré section", message)

    def _zoom(self, spec: tuple[systems.System, int, float, int]):
        def zoom(extent, done) -> None:
            self.jobs.run(textbook.section_view, *spec, 3000, extent, kind=jobs.INTERACTIVE, label="section zoom",
                          on_result=lambda job: done(job.result.raster), on_error=self._failed)
        return zoom

    def on_tap(self, event) -> None:
        """A click on the section: an orbit from that point of the plane, its crossings in a new colour."""
        if self.shown is None or event.x is None or event.y is None:
            return
        colours = list(LAUNCH_COLOURS)
        colour = colours[len(set(self.launched.data["colour"])) % len(colours)]

        def add(job) -> None:
            points = job.result
            data = self.launched.data
            self.launched.data = {"x": list(data["x"]) + list(points[:, 0]), "y": list(data["y"]) + list(points[:, 1]),
                                  "colour": list(data["colour"]) + [colour] * len(points)}
            self.note.object = (f"*launched from ({event.x:.4g}, {event.y:.4g}): {len(points)} crossings "
                                f"in {LAUNCH_COLOURS[colour]}*")

        self.launches.run(textbook.launched_crossings, *self.shown, (float(event.x), float(event.y)),
                          kind=jobs.INTERACTIVE, label="launch orbit", on_result=add, on_error=self._failed)
