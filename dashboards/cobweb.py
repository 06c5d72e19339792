"""The cobweb of a one-dimensional map (or of one coordinate of a map, the others held): the graph
of fⁿ, the diagonal and the staircase of its iterates, revealed step by step, run and reset; a
click starts it elsewhere. The iterates are computed as a job (``core.pictures.textbook.cobweb``),
never on the session's event loop; Step and Run only reveal what is already there.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from bokeh.events import Tap
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from core import systems
from core.pictures import textbook
from core.runtime import jobs
from dashboards.background import PlayToggle, Runner
from dashboards.card import TeachCard
from dashboards.render import one_update

STEPS = 400  # iterates computed at once; Step and Run reveal them
TICK_MS = 250  # Run: one step a quarter second


class CobwebView(TeachCard):
    """The cobweb card of the Teach tab; hidden for anything but a map."""

    def __init__(self, **params):
        super().__init__(**params)
        sel = self.sel
        self.n_input = pn.widgets.IntInput.from_param(sel.param.cobweb_n, label="n (shows fⁿ)", width=110)
        self.start_input = pn.widgets.FloatInput.from_param(sel.param.cobweb_start, label="start x₀", width=130)
        self.coordinate = pn.widgets.Select(label="coordinate", width=110, visible=False)
        pn.bind(self._coordinate_picked, self.coordinate, watch=True)
        self.step_button = pn.widgets.Button(label="Step", width=80)
        self.run = PlayToggle(lambda: self.advance(1), TICK_MS, label="Run")
        self.run_button = self.run.button
        self.reset_button = pn.widgets.Button(label="Reset", width=80)
        self.step_button.on_click(lambda _: self.advance(1))
        self.reset_button.on_click(lambda _: self.show_steps(0))
        # plain Bokeh figures whose columns are replaced: a step costs a small patch, not a re-render
        self.sources = {name: ColumnDataSource({"x": [], "y": []})
                        for name in ("graph", "diagonal", "stair", "start", "series")}
        web = figure(width=420, height=400, title="click to start elsewhere", tools="pan,wheel_zoom,reset,save",
                     x_axis_label="x", y_axis_label="f(x)")
        web.line("x", "y", source=self.sources["graph"], color="#1b1b2f", line_width=2)
        web.line("x", "y", source=self.sources["diagonal"], color="grey", line_dash="dashed")
        web.line("x", "y", source=self.sources["stair"], color="#d9480f", line_width=1.5)
        web.scatter("x", "y", source=self.sources["start"], color="#d9480f", size=8)
        web.on_event(Tap, self.on_tap)
        series = figure(width=420, height=400, title="the same iterates in time", tools="pan,wheel_zoom,reset,save",
                        x_axis_label="iterate", y_axis_label="x")
        series.line("x", "y", source=self.sources["series"], color="#d9480f")
        series.scatter("x", "y", source=self.sources["series"], color="#d9480f", size=4)
        self.figure = web
        self.note = pn.pane.Markdown("", css_classes=["cobweb-note"], sizing_mode="stretch_width")
        self.box = pn.Column(
            "#### Cobweb", self.note,
            pn.Row(self.coordinate, self.n_input, self.start_input, self.step_button, self.run_button,
                   self.reset_button),
            pn.Row(pn.pane.Bokeh(web, css_classes=["cobweb"]), pn.pane.Bokeh(series)), visible=False)
        self.cobweb: textbook.Cobweb | None = None
        self.steps = 0
        self._asked = None  # what the cobweb shown (or being computed) is of
        self.jobs = Runner(coalesce=True)  # a flood of clicks or typed n keeps one job in flight

    def __panel__(self):
        return self.box

    # -- what is asked ----------------------------------------------------------------------------
    @param.depends("active", "sel.param_overrides", "sel.cobweb_n", "sel.cobweb_start", "sel.cobweb_coordinate",
                   watch=True)
    def _changed(self) -> None:
        if self.active:
            self.draw()

    def _coordinate_picked(self, name: str) -> None:
        self.pick_coordinate(self.coordinate, name, "cobweb_coordinate", "cobweb_start")

    def on_tap(self, event) -> None:
        """A click on the cobweb: the staircase starts from the point's x."""
        if event.x is not None:
            self.sel.cobweb_start = float(f"{event.x:.6g}")

    def _system(self) -> systems.System | None:
        try:
            return self.sel.current_system()
        except (KeyError, ValueError):
            return None  # the tab says why (its orbit diagram asks the same)

    def draw(self) -> None:
        """Compute the cobweb of the selected map's chosen coordinate, as a job."""
        system = self._system()
        self.box.visible = system is not None and system.kind == "map"
        if not self.box.visible:
            self.pause()
            return
        names = list(system.coordinate_labels)
        coordinate = self.sel.cobweb_coordinate if self.sel.cobweb_coordinate < system.dim else 0
        self.coordinate.param.update(options=names, value=names[coordinate], visible=system.dim > 1)
        start = self.sel.cobweb_start if self.sel.cobweb_start is not None else float(system.ic[coordinate])
        key = (system.dynamics_key, start, self.sel.cobweb_n, coordinate)
        if key == self._asked:
            return  # asked already (a new system changes several fields at once)
        self._asked = key

        def failed(message: str) -> None:
            self._asked = None
            self.report("Cobweb", message)

        def shown(job) -> None:
            self.cobweb = job.result
            self.show_steps(min(self.steps, STEPS))

        self.jobs.run(textbook.cobweb, system, start, STEPS, self.sel.cobweb_n, coordinate=coordinate,
                      kind=jobs.INTERACTIVE, label=f"cobweb {system.name}", on_result=shown, on_error=failed)

    # -- revealing it -----------------------------------------------------------------------------
    def advance(self, k: int) -> None:
        if self.cobweb is not None:
            self.show_steps(min(self.steps + k, STEPS))

    def pause(self) -> None:
        self.run.pause()

    def show_steps(self, steps: int) -> None:
        """The graph of fⁿ, the diagonal and the first ``steps`` steps of the staircase."""
        c, self.steps = self.cobweb, steps
        if c is None:
            return
        if steps >= STEPS:
            self.pause()
        system = self._system()
        names = system.coordinate_labels if system is not None else ("x",)
        name = names[c.coordinate] if c.coordinate < len(names) else "x"
        label = f"f({name})" if c.n == 1 else f"f^{c.n}({name})"
        src = self.sources
        with one_update(holoviews=False):
            if src["graph"].data["x"] is not c.grid:  # a new cobweb: its graph and window
                src["graph"].data = {"x": c.grid, "y": c.graph}
                src["diagonal"].data = {"x": [c.low, c.high], "y": [c.low, c.high]}
                src["start"].data = {"x": [c.path_x[0]], "y": [c.path_y[0]]}
                self.figure.yaxis.axis_label = label
                self.figure.xaxis.axis_label = name
            src["stair"].data = {"x": c.path_x[: 2 * steps + 1], "y": c.path_y[: 2 * steps + 1]}
            k = np.arange(steps + 1)
            src["series"].data = {"x": k * c.n, "y": c.iterates[: steps + 1]}
            last = c.iterates[steps] if np.isfinite(c.iterates[steps]) else float("nan")
            held = [f"{n} = {v:.4g}" for i, (n, v) in enumerate(zip(names, c.frozen)) if i != c.coordinate]
            frozen = f" (the graph holds {', '.join(held)}; the staircase follows the whole map)" if held else ""
            self.note.object = (f"*{steps} step{'s' * (steps != 1)} of {label} from {name}₀ = "
                                f"{c.iterates[0]:.6g}: {name} = {last:.6g}{frozen}*")
