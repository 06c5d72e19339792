"""The Lyapunov tab: how chaotic the selected system is, and where on the attractor prediction fails."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from core.dynamics import catalog_spectra, lyapunov
from core.pictures import raster
from core.runtime import jobs
from dashboards.background import Runner
from dashboards.render import RasterView, one_update
from dashboards.selection import Selection, plain


CLV_CMAP = "rainbow4_r"  # angle 0 … 90°: red where the unstable and stable directions nearly touch, blue apart
CLV_LABELS = {3: ("rotated x · CLV", "rotated y · CLV"), 2: ("x0 · CLV", "x1 · CLV")}
SEGMENT = 0.02  # half a segment, as a fraction of the orbit's widest extent


class CatalogComparison(Viewer):
    """The lab's spectra of the whole catalog beside dysts's metadata: where they disagree, in a
    table sorted by clicking its headers (every system with dysts metadata on request)."""

    def __init__(self, **params):
        super().__init__(**params)
        self.every = pn.widgets.Checkbox(label="every system with dysts metadata, not only disagreements", value=False)
        self.note = pn.pane.Markdown("", css_classes=["lyapunov-catalog-note"], sizing_mode="stretch_width")
        self.grid = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, height=360,
                                         layout="fit_data_table", pagination=None, sizing_mode="stretch_width",
                                         css_classes=["lyapunov-catalog"])
        pn.bind(lambda _: self._fill(), self.every, watch=True)
        self._fill()

    def _fill(self) -> None:
        every = catalog_spectra.disagreements(all_systems=True)
        shown = every if self.every.value else every[every["why"] != "agree"]
        table = catalog_spectra.shipped()
        self_gap = every["dysts vs itself %"].abs() > 100 * catalog_spectra.DISAGREE
        self.note.object = (
            f"{(every['why'] != 'agree').sum()} of {len(every)} systems with dysts metadata disagree with the lab's "
            f"spectrum (λ1 by more than {catalog_spectra.DISAGREE:.0%}, or the sign of λ2); dysts's largest exponent "
            f"disagrees with its own spectrum's on {int(self_gap.sum())}. The lab's table holds every flow, map and "
            f"delay system at its published parameters ({len(table['systems'])} systems, built in "
            f"{table.get('built_in_seconds', 0):.0f} s on {table.get('processes', 1)} cores by "
            "`python -m core.dynamics.catalog_spectra`); a system whose λ1 had not converged is marked. "
            "Click a header to sort.")
        self.grid.value = shown.reset_index(drop=True)

    def __panel__(self):
        return pn.Column("#### The catalog: the lab's spectra beside dysts's", self.note, self.every, self.grid,
                         sizing_mode="stretch_width")


class LyapunovDashboard(Viewer):
    """Spectrum, convergence, separation of nearby pairs, FTLE-coloured attractor and the exponent from data."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def __init__(self, selection: Selection, **params):
        super().__init__(sel=selection, **params)
        self.summary = pn.pane.Markdown("", css_classes=["lyapunov-summary"], sizing_mode="stretch_width")
        self.error = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["lyapunov-error"],
                                   sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, width=300, bar_color="info")
        self.stop_button = pn.widgets.Button(label="Stop", color="warning", visible=False, width=80)
        self.runner = Runner(self.progress, self.stop_button, coalesce=True)
        self.table = pn.pane.DataFrame(pd.DataFrame(), index=False, sizing_mode="stretch_width")
        self.spectrum_pane = pn.pane.HoloViews(hv.Bars([]), linked_axes=False)
        self.convergence_pane = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.separation_pane = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        # coarse pixels, each the mean of many points; re-aggregated next to the data on zoom
        self.ftle_view = RasterView("rotated x", "rotated y", raster.FTLE_FRAME, cmap=raster.FIELD_CMAP)
        self.ftle_note = pn.pane.Markdown("", css_classes=["lyapunov-ftle"])
        self.ftle_jobs = Runner()
        # the unstable covariant vector as short segments, coloured by the angle to the stable subspace
        self.clv_view = RasterView(*CLV_LABELS[3], raster.FTLE_FRAME, cmap=CLV_CMAP)
        self.clv_note = pn.pane.Markdown("", css_classes=["lyapunov-clv"], sizing_mode="stretch_width")
        self.clv_jobs = Runner()
        self.angle_pane = pn.pane.HoloViews(hv.Histogram([]), linked_axes=False)
        self.data_pane = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.data_text = pn.pane.Markdown("", css_classes=["lyapunov-data"])
        self.catalog = CatalogComparison()
        self.settings = pn.Row(
            pn.widgets.FloatInput.from_param(selection.param.averaging_time, label="Averaging time (empty: auto)", width=200),
            pn.widgets.FloatInput.from_param(selection.param.ftle_window, label="FTLE window (empty: one period)", width=200),
        )

    def __panel__(self):
        return pn.Column(
            pn.Row(self.settings, self.progress, self.stop_button),
            self.error,
            self.summary,
            pn.Row(pn.Column("#### Spectrum", self.spectrum_pane, self.table),
                   pn.Column("#### Convergence of each exponent", self.convergence_pane)),
            pn.Row(pn.Column("#### Separation of nearby trajectories", self.separation_pane),
                   pn.Column("#### Attractor coloured by finite-time exponent", self.ftle_note,
                             self.ftle_view.panel())),
            pn.Row(pn.Column("#### Covariant Lyapunov vectors: the unstable direction", self.clv_view.panel()),
                   pn.Column("#### Angle between the unstable and stable subspaces", self.angle_pane)),
            self.clv_note,
            pn.Row(pn.Column("#### Largest exponent from the x time series", self.data_pane, self.data_text)),
            self.catalog,
            sizing_mode="stretch_width",
        )

    def main(self):
        return self.__panel__()

    # -- scheduling ---------------------------------------------------------------------------
    @param.depends("active", "sel.system", "sel.equations", "sel.param_overrides", "sel.averaging_time",
                   "sel.ftle_window", watch=True)
    def _on_change(self) -> None:
        if self.active:
            self.request()

    def request(self) -> None:
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError) as exc:
            self._show_error(str(exc))
            return
        settings = (self.sel.averaging_time, self.sel.ftle_window)
        known = lyapunov.RECENT.get(system, *settings)  # another session asked the same
        if known is not None:
            self.runner.stop()
            self._publish(system, known)
            return

        def computed(job) -> None:
            lyapunov.RECENT.put(system, *settings, result=job.result)
            self._publish(system, job.result)

        self.runner.run(lyapunov.diagnostics, system, *settings, label=f"Lyapunov {system.name}",
                        on_result=computed, on_error=self._show_error)

    def _publish(self, system, result: lyapunov.Diagnostics) -> None:
        try:
            figures = self._figures(system, result)
        except (lyapunov.LyapunovError, ValueError) as exc:
            self._show_error(str(exc))
            return
        self.error.visible = False
        with one_update():
            self.summary.object = figures["summary"]
            self.table.object = figures["table"]
            self.spectrum_pane.object = figures["bars"]
            self.convergence_pane.object = figures["convergence"]
            self.separation_pane.object = figures["separation"]
            self.ftle_note.object = figures["ftle_note"]
            self.data_pane.object = figures["data"]
            self.data_text.object = figures["data_text"]
            self.angle_pane.object = figures["angles"]
            self.clv_note.object = figures["clv_note"]
        self._draw_ftle(result.ftle)
        self._draw_vectors(result.vectors)

    def _draw_ftle(self, ftle: lyapunov.FTLEResult) -> None:
        """The attractor coloured by finite-time exponents: aggregated and shaded as a job (one
        rendering path with the explorer's views), again over the window of each zoom."""
        coords = tuple(range(min(3, ftle.x.shape[1])))
        xy = raster.picture(ftle.x, coords, self.sel.azimuth, self.sel.elevation)
        values = ftle.values[: len(xy)]
        limit = float(np.nanpercentile(np.abs(values), 98)) or 1.0  # one colour scale for every zoom
        width, height = raster.FTLE_PIXELS

        def draw(extent, done) -> None:
            self.ftle_jobs.run(raster.field_picture, xy, values, width, height, limit, extent, kind=jobs.INTERACTIVE,
                               label="FTLE image", on_result=lambda job: done(job.result), on_error=self._show_error)

        labels = {3: ("rotated x", "rotated y"), 2: ("x0", "x1"), 1: ("x(k)", "x(k+1)")}[len(coords)]
        draw(None, lambda image: self.ftle_view.show(image, labels, zoom=draw))

    def _draw_vectors(self, vectors: lyapunov.Hyperbolicity | str) -> None:
        """The unstable covariant vector at each point of the orbit as a short segment through it,
        coloured by the angle between the unstable and stable subspaces there (a job, re-drawn on
        each zoom); an empty frame where there are no vectors to draw."""
        if isinstance(vectors, str):
            self.clv_jobs.stop()
            width, height = raster.FTLE_PIXELS
            self.clv_view.show(raster.Raster(np.zeros(width), np.zeros(height), None, (0.0, 1.0, 0.0, 1.0), 0.0,
                                             index=np.zeros((height, width), np.uint8),
                                             palette=raster.palette(CLV_CMAP)), CLV_LABELS[3])
            return
        coords = tuple(range(min(3, vectors.states.shape[1])))
        points = vectors.states[:, list(coords)]
        centre = points.mean(axis=0)
        half = SEGMENT * float(np.ptp(points, axis=0).max())  # half a segment, in the state's units
        along = vectors.unstable[:, list(coords)] * half
        ends = [raster.picture(vectors.states[:, list(coords)] + sign * along, tuple(range(len(coords))),
                               self.sel.azimuth, self.sel.elevation, centre) for sign in (-1.0, 1.0)]
        angle = vectors.angles["unstable–stable"]
        width, height = raster.FTLE_PIXELS

        def draw(extent, done) -> None:
            self.clv_jobs.run(raster.segments_picture, *ends, angle, width, height, 0.0, 90.0, extent, CLV_CMAP,
                              kind=jobs.INTERACTIVE, label="covariant vectors image",
                              on_result=lambda job: done(job.result), on_error=self._show_error)

        draw(None, lambda image: self.clv_view.show(image, CLV_LABELS[len(coords)], zoom=draw))

    def _show_error(self, message: str) -> None:
        self.error.object = f"**Lyapunov diagnostics not updated:** {plain(message)}"
        self.error.visible = True

    # -- figures ------------------------------------------------------------------------------
    def _figures(self, system, result: lyapunov.Diagnostics) -> dict:
        spec = result.spectrum
        lam = spec.exponents
        names = [f"λ{i + 1}" for i in range(len(lam))]
        lyap_time = lyapunov.lyapunov_time(lam)
        dimension = lyapunov.kaplan_yorke_text(lam, partial=spec.grid_points is not None)
        unit = "per iterate" if system.kind == "map" else "per time unit"
        stderr = lyapunov.standard_error(spec)  # batch means: how settled λ1 is
        error = f" ± {stderr:.1g}" if np.isfinite(stderr) else ""
        summary = (
            f"**{system.name}: λ1 = {lam[0]:.4f}**{error} {unit} · Lyapunov time "
            f"{'∞' if np.isinf(lyap_time) else f'{lyap_time:.4g}'} · Kaplan–Yorke dimension {dimension} · "
            f"{lyapunov.verdict(lam, system.kind, stderr)}  \n"
            + (f"*method of steps on N = {spec.grid_points} points per delay (a tangent space of "
               f"{2 * (spec.grid_points + 1)} dimensions), its {len(lam)} leading exponents; "
               if spec.grid_points else "*")
            + f"{spec.jacobian} Jacobian; {spec.t[-1]:.4g} {'iterates' if system.kind == 'map' else 'time units'}"
            f" averaged in {spec.wall_time:.2f} s"
            + (f"; sum of exponents {lam.sum():.4f} vs mean trace J {spec.mean_trace:.4f}*"
               if spec.mean_trace is not None else "*")
        )
        table = pd.DataFrame({"exponent": names, "ours": np.round(lam, 4)})
        if system.lyapunov_spectrum:
            table["dysts (reference)"] = np.round(np.resize(system.lyapunov_spectrum, len(lam)), 4)
        literature = lyapunov.literature_spectrum(system)
        if literature:
            values, source = literature
            table[f"literature ({source.split(',')[0]})"] = np.resize(values, len(lam))
        bars = hv.Bars(list(zip(names, lam)), kdims=["exponent"], vdims=["λ"]).opts(
            width=420, height=260, color="#d9480f", tools=["hover"], title="")
        step = max(1, len(spec.t) // 1500)
        curves = [hv.Curve((spec.t[::step], spec.history[::step, i]), "time", "estimate", label=names[i])
                  for i in range(len(lam))]
        convergence = hv.Overlay(curves).opts(width=520, height=300, logx=True, legend_position="right")
        separation = self._separation_figure(result.separation)
        ftle_note = f"*window {result.ftle.window:.3g}: red = fast separation, blue = contraction*"
        data = result.from_data
        if isinstance(data, str):
            data_fig, data_text = hv.Curve([]), f"*not estimated: {data}*"
        else:
            a, b = data.fit
            data_fig = (
                hv.Curve((data.t, data.log_distance), "time", "mean log distance", label="Rosenstein curve")
                * hv.Curve((data.t[a:b], data.intercept + data.exponent * data.t[a:b]), label="fit").opts(
                    color="black", line_dash="dashed")
            ).opts(width=520, height=280, legend_position="bottom_right")
            data_text = (
                f"From 10,000 points of x0: **λ1 ≈ {data.exponent:.3f}** (spectrum: {lam[0]:.3f}); "
                f"delay {data.delay}, dimension {data.dimension}, Theiler window {data.theiler} samples, "
                f"fit over t = {data.t[a]:.3g} … {data.t[b - 1]:.3g}."
            )
        angles, clv_note = self._angle_figure(system, result.vectors)
        return {"summary": summary, "table": table, "bars": bars, "convergence": convergence,
                "separation": separation, "ftle_note": ftle_note, "data": data_fig, "data_text": data_text,
                "angles": angles, "clv_note": clv_note}

    @staticmethod
    def _separation_figure(pairs: lyapunov.PairSeparation | str):
        """The mean log separation of nearby pairs with its fitted slope (or why it is not measured)."""
        if isinstance(pairs, str):
            return hv.Curve([], "time", "mean log separation").opts(
                width=520, height=300, title=f"not measured: {plain(pairs).split(': ', 1)[-1]}")
        a, b = pairs.fit
        fit_t, intercept, horizon = pairs.t[a:b], pairs.intercept, pairs.horizon
        separation = (
            hv.Curve((pairs.t, pairs.log_separation), "time", "mean log separation", label="pairs")
            * hv.Curve((fit_t, intercept + pairs.slope * fit_t), label=f"slope {pairs.slope:.3f}").opts(
                color="black", line_dash="dashed")
            * hv.HLine(pairs.saturation).opts(color="grey", line_dash="dotted")
        )
        if np.isfinite(horizon):
            separation = separation * hv.VLine(horizon).opts(color="#d9480f")
        return separation.opts(width=520, height=300, legend_position="bottom_right",
                               title=f"predictability horizon ≈ {horizon:.3g}" if np.isfinite(horizon) else "")

    @staticmethod
    def _angle_figure(system, vectors: lyapunov.Hyperbolicity | str) -> tuple:
        """The distribution of the angles between subspaces along the orbit, and what it says."""
        if isinstance(vectors, str):
            return hv.Histogram([]), f"*Covariant Lyapunov vectors not shown: {plain(vectors)}*"
        bins = np.linspace(0.0, 90.0, 46)
        colours = {"unstable–stable": "#d9480f", "unstable–neutral": "#2f9e44", "expanding–contracting": "#1c7ed6"}
        histograms = [hv.Histogram(np.histogram(angle, bins=bins, density=True), kdims=["angle (degrees)"],
                                   vdims=["density"], label=name).opts(color=colours[name], alpha=0.55, line_alpha=0)
                      for name, angle in vectors.angles.items()]
        figure = (hv.Overlay(histograms) * hv.VLine(lyapunov.TANGENCY).opts(color="grey", line_dash="dotted")).opts(
            width=460, height=300, legend_position="top_right", xlim=(0, 90))
        n = len(vectors.states)
        steps = "iterates" if system.kind == "map" else "points"
        note = (f"*Ginelli's covariant vectors on {n} {steps} of one orbit; segments along the unstable vector, "
                f"coloured by the unstable–stable angle (red: near-tangency, blue: perpendicular).* "
                f"{vectors.summary()}")
        return figure, note
