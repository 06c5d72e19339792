"""The butterfly effect in motion: members started a tiny distance apart, animated together on the
attractor, their separation on a log scale beside them against the slope λ1.

Frames are computed on a worker in chunks (``core.pictures.textbook.butterfly_frames``) while the previous
chunk plays, so the page holds two chunks at most (32 MB for 10⁴ members) however long it runs; a
periodic callback of the session moves the members' column by ``speed`` frames each tick, a
small binary patch, so one viewer's animation costs the server little and never waits on the
integration. After DynamicalSystems.jl's ``interactive_trajectory``, with the lab's λ1 beside it.
"""

from __future__ import annotations

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, MultiLine, Range1d, Scatter
from bokeh.plotting import figure
from panel.viewable import Viewer

from core import systems
from core.pictures import textbook
from core.runtime import jobs
from dashboards.background import PlayToggle, Runner, on_session_close
from dashboards.render import RasterView, one_update
from dashboards.selection import Selection, plain

TICK_MS = 50  # 20 frames a second
CHUNK = 400  # frames asked for at once (fewer for large ensembles: textbook.CHUNK_BYTES)
TRAIL = 120  # frames of trail behind each member, for ten members or fewer
TRAIL_MEMBERS = 10
MEMBER_COLOURS = ["#ff922b", "#4dabf7", "#69db7c", "#f783ac", "#ffd43b", "#b197fc", "#63e6be", "#ff6b6b",
                  "#a9e34b", "#e599f7"]


def _empty(*names) -> dict:
    return {name: [] for name in names}


