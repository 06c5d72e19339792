"""The attractor explorer: pick a system, edit it, see its attractor, time series and ensembles."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import panel as pn
import param

from core import integrate, systems
from dashboards.render import RasterView, project
from dashboards.selection import Selection, parse_number, parse_vector

log = logging.getLogger("chaoslab.explorer")

# Integrations of every session share this pool: the event loop stays free while they run
# (the kernels release the GIL), and at most two run at once on this two-core machine.
WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chaoslab-integrate")

MAX_ENSEMBLE_STEPS = 2e8  # members x steps per request, about 10 s of RK4 on one core


def system_groups() -> dict[str, list[str]]:
    return {label: systems.names(group=group) for group, label in systems.GROUPS.items()}


def info_markdown(system: systems.System) -> str:
    """The system card: what it is, where it comes from, its reference invariants."""
    lines = [f"### {system.name}", system.description or "", "", f"*{system.citation}*", ""]
    kind = {"flow": "flow", "map": "map", "delay": "delay equation"}[system.kind]
    lines.append(f"- **kind:** {kind}, dimension {system.dim}" + (" (non-autonomous)" if system.nonautonomous else ""))
    if system.period:
        lines.append(f"- **dominant period:** {system.period:.4g}")
    if system.lyapunov_max is not None:
        lines.append(f"- **largest Lyapunov exponent (dysts):** {system.lyapunov_max:.4g}")
    if system.lyapunov_spectrum:
        spectrum = ", ".join(f"{v:.3g}" for v in system.lyapunov_spectrum)
        lines.append(f"- **Lyapunov spectrum (dysts):** ({spectrum})")
    if system.kaplan_yorke_dimension:
        lines.append(f"- **Kaplan–Yorke dimension:** {system.kaplan_yorke_dimension:.3f}")
    if not system.is_published:
        lines.append("- *parameters changed: reference values apply to the published ones only*")
    lines.append(f"- **source:** {system.origin}")
    return "\n".join(lines)


class Explorer(param.Parameterized):
    """Widgets and views over one ``Selection``; numerics come from ``core``."""

    busy = param.Boolean(default=False)
    progress_fraction = param.Number(default=0.0)

    def __init__(self, selection: Selection, **params):
        super().__init__(**params)
        self.sel = selection
        self._token = 0
        self._stop = threading.Event()
        self._trajectory: integrate.Trajectory | None = None
        self._cloud: np.ndarray | None = None
        self._integration_time = 0.0
        self._resetting = False
        self._param_widgets: dict = {}
        self._build_widgets()
        self._build_views()
        self._show_system()
        self.sel.param.watch(self._on_system, ["system"])
        self.sel.param.watch(
            self._on_request,
            ["params", "ic", "dt", "n_points", "transient", "noise", "method", "mode", "ensemble_size", "ensemble_time"],
        )
        self.sel.param.watch(
            self._on_view, ["azimuth", "elevation", "coord_x", "coord_y", "coord_z", "embed_coord", "embed_lag"]
        )
        for view in (self.attractor, self.embedding, self.cloud_view):
            view.param.watch(self._refresh_status, ["render_time"])

    # -- widgets ------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        sel = self.sel
        self.search = pn.widgets.AutocompleteInput(
            name="Search systems", options=systems.names(), case_sensitive=False, search_strategy="includes",
            placeholder="type a name, e.g. Rossler", restrict=True, min_characters=1,
        )
        self.search.param.watch(self._on_search, "value")
        self.picker = pn.widgets.Select(name="System", groups=system_groups(), value=sel.system)
        self.picker.param.watch(lambda e: setattr(sel, "system", e.new), "value")
        sel.param.watch(lambda e: setattr(self.picker, "value", e.new), "system")
        self.info = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["system-card"])
        self.param_box = pn.Column(sizing_mode="stretch_width")
        self.reset = pn.widgets.Button(name="Reset to published values", button_type="default")
        self.reset.on_click(lambda _: self._reset_params())
        self.ic_input = pn.widgets.TextInput(name="Initial condition (empty: published)")
        self.ic_input.param.watch(self._on_ic_text, "value")
        self.dt_input = pn.widgets.TextInput(name="dt (output sampling)")
        self.dt_input.param.watch(self._on_dt_text, "value")
        number = self._number_input
        self.sampling = pn.Column(
            number("n_points", "Points", 10_000), number("transient", "Transient (points)", 1_000),
            number("noise", "Noise", 0.01),
            pn.widgets.RadioButtonGroup.from_param(sel.param.method, name="Integrator"),
        )
        self.view_widgets = pn.Column(
            pn.widgets.FloatSlider.from_param(sel.param.azimuth, name="Azimuth", step=5.0),
            pn.widgets.FloatSlider.from_param(sel.param.elevation, name="Elevation", step=5.0),
            number("coord_x", "x coordinate"), number("coord_y", "y coordinate"), number("coord_z", "z coordinate"),
        )
        self.embed_widgets = pn.Column(number("embed_coord", "Coordinate"), number("embed_lag", "Lag (samples)"))
        self.ensemble_widgets = pn.Column(
            pn.widgets.RadioButtonGroup.from_param(sel.param.mode, name="Mode"),
            number("ensemble_size", "Members", 1_000), number("ensemble_time", "Evolve for (time)", 0.5),
        )
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width",
                                   css_classes=["chaoslab-error"])
        self.status = pn.pane.Markdown("", css_classes=["chaoslab-status"], sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(name="Integrating", value=0, max=100, visible=False,
                                               sizing_mode="stretch_width", bar_color="info",
                                               css_classes=["explorer-progress"])
        self.stop_button = pn.widgets.Button(name="Stop", button_type="warning", visible=False, width=80)
        self.stop_button.on_click(lambda _: self._stop.set())
        self.csv = pn.widgets.FileDownload(callback=self._csv, filename="trajectory.csv", label="CSV",
                                           button_type="light", width=120)
        self.npz = pn.widgets.FileDownload(callback=self._npz, filename="trajectory.npz", label="NPZ",
                                           button_type="light", width=120)

    def _number_input(self, name: str, label: str, step: float = 1):
        """A number box for a bounded selection parameter: out-of-range input gets a message.

        The widget itself is unbounded on purpose: a browser-side clamp would change the number
        silently, and a rejected value would leave it showing something the server never took.
        """
        spec = self.sel.param[name]
        widget_type = pn.widgets.IntInput if isinstance(spec, param.Integer) else pn.widgets.FloatInput
        widget = widget_type(name=label, value=getattr(self.sel, name), step=step)
        low, high = spec.bounds or (None, None)

        def commit(event):
            value = event.new
            if value is None:
                self._show_error(f"{label}: enter a number")
            elif (low is not None and value < low) or (high is not None and value > high):
                hint = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
                self._show_error(f"{label} must be {hint}, got {value:,}")
            else:
                setattr(self.sel, name, value)

        widget.param.watch(commit, "value")
        self.sel.param.watch(lambda e: setattr(widget, "value", e.new), name)
        return widget

    def _build_views(self) -> None:
        self.attractor = RasterView(dims=("screen_x", "screen_y"), height=430, width=560)
        self.embedding = RasterView(dims=("lagged_x", "lagged_y"), height=280, width=300)
        self.cloud_view = RasterView(dims=("cloud_x", "cloud_y"), lines=False, height=430, width=560, cmap="kbc_r")
        self.series = [
            RasterView(dims=("t", f"x{i}"), xlabel="t", ylabel=f"x{i}", height=110, width=620, cmap="kgy")
            for i in range(3)
        ]
        # visibility toggles on a wrapping Column: a HoloViews pane itself cannot be hidden
        self.series_box = pn.Column(*[pn.Column(pn.pane.HoloViews(v.panel(), linked_axes=True)) for v in self.series])

    # -- layout -------------------------------------------------------------------------------
    def sidebar(self) -> list:
        return [
            self.search,
            self.picker,
            pn.Card(self.info, title="About this system", collapsed=False, sizing_mode="stretch_width"),
            pn.Card(self.param_box, self.reset, title="Parameters", sizing_mode="stretch_width"),
            pn.Card(self.ic_input, self.dt_input, self.sampling, title="Integration", sizing_mode="stretch_width"),
            pn.Card(self.ensemble_widgets, title="Ensemble", collapsed=True, sizing_mode="stretch_width"),
        ]

    def main(self):
        attractor_tab = pn.Column(
            pn.Row(pn.pane.HoloViews(self.attractor.panel(), linked_axes=False), pn.Column(self.view_widgets, width=260)),
        )
        ensemble_tab = pn.Column(
            pn.pane.Markdown(
                "A Gaussian cloud of members around a point on the attractor, evolved for the chosen time: "
                "the density shows how nearby states spread over the attractor."
            ),
            pn.pane.HoloViews(self.cloud_view.panel(), linked_axes=False),
        )
        return pn.Column(
            self.error,
            pn.Row(self.status, self.progress, self.stop_button, pn.Row(self.csv, self.npz)),
            pn.Tabs(("Attractor", attractor_tab), ("Ensemble", ensemble_tab), dynamic=True),
            pn.Row(
                pn.Column("#### Time series", self.series_box),
                pn.Column("#### Delay embedding", pn.pane.HoloViews(self.embedding.panel(), linked_axes=False), self.embed_widgets),
            ),
            sizing_mode="stretch_width",
        )

    # -- events -------------------------------------------------------------------------------
    def _on_search(self, event) -> None:
        if event.new and event.new in systems.names():
            self.sel.system = event.new

    def _on_system(self, event) -> None:
        system = systems.get(self.sel.system)
        self._resetting = True
        try:
            self.sel.reset_view_for(system)
        finally:
            self._resetting = False
        self._show_system(system)
        self.request()

    def _show_system(self, system=None) -> None:
        system = system or self._safe_system()
        self.info.object = info_markdown(system)
        widgets = []
        for name in sorted(system.params):
            value = system.params[name]
            if np.ndim(value) != 0:
                continue  # matrices and vectors of coupled systems stay at their published values
            box = pn.widgets.TextInput(name=name, value=f"{value:.6g}", width=110, css_classes=["param-input"])
            box.param.watch(lambda e, n=name: self._on_param_text(n, e.new), "value")
            widgets.append(box)
        self.param_box.objects = [pn.FlexBox(*widgets)] if widgets else [pn.pane.Markdown("*no scalar parameters*")]
        self._param_widgets = {w.name: w for w in widgets}
        self.dt_input.value = f"{system.dt:.6g}" if self.sel.dt is None else f"{self.sel.dt:.6g}"
        self.ic_input.value = self.sel.ic
        self.ic_input.placeholder = ", ".join(f"{v:.4g}" for v in system.ic)
        three = system.dim >= 3
        for widget in self.view_widgets:
            if getattr(widget, "name", "") in ("Azimuth", "Elevation", "z coordinate"):
                widget.disabled = not three

    def _safe_system(self) -> systems.System:
        try:
            return self.sel.current_system()
        except (KeyError, ValueError):
            return systems.get(self.sel.system)

    def _reset_params(self) -> None:
        system = systems.get(self.sel.system)
        self.sel.params = {}
        for name, widget in self._param_widgets.items():
            widget.value = f"{system.params[name]:.6g}"
        self.info.object = info_markdown(system)

    def _on_param_text(self, name: str, text: str) -> None:
        try:
            value = parse_number(name, text)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        published = systems.get(self.sel.system).params[name]
        self.sel.set_override(name, None if value == published else value)

    def _on_ic_text(self, event) -> None:
        self.sel.ic = event.new.strip()

    def _on_dt_text(self, event) -> None:
        text = event.new.strip()
        system = systems.get(self.sel.system)
        if not text:
            self.sel.dt = None
            return
        try:
            value = parse_number("dt", text)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        if value <= 0:
            self._show_error(f"dt must be positive, got {value:g}")
            return
        self.sel.dt = None if np.isclose(value, system.dt) else value

    def _on_request(self, *_) -> None:
        if not self._resetting:
            self.request()

    def _on_view(self, *_) -> None:
        # re-projection and aggregation run on the worker pool, like integrations
        if self._trajectory is None:
            return
        # the current token: a newer integration supersedes this redraw, never the reverse
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.execute(partial(self._run_redraw, self._token, self._trajectory, self._cloud))
        else:
            self._publish(self._token, *self._render(self._trajectory, self._cloud, self._integration_time))

    async def _run_redraw(self, token, trajectory, cloud) -> None:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(WORKERS, self._render, trajectory, cloud, self._integration_time)
        self._publish(token, *result)

    # -- computation --------------------------------------------------------------------------
    def _validated(self) -> tuple[systems.System, dict]:
        system = self.sel.current_system()
        ic = parse_vector("initial condition", self.sel.ic, system.state_dim if system.kind != "delay" else 1)
        kwargs = dict(
            n=self.sel.n_points, dt=self.sel.dt, ic=ic, transient=self.sel.transient, method=self.sel.method,
            noise=self.sel.noise, seed=0,
        )
        return system, kwargs

    def request(self, wait: bool = False) -> None:
        """Validate the selection and start the integration off the event loop.

        ``wait=True`` integrates before returning: the page's first picture is then part of the
        document the browser receives, saving a round trip on first load.
        """
        try:
            system, kwargs = self._validated()
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc).strip("'\""))
            return
        self._token += 1
        self._stop.set()  # a newer request supersedes a running one
        self._stop = threading.Event()
        in_session = pn.state.curdoc is not None and pn.state.curdoc.session_context is not None
        if in_session and not wait:
            pn.state.execute(partial(self._run, self._token, system, kwargs, self._stop))
        else:  # outside a server (tests, notebooks, benchmarks): run synchronously
            self._publish(self._token, *self._integrate(system, kwargs, self._stop))

    async def _run(self, token, system, kwargs, stop) -> None:
        self.busy = True
        self.progress.value, self.progress.visible, self.stop_button.visible = 0, True, True
        poll = pn.state.add_periodic_callback(self._poll_progress, period=200)
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(WORKERS, self._integrate, system, kwargs, stop)
        finally:
            poll.stop()
            if token == self._token:
                self.busy = False
                self.progress.visible, self.stop_button.visible = False, False
        self._publish(token, *result)

    def _poll_progress(self) -> None:
        self.progress.value = int(100 * self.progress_fraction)

    def _integrate(self, system, kwargs, stop):
        """Runs on a worker thread: returns (trajectory, cloud, layers, seconds, error message)."""
        start = time.perf_counter()

        def progress(fraction):
            self.progress_fraction = fraction

        try:
            trajectory = integrate.trajectory(system, progress=progress, stop=stop, **kwargs)
            cloud = self._evolve_cloud(system, trajectory, kwargs) if self.sel.mode == "ensemble" else None
        except (integrate.IntegrationError, ValueError) as exc:
            return None, None, None, time.perf_counter() - start, str(exc)
        except Exception as exc:  # an unexpected failure: one log line, a message, the last plot kept
            log.error("integration of %s failed: %s: %s", system.name, type(exc).__name__, exc)
            message = f"{system.name}: unexpected error ({type(exc).__name__}: {exc})"
            return None, None, None, time.perf_counter() - start, message
        return self._render(trajectory, cloud, time.perf_counter() - start)

    def _render(self, trajectory, cloud, seconds):
        """Runs on a worker thread: project and aggregate every view at its full extent."""
        try:
            layers = self._layers(trajectory, cloud)
        except ValueError as exc:
            return None, None, None, seconds, str(exc)
        return trajectory, cloud, layers, seconds, None

    def _evolve_cloud(self, system, trajectory, kwargs) -> np.ndarray:
        if system.kind == "delay":
            raise ValueError(f"{system.name}: ensembles of delay systems are not supported; use trajectory mode")
        raw = trajectory.x if system.postprocess_with is None else None
        centre = raw[-1] if raw is not None else integrate.trajectory(
            system, n=2, dt=kwargs["dt"], ic=kwargs["ic"], transient=kwargs["transient"], postprocess=False
        ).x[-1]
        rng = np.random.default_rng(0)
        std = system.std if system.std is not None and len(system.std) == system.state_dim else np.ones(system.state_dim)
        members = self.sel.ensemble_size
        ics = centre + 1e-3 * std * rng.standard_normal((members, system.state_dim))
        if system.kind == "map":
            steps = max(1, int(round(self.sel.ensemble_time)))
            if members * steps > MAX_ENSEMBLE_STEPS:
                raise ValueError(f"ensemble too large: {members} members x {steps} iterations; reduce either")
            xs = integrate.ensemble(system, ics, n=steps + 1, on_divergence="nan")
        else:
            t = float(self.sel.ensemble_time)
            if t <= 0:
                return system.postprocess(ics[:, None, :])[:, 0, :]
            h = system.integrator_dt or system.dt
            if members * t / h > MAX_ENSEMBLE_STEPS:
                raise ValueError(f"ensemble too large: {members} members x {t / h:.0f} steps; reduce either")
            xs = integrate.ensemble(system, ics, n=2, dt=t, h=h, on_divergence="nan")
        return xs[:, -1, :]

    def _publish(self, token, trajectory, cloud, layers, seconds, error) -> None:
        """On the event loop: swap the prepared views in (or show why not, keeping the last plot)."""
        if token != self._token:
            return  # superseded by a newer request
        if error:
            self._show_error(error)
            return
        self.error.visible = False
        self._trajectory, self._cloud, self._integration_time = trajectory, cloud, seconds
        for view, layer in layers.items():
            view.show(layer)
        dim = trajectory.x.shape[1]
        for box, i in zip(self.series_box, range(3)):
            box.visible = i < dim
        self._refresh_status()

    def _layers(self, tr, cloud) -> dict:
        """Projections of the trajectory for every view, aggregated (heavy: call off the loop)."""
        sel, x = self.sel, tr.x
        dim = x.shape[1]
        coords = [c for c in (sel.coord_x, sel.coord_y, sel.coord_z)[: min(dim, 3)]]
        bad = [c for c in coords + [sel.embed_coord] if c >= dim]
        if bad:
            raise ValueError(f"coordinate {bad[0]} does not exist: {tr.system.name} has coordinates 0..{dim - 1}")
        lag = sel.embed_lag
        if lag >= len(x):
            raise ValueError(f"lag {lag} is longer than the trajectory ({len(x)} points)")
        lines = tr.system.kind != "map"
        if dim == 1:
            xy = np.stack([x[:-1, 0], x[1:, 0]], axis=1)  # return map x_{k+1} against x_k
            labels = ("x[k]", "x[k+1]")
            lines = False
        else:
            xy = project(x, tuple(coords), sel.azimuth, sel.elevation)
            labels = ("screen x", "screen y") if len(coords) == 3 else (f"x{coords[0]}", f"x{coords[1]}")
        layers = {self.attractor: self.attractor.prepare(xy[:, 0], xy[:, 1], lines, labels)}
        for i, view in enumerate(self.series[:dim]):
            layers[view] = view.prepare(tr.t, x[:, i], True, ("t", f"x{i}"))
        col = x[:, sel.embed_coord]
        embed_labels = (f"x{sel.embed_coord}(t)", f"x{sel.embed_coord}(t - {lag})")
        layers[self.embedding] = self.embedding.prepare(col[lag:], col[:-lag], lines, embed_labels)
        if cloud is not None:
            if dim > 1:
                cxy = project(cloud, tuple(coords), sel.azimuth, sel.elevation)
            else:
                cxy = np.stack([cloud[:, 0], np.zeros(len(cloud))], axis=1)
            cloud_labels = tuple(f"{label} (members)" for label in labels)
            layers[self.cloud_view] = self.cloud_view.prepare(cxy[:, 0], cxy[:, 1], False, cloud_labels)
        return layers

    def _refresh_status(self, *_) -> None:
        tr = self._trajectory
        if tr is None:
            return
        stopped = " (stopped early)" if len(tr) < self.sel.n_points else ""
        render = self.attractor.render_time
        self.status.object = (
            f"**{tr.system.name}** · {len(tr):,} points{stopped} · integrated in "
            f"**{self._integration_time:.3f} s** · rendered in **{render:.3f} s**"
        )

    def _show_error(self, message: str) -> None:
        self.error.object = f"**Cannot update the plot:** {message}. The last good plot is kept."
        self.error.visible = True

    # -- downloads ----------------------------------------------------------------------------
    def _columns(self):
        tr = self._trajectory
        names = ["t"] + [f"x{i}" for i in range(tr.x.shape[1])]
        return names, np.column_stack([tr.t, tr.x])

    def _csv(self):
        if self._trajectory is None:
            return io.StringIO("")
        names, data = self._columns()
        buffer = io.StringIO()
        np.savetxt(buffer, data, delimiter=",", header=",".join(names), comments="", fmt="%.10g")
        buffer.seek(0)
        self.csv.filename = f"{self._trajectory.system.name}.csv"
        return buffer

    def _npz(self):
        buffer = io.BytesIO()
        if self._trajectory is not None:
            tr = self._trajectory
            np.savez_compressed(buffer, t=tr.t, x=tr.x, system=tr.system.name,
                                params=np.array(repr(dict(tr.system.params))))
            self.npz.filename = f"{tr.system.name}.npz"
        buffer.seek(0)
        return buffer
