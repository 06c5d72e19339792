"""The attractor explorer: pick a system, edit it, see its attractor, time series and ensembles."""

from __future__ import annotations

import io
from functools import partial

import numpy as np
import panel as pn
import param
from bokeh.models import Range1d, RangeTool
from panel.viewable import Viewer

from core import systems
from core.pictures import portraits
from core.pictures.raster import palette
from dashboards.background import Runner, on_session_close
from dashboards.render import RasterView, colour_mapper, one_update
from dashboards.selection import TYPED, Selection, parse_vector, plain
from dashboards.sidebar import Sidebar, number_input


class Explorer(Viewer):
    """The explorer's views over one ``Selection`` (the sidebar, ``sidebar.Sidebar``, edits it);
    numerics and pictures come from ``core.pictures.portraits``."""

    sel = param.ClassSelector(class_=Selection)

    def __init__(self, selection: Selection, **params):
        super().__init__(sel=selection, **params)
        self._handle = None  # the shown exploration, kept by the worker that made it (or here)
        self._shown: portraits.Exploration | None = None  # its images and counts
        self._resetting = False
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width",
                                   css_classes=["chaoslab-error"])
        self.sidebar = Sidebar(sel=selection, report=self._show_error)
        self._build_widgets()
        self._build_views()
        self.sidebar.equations.refuse_bad_link()
        self._show_system()
        self.sel.param.watch(self._on_system, ["system", "equations"])
        self.sel.param.watch(
            self._on_request,
            ["param_overrides", "ic", "dt", "n_points", "transient", "noise", "noise_seed", "method", "mode",
             "ensemble_size", "ensemble_time"],
        )
        self.sel.param.watch(
            self._on_view, ["azimuth", "elevation", "coord_x", "coord_y", "coord_z", "embed_coord", "embed_lag"]
        )
        for view in (self.attractor, self.embedding):
            view.param.watch(self._refresh_status, ["render_time"])

    # -- widgets ------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        sel = self.sel
        coordinate = self._coordinate_select
        self.coordinate_selects = [coordinate("coord_x", "x coordinate"), coordinate("coord_y", "y coordinate"),
                                   coordinate("coord_z", "z coordinate"), coordinate("embed_coord", "Coordinate")]
        self.view_widgets = pn.Column(
            pn.widgets.FloatSlider.from_param(sel.param.azimuth, label="Azimuth", step=5.0),
            pn.widgets.FloatSlider.from_param(sel.param.elevation, label="Elevation", step=5.0),
            *self.coordinate_selects[:3], width=260,
        )
        self.embed_widgets = pn.Column(self.coordinate_selects[3],
                                       number_input(sel, "embed_lag", "Lag (samples)", self._show_error))
        self.status = pn.pane.Markdown("", css_classes=["chaoslab-status"], sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(label="Integrating", value=0, max=100, visible=False,
                                               sizing_mode="stretch_width", bar_color="info",
                                               css_classes=["explorer-progress"])
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", visible=False, width=80)
        # integrations (newest wins, with progress and Stop); camera changes; zooms
        # a flood of changes (a script, a held arrow key) keeps one job of each in flight, the newest waiting
        # progress and Stop after a second, not 0.3 s: under a class's load a plain redraw takes
        # 0.4–1 s, and a bar shown then hidden for each cost the server two layout updates and the
        # browser two reflows per picture (1 s of the server's 36 in benchmarks/classroom.py)
        self.integrations = Runner(self.progress, self.stop_button, show_after=1.0, coalesce=True)
        self.redraws = Runner(coalesce=True)
        on_session_close(self._release)  # the worker frees the session's trajectory at once
        self.csv = pn.widgets.FileDownload(callback=self._csv, filename="trajectory.csv", label="CSV",
                                           color="light", width=120)
        self.npz = pn.widgets.FileDownload(callback=self._npz, filename="trajectory.npz", label="NPZ",
                                           color="light", width=120)

    def _coordinate_select(self, name: str, label: str):
        """A coordinate picked by its name (x, y, z … or a typed system's own); the selection
        holds its index."""
        widget = pn.widgets.Select(label=label, options={"x": 0}, value=0, width=110)
        widget.param.watch(lambda e: setattr(self.sel, name, e.new) if e.new is not None else None, "value")
        self.sel.param.watch(lambda e: setattr(widget, "value", e.new) if e.new in widget.options.values() else None,
                             name)
        widget.selection_name = name
        return widget

    def _build_views(self) -> None:
        # the images are aggregated at the plots' own sizes (portraits.SIZES)
        self._mappers = {cmap: colour_mapper(palette(cmap)) for cmap in set(portraits.CMAPS.values())}  # shared per colour map
        self.attractor = self._raster_view("attractor", "screen x", "screen y")
        self.embedding = self._raster_view("embedding", "x(t)", "x(t - lag)")
        time_axis = Range1d(0, 1)  # the three time series pan and zoom together
        # no box zoom on a strip 110 px high: the overview's window picks the span (three tools and
        # their overlays fewer a series, 12 models in all)
        self.series = [self._raster_view(f"x{i}", "t", f"x{i}", x_range=time_axis, tools="pan,wheel_zoom,reset,save")
                       for i in range(3)]
        # the whole run, with the series' window on it: drag or stretch the window (Bokeh's RangeTool);
        # on release every series plot gets a RangesUpdate and re-aggregates that window
        self.overview = self._raster_view("overview", "", "", axes=False, tools="")
        window = RangeTool(x_range=time_axis)
        window.overlay.update(fill_color="#4dabf7", fill_alpha=0.3, line_color="#4dabf7", line_width=2)
        self.overview.figure.toolbar.tools = [window]
        self.overview.figure.toolbar_location = None
        self.overview.figure.yaxis.visible, self.overview.figure.xaxis.visible = False, True
        self.overview.figure.title.text = "the whole run: drag the window"
        # the ensemble's cloud is built with the first cloud: most sessions never ask for one
        self.views = {"attractor": self.attractor, "embedding": self.embedding, "overview": self.overview,
                      **{f"x{i}": view for i, view in enumerate(self.series)}}
        self.cloud_box = pn.Column(pn.pane.Markdown(
            "*Choose Mode: ensemble in the sidebar's Ensemble card to evolve a cloud of members.*"))
        self.zooms = {name: Runner(coalesce=True) for name in portraits.SIZES}  # per view: the newest zoom wins
        self.series_panes = [v.panel() for v in self.series]
        self.overview_box = self.overview.panel(css_classes=["series-overview"])

    def _raster_view(self, name: str, xlabel: str, ylabel: str, **kwargs) -> RasterView:
        """The view ``name`` at its image's size, with the page's mapper of its colour map."""
        colours = self._mappers[portraits.CMAPS[name]]
        return RasterView(xlabel, ylabel, portraits.SIZES[name], colours=colours, **kwargs)

    def _view(self, name: str) -> RasterView:
        if name == "cloud" and name not in self.views:
            self.views[name] = self._raster_view("cloud", "x", "y")
            self.cloud_box.objects = [self.views[name].panel()]
        return self.views[name]

    # -- layout -------------------------------------------------------------------------------
    def __panel__(self):
        return self.main()

    def main(self):
        attractor_tab = pn.Column(pn.Row(self.attractor.panel(), self.view_widgets))
        ensemble_tab = pn.Column(
            pn.pane.Markdown(
                "A Gaussian cloud of members around a point on the attractor, evolved for the chosen time: "
                "the density shows how nearby states spread over the attractor."
            ),
            self.cloud_box,
        )
        return pn.Column(
            self.error,
            pn.Row(self.status, self.progress, self.stop_button, self.csv, self.npz),
            pn.Tabs(("Attractor", attractor_tab), ("Ensemble", ensemble_tab), dynamic=True),
            # a FlexBox wraps the embedding under the time series where the window is too narrow
            # for both side by side (a 1366-px laptop), instead of running off the right edge
            pn.FlexBox(
                # the series in a column of their own: plots in one Bokeh column align their
                # frames, which pushed the axis-less overview 51 px right and clipped its window
                pn.Column("#### Time series", self.overview_box, pn.Column(*self.series_panes)),
                pn.Column("#### Delay embedding", self.embedding.panel(), self.embed_widgets),
                flex_wrap="wrap", gap="0 24px", sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )

    # -- events -------------------------------------------------------------------------------
    def _on_system(self, *events) -> None:
        changed = {e.name: e for e in events}
        if "system" not in changed and self.sel.system != TYPED:
            return  # new equations matter only while they are the selected system
        try:
            system = self.sel.base_system()
        except ValueError as exc:  # the typed slot picked with no (valid) equations yet
            self._show_error(f"{exc}: type a system under 'Your own equations' first")
            if "system" in changed:
                self.sel.system = changed["system"].old
            return
        self._resetting = True
        try:
            self.sel.reset_view_for(system)
        finally:
            self._resetting = False
        self._show_system(system)
        self.request()

    def _show_system(self, system=None) -> None:
        system = system or self._safe_system()
        self.sidebar.show(system)
        labels = system.coordinate_labels
        for widget in self.coordinate_selects:
            index = getattr(self.sel, widget.selection_name)
            widget.options = {label: i for i, label in enumerate(labels)}
            widget.value = index if index < len(labels) else 0
        three = system.dim >= 3
        for widget in self.view_widgets:
            if getattr(widget, "label", "") in ("Azimuth", "Elevation", "z coordinate"):
                widget.disabled = not three

    def _safe_system(self) -> systems.System:
        try:
            return self.sel.current_system()
        except (KeyError, ValueError):
            return self.sel.base_system()

    def _on_request(self, *events) -> None:
        if not self._resetting:
            self.request()

    def _on_view(self, *_) -> None:
        """A new camera or embedding: the views again, computed next to the trajectory."""
        if self._handle is None:
            return
        handle, spec = self._handle, self._spec()

        def show(job):
            if handle is self._handle:  # an integration that finished meanwhile has the newer picture
                self._publish_views(job.result, spec)

        self.redraws.run(portraits.rerender, handle, spec, on_result=show, on_error=self._show_error,
                         label="redraw")

    # -- computation (a job on the cluster: core.pictures.portraits) -------------------------------------
    def _validated(self) -> tuple[systems.System, dict]:
        system = self.sel.current_system()
        ic = parse_vector("initial condition", self.sel.ic, system.state_dim if system.kind != "delay" else 1)
        kwargs = dict(
            n=min(self.sel.n_points, portraits.max_points(system.dim)), dt=self.sel.dt, ic=ic, transient=self.sel.transient, method=self.sel.method,
            noise=self.sel.noise, seed=self.sel.noise_seed,
        )
        return system, kwargs

    def _spec(self) -> portraits.ViewSpec:
        sel = self.sel
        return portraits.ViewSpec((sel.coord_x, sel.coord_y, sel.coord_z), sel.azimuth, sel.elevation,
                                sel.embed_coord, sel.embed_lag)

    def request(self, wait: bool = False) -> None:
        """Validate the selection and integrate it on the cluster (the newest request wins).

        ``wait=True`` integrates here before returning: the page's first picture is then part of
        the document the browser receives, saving a round trip on first load; remembered, so the
        same first picture for the next visitor costs nothing. Small requests are shared: every
        session asking the same (a class following its teacher) gets one computation.
        """
        try:
            system, kwargs = self._validated()
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc).strip("'\""))
            return
        spec = self._spec()
        ensemble = (self.sel.ensemble_size, float(self.sel.ensemble_time)) if self.sel.mode == "ensemble" else None
        on_result = lambda job: self._on_explored(job, spec)  # noqa: E731
        if wait:
            self.integrations.run_here(portraits.run_remembered, system, kwargs, spec, ensemble, keep=True,
                                       label=f"integrate {system.name}", on_result=on_result,
                                       on_error=self._show_error)
            return
        self.integrations.run(portraits.run, system, kwargs, spec, ensemble, keep=True, label=f"integrate {system.name}",
                              share=portraits.share_name(system, kwargs, spec, ensemble), on_result=on_result,
                              on_error=self._show_error)

    def _on_explored(self, job, spec) -> None:
        self._handle, self._shown = job.handle, job.result
        self._publish_views(job.result.views, spec)

    def _publish_views(self, views: dict, spec: portraits.ViewSpec) -> None:
        """On the event loop: swap every prepared image in, as one document update."""
        self.error.visible = False
        with one_update(holoviews=False):
            for name, view in views.items():
                self._view(name).show(view.raster, view.labels, zoom=partial(self._zoom, self._handle, spec, name),
                                      whole=view.whole)
            for i, view in enumerate(self.series):  # a Bokeh property of the plot: no Panel layout sync
                view.figure.visible = i < self._shown.dim
            self._refresh_status()

    def _release(self) -> None:
        """The session closed: drop every reference to the trajectory, so the worker frees it."""
        self._handle, self._shown = None, None
        for view in self.views.values():
            view.forget_data()
        for runner in [self.integrations, self.redraws, *self.zooms.values()]:
            runner.job = None

    def _zoom(self, handle, spec, name, extent, done) -> None:
        """A pan or zoom: the window at full resolution, aggregated next to the data."""
        self.zooms[name].run(portraits.zoom, handle, spec, name, extent, label=f"zoom {name}",
                             on_result=lambda job: done(job.result), on_error=self._show_error)

    def _refresh_status(self, *_) -> None:
        shown = self._shown
        if shown is None:
            return
        cap = portraits.max_points(shown.dim)
        stopped = "" if shown.n_points >= self.sel.n_points else \
            f" (at most {cap:,} for {shown.dim} variables)" if shown.n_points == cap else " (stopped early)"
        render = self.attractor.render_time
        self.status.object = (
            f"**{shown.system_name}** · {shown.n_points:,} points{stopped} · integrated in "
            f"**{shown.seconds:.3f} s** · rendered in **{render:.3f} s**"
        )

    def _show_error(self, message: str) -> None:
        self.error.object = f"**Cannot update the plot:** {plain(message)}. The last good plot is kept."
        self.error.visible = True

    # -- downloads ----------------------------------------------------------------------------
    def _trajectory(self):
        """The shown trajectory itself, fetched from the worker that keeps it (for a download)."""
        handle = self._handle
        if handle is None:
            return None
        return handle.fetch().trajectory

    def _columns(self, tr):
        names = ["t"] + [f"x{i}" for i in range(tr.x.shape[1])]
        return names, np.column_stack([tr.t, tr.x])

    def _csv(self):
        tr = self._trajectory()
        if tr is None:
            return io.StringIO("")
        names, data = self._columns(tr)
        buffer = io.StringIO()
        np.savetxt(buffer, data, delimiter=",", header=",".join(names), comments="", fmt="%.10g")
        buffer.seek(0)
        self.csv.filename = f"{tr.system.name}.csv"
        return buffer

    def _npz(self):
        buffer = io.BytesIO()
        tr = self._trajectory()
        if tr is not None:
            np.savez_compressed(buffer, t=tr.t, x=tr.x, system=tr.system.name,
                                params=np.array(repr(dict(tr.system.params))))
            self.npz.filename = f"{tr.system.name}.npz"
        buffer.seek(0)
        return buffer