class ButterflyView(Viewer):
    """Play, Pause, Step, Reset and speed over a stream of frames computed next to the data."""

    def __init__(self, selection: Selection, show_error, **params):
        super().__init__(**params)
        self.sel, self._report = selection, show_error
        self.view = RasterView("", "", textbook.BUTTERFLY_PIXELS, axes=False,
                               title="nearby states on the attractor", cmap=textbook.BUTTERFLY_CMAP)
        self.members = ColumnDataSource({"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32), "colour": [],
                                         "size": []})
        self.trails = ColumnDataSource(_empty("xs", "ys", "colour"))
        self.view.figure.add_glyph(self.trails, MultiLine(xs="xs", ys="ys", line_color="colour", line_width=1.5,
                                                          line_alpha=0.8))
        self.view.figure.add_glyph(self.members, Scatter(x="x", y="y", fill_color="colour", line_color="colour",
                                                         size="size"))
        self.separation = ColumnDataSource(_empty("t", "d"))
        self.slope = ColumnDataSource(_empty("t", "d"))
        plot = figure(width=440, height=430 + 40, y_axis_type="log", title="separation: slope λ1 while small",
                      x_axis_label="Lyapunov times", y_axis_label="separation", tools="pan,wheel_zoom,reset,save",
                      x_range=Range1d(0, 1))
        plot.line("t", "d", source=self.slope, color="grey", line_dash="dashed", line_width=2, legend_label="e^(λ1 t)")
        plot.line("t", "d", source=self.separation, color="#d9480f", line_width=2, legend_label="members")
        plot.legend.location = "top_left"
        self.separation_figure = plot
        self.members_input = pn.widgets.IntInput.from_param(selection.param.butterfly_members, label="members",
                                                            width=110)
        self.distance_input = pn.widgets.FloatInput.from_param(selection.param.butterfly_distance,
                                                               label="initial distance", width=130)
        self.speed_input = pn.widgets.Select.from_param(selection.param.butterfly_speed, label="frames per tick",
                                                        width=110)
        self.play = PlayToggle(self.tick, TICK_MS)
        self.play_button = self.play.button
        self.step_button = pn.widgets.Button(label="Step frame", width=100)
        self.reset_button = pn.widgets.Button(label="Reset to t = 0", width=120)
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.note = pn.pane.Markdown("", css_classes=["butterfly-note"], sizing_mode="stretch_width")
        self.box = pn.Column(
            "#### The butterfly effect", self.note,
            pn.Row(self.members_input, self.distance_input, self.speed_input, self.play_button, self.step_button,
                   self.reset_button),
            pn.Row(self.view.panel(css_classes=["butterfly"]), pn.pane.Bokeh(plot, css_classes=["separation"])),
            visible=False)
        self.starts, self.chunks = Runner(), Runner()
        self._start: textbook.ButterflyStart | None = None
        self._system: systems.System | None = None  # the one the start was computed for
        self._streamed_until = -np.inf  # time of the last frame whose separation is plotted
        self._key = None  # what the start was computed for
        self._generation = 0  # bumped by every start and reset: older frames are dropped
        self._queue: list[textbook.Frames] = []  # chunks to play, the one playing first
        self._frame = 0  # index of the shown frame in the first chunk
        self._asked = False  # a chunk is being computed
        self._trail = np.zeros((0, 0, 2), np.float32)
        self._closed = False
        self.frames_shown = 0
        on_session_close(self._on_close)

    def __panel__(self):
        return self.box

    def _on_close(self) -> None:
        """The session closed: no more ticks (one may be running on a server thread), frames freed."""
        self._closed = True
        self.play.ticker.stop()
        self._queue, self._start = [], None

    # -- starting ---------------------------------------------------------------------------------
    def draw(self, system: systems.System | None) -> None:
        """Start over for ``system`` if what the animation shows has changed (nothing else)."""
        self.box.visible = system is not None and system.kind != "delay"
        if not self.box.visible:
            self.pause()
            return
        sel = self.sel
        coords = (sel.coord_x, sel.coord_y, sel.coord_z)[: min(3, system.dim)]
        key = (system.name, tuple(sorted((k, float(v)) for k, v in system.params.items() if np.ndim(v) == 0)),
               sel.butterfly_members, sel.butterfly_distance, coords, sel.azimuth, sel.elevation)
        if key == self._key:
            return
        self._key = key
        self.pause()
        self._generation += 1
        generation = self._generation
        self.note.object = f"*placing {sel.butterfly_members} members {sel.butterfly_distance:g} apart on the attractor…*"

        def started(job) -> None:
            if generation != self._generation:
                return
            self._start, self._system = job.result, system
            self.view.show(self._start.background, ("", ""), title=f"{system.name}: {sel.butterfly_members} members "
                                                                     f"{sel.butterfly_distance:g} apart")
            self.reset()

        def failed(message: str) -> None:
            self._key = None
            self.note.object = f"**The animation did not start:** {plain(message)}"

        self.starts.run(textbook.butterfly_start, system, sel.butterfly_members, sel.butterfly_distance, coords,
                        sel.azimuth, sel.elevation, sel.seed, kind=jobs.INTERACTIVE, label="butterfly start",
                        on_result=started, on_error=failed)

    def reset(self) -> None:
        """Back to t = 0 with the same members; the first frame shown."""
        start = self._start
        if start is None:
            return
        self._generation += 1
        self._queue, self._frame, self._asked, self.frames_shown = [], 0, False, 0
        self._streamed_until = -np.inf
        self._trail = np.zeros((0, min(len(start.states), TRAIL_MEMBERS), 2), np.float32)
        count = len(start.states)
        colours = [MEMBER_COLOURS[i % len(MEMBER_COLOURS)] for i in range(count)] if count <= TRAIL_MEMBERS else \
            [MEMBER_COLOURS[0]] + [MEMBER_COLOURS[1]] * (count - 1)
        lam, d0 = start.lyapunov, start.distance
        with one_update(holoviews=False):
            self.members.data = {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32), "colour": [],
                                 "size": []}
            self._colours = colours
            self._sizes = [10] + [6 if count <= TRAIL_MEMBERS else 3] * (count - 1)  # member 0 shows under the rest
            self.trails.data = _empty("xs", "ys", "colour")
            self.separation.data = _empty("t", "d")
            # d0·e^(λ1 t) up to the attractor's size, where separations saturate: ln(size/d0) Lyapunov times
            span = max(np.log(max(start.diameter, d0 * 10) / d0), 1.0)
            if lam is not None:
                self.slope.data = {"t": [0.0, span], "d": [d0, d0 * np.exp(span)]}
                self.separation_figure.xaxis.axis_label = "Lyapunov times (λ1 t)"
                end = 1.3 * span
            else:
                self.slope.data = _empty("t", "d")
                self.separation_figure.xaxis.axis_label = "time" if self._system.kind == "flow" else "iterate"
                end = CHUNK * start.step
            self.separation_figure.x_range.update(start=0.0, end=end)
        self._ask(start.states, 0.0)

    def _time_scale(self, t):
        """Time in the separation plot's unit: Lyapunov times where λ1 is known."""
        lam = self._start.lyapunov
        return t * lam if lam else t

    def _ask(self, states: np.ndarray, t0: float) -> None:
        """Compute the chunk after the queued ones, from ``states`` at ``t0``, off the loop."""
        start, generation = self._start, self._generation
        self._asked = True

        def arrived(job) -> None:
            if generation != self._generation:
                return
            self._asked = False
            frames: textbook.Frames = job.result
            self._queue.append(frames)
            if len(self._queue) == 1 and self.frames_shown == 0:
                self._show(0)

        def failed(message: str) -> None:
            if generation == self._generation:
                self._asked = False
                self.pause()
                self._report(message)

        self.chunks.run(textbook.butterfly_frames, self._system, states, t0, CHUNK, start.step,
                        start.camera, kind=jobs.INTERACTIVE, label="butterfly frames", on_result=arrived,
                        on_error=failed)

    # -- playing ----------------------------------------------------------------------------------
    def pause(self) -> None:
        self.play.pause()

    def step(self) -> None:
        """One frame on, paused."""
        self.pause()
        self._advance(1)

    def tick(self) -> None:
        """The periodic callback: ``speed`` frames on (fewer while the next chunk is computed)."""
        self._advance(int(self.sel.butterfly_speed))

    def _advance(self, frames: int) -> None:
        if self._closed or not self._queue:
            return
        target = self._frame + frames
        with one_update(holoviews=False):
            while target >= len(self._queue[0].t) and len(self._queue) > 1:
                done = self._queue.pop(0)
                self._stream(done, len(done.t) - 1)  # its last frames, skipped over at this speed
                target -= len(done.t)
            first, last = self._queue[0], self._queue[-1]
            target = min(target, len(first.t) - 1)  # the next chunk is late: wait at the last frame
            if not self._asked and len(self._queue) == 1 and target >= len(first.t) // 2:
                self._ask(last.states, float(last.t[-1] + self._start.step))
            self._show(target)

    def _show(self, frame: int) -> None:
        """Members at ``frame`` of the playing chunk, their trails, and the separation so far."""
        if not self._queue:
            return
        chunk, self._frame = self._queue[0], frame
        points = chunk.positions[frame]
        with one_update(holoviews=False):
            self.members.data = {"x": points[:, 0], "y": points[:, 1], "colour": self._colours, "size": self._sizes}
            self._stream(chunk, frame)
        self._say(chunk, frame)

    def _stream(self, chunk: textbook.Frames, frame: int) -> None:
        """Trails and separation up to ``frame`` of ``chunk``: every frame not streamed yet (those a
        fast speed skips over too), none on a repeat."""
        new = np.arange(int(np.searchsorted(chunk.t, self._streamed_until, side="right")), frame + 1)
        if not len(new):
            return
        self._streamed_until = float(chunk.t[frame])
        self.frames_shown += len(new)
        members = chunk.positions.shape[1]
        if members <= TRAIL_MEMBERS:
            self._trail = np.concatenate([self._trail, chunk.positions[new]])[-TRAIL:]
            self.trails.data = {"xs": [self._trail[:, i, 0] for i in range(members)],
                                "ys": [self._trail[:, i, 1] for i in range(members)], "colour": self._colours}
        d = chunk.separation[new]
        keep = np.isfinite(d) & (d > 0)
        self.separation.stream({"t": self._time_scale(chunk.t[new][keep]), "d": d[keep]}, rollover=20_000)

    def _say(self, chunk: textbook.Frames, frame: int) -> None:
        start = self._start
        t, d = float(chunk.t[frame]), float(chunk.separation[frame])
        time = f"iterate {t:.0f}" if self._system.kind == "map" else f"t = {t:.2f}"
        lyap = f" = {t * start.lyapunov:.2f} Lyapunov times" if start.lyapunov else ""
        growth = f"separation {d:.3g} = {d / start.distance:.3g} × the initial {start.distance:g}" if np.isfinite(d) else \
            "separation not defined (members diverged)"
        lost = f"; {chunk.lost} member{'s' * (chunk.lost != 1)} left the attractor" if chunk.lost else ""
        slope = f"; dashed: slope λ1 = {start.lyapunov:.3g}" if start.lyapunov else f"; {plain(start.lyapunov_note)}"
        self.note.object = f"*{time}{lyap}: {growth}{lost}{slope}*"
