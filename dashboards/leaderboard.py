"""The Leaderboard tab: which forecaster works on which system, from the catalog sweep.

The shipped table (``assets/leaderboard.parquet``, rebuilt by ``python -m core.forecasting.sweep``) and the
page's own sweeps: VPT per family across systems, a sortable table of systems × families whose
cells open the Forecast tab on that system with that family and its tuned hyper-parameters, VPT
against λ1 and against the correlation dimension, and how each family degrades with noise and
fewer training points. "Sweep this" runs a few systems × families on the cluster and adds them.
After Gilpin (2023), Figs. 2–4, made live. "auto" (the lab's model choice) is a family here like
any other. "Published benchmark" (``dashboards.published``) sets the lab beside the 16 models of
the dysts univariate benchmark (Gilpin 2021) on that benchmark's own series and protocol; "Long
horizons" (``dashboards.long_horizon``) draws each family's error against the horizon when fitted
on 1000 points and forecasting 5000 (Gilpin 2023's long-horizon setting).

The tab opens on the comparison across systems; the scatters, the degradation curves, the
sweep form and the published benchmark are sub-tabs built when first chosen (``LazyTab``): in the
browser each Bokeh figure costs about 0.2 s of layout and paint, and the form's catalog-wide
pickers 0.4 s, which the tab's first paint does not pay.
"""

from __future__ import annotations

import json
from typing import Callable

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, DataRange1d, FactorRange, FixedTicker, HoverTool, Range1d, Title
from bokeh.palettes import Category10_10
from bokeh.plotting import figure
from panel.viewable import Viewer

from core import systems
from core.forecasting import sweep
from core.forecasting.families import registry
from core.runtime import jobs
from dashboards.background import Runner, on_session_loop
from dashboards.boxes import draw_boxes
from dashboards.lazy import LazyTab, lazy_tabs
from dashboards.long_horizon import LongHorizons
from dashboards.published import PublishedBenchmark
from dashboards.selection import Selection, plain

PAGE_SWEEP_CELLS = 24  # at most this many cells per "sweep this": a page request, not a benchmark
PAGE_SWEEP_SECONDS = 300.0  # and about this long on a training worker: the cells left are said, not run
KINDS = {"flows and maps": None, "flows": "flow", "maps": "map"}
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


EMPTY_LOG_SPAN = (0.1, 10.0)
SUMMARY_HEADERS = {"vpt_at_least_1": "VPT ≥ 1 (share)", "median_vpt": "median VPT",
                   "upper_quartile_vpt": "VPT upper quartile", "at_window_end": "valid to the window's end (share)",
                   "blow_ups": "blow-ups",
                   "median_fit_s": "median fit (s)", "median_tuning_s": "median tuning (s)",
                   "median_model_lambda_error": "model's own λ1: median error"}


def _log_range() -> Range1d:
    """A log axis's range, set from its data on each draw (``_fit``), never BokehJS's automatic
    one: the figures sent empty had it warn "could not set initial ranges" on every pass of a
    layout that never ended, and the page hung."""
    return Range1d(*EMPTY_LOG_SPAN)


def _fit(x_range: Range1d, values) -> None:
    """A log axis's range around ``values`` (positive), or the default span when there are none."""
    values = np.asarray([v for v in values if v > 0], dtype=float)
    low, high = (values.min() / 1.5, values.max() * 1.5) if len(values) else EMPTY_LOG_SPAN
    x_range.update(start=low, end=high)


def _x_axis(log_range: Range1d | None) -> dict:
    """A figure's x axis: log on ``log_range`` when given, else linear and ranged by BokehJS."""
    return {"x_axis_type": "log", "x_range": log_range} if log_range is not None else {}


GRID_TITLES = {"lambda_max": "λ1", "correlation_dimension": "corr. dimension"}


def _widths(frame: pd.DataFrame, titles: dict[str, str]) -> dict[str, int]:
    """Each column's width in pixels from its (bold) header with its sort arrow and its longest
    value, so that Tabulator does not measure every cell to fit them (a sixth of the tab's first
    paint in the browser)."""
    return {c: max(10 * len(titles.get(c, str(c))) + 44, max((8 * len(str(v)) + 24 for v in frame[c]), default=0))
            for c in frame.columns}


def _source(*columns: str) -> ColumnDataSource:
    return ColumnDataSource({c: [] for c in columns})


class LeaderboardDashboard(Viewer):
    """Filters, a box plot, a clickable table and scatter plots over one results table."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown")

    def __init__(self, selection: Selection, open_forecast: Callable[[dict], None] | None = None,
                 sources: tuple | None = None, **params):
        super().__init__(sel=selection, **params)
        self.open_forecast = open_forecast
        self.sources = sources or (sweep.SHIPPED, sweep.user_folder())
        self.table = sweep.leaderboard(*self.sources)
        self.families = pn.widgets.MultiChoice(label="Families", width=420)
        self.kind = pn.widgets.RadioButtonGroup(label="Systems", options=list(KINDS), value="flows and maps")
        self.setting = pn.widgets.Select(label="Setting", width=260)
        pn.bind(lambda *_: self.refresh(), self.families, self.kind, self.setting, watch=True)
        self.note = pn.pane.Markdown("", css_classes=["leaderboard-note"], sizing_mode="stretch_width")
        # plain Bokeh figures, built once: a redraw replaces their sources' data (HoloViews rebuilt
        # every plot on each redraw, 2.7 s of the server's time for this tab)
        self._build_figures()
        # a plain HTML table: it is read, not sorted (best median first), and a second Tabulator
        # cost the tab's first paint ~0.3 s of the browser's time
        self.summary = pn.pane.DataFrame(pd.DataFrame(), index=False, na_rep="-",
                                         css_classes=["leaderboard-summary"])
        self.grid = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, height=420,
                                         titles=GRID_TITLES,
                                         sizing_mode="stretch_width", css_classes=["leaderboard-table"],
                                         layout="fit_data_table", pagination=None)
        self.grid.on_click(self._on_cell)
        self._build_sweep_form()
        self._fill_filters()
        self._drawn = False  # the plots are drawn when the tab is first shown, not with every page

    @param.depends("active", watch=True)
    def _shown(self) -> None:
        if self.active and not self._drawn:
            self.refresh()

    # -- the table ------------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        table = self.table
        families = sorted(table.family.unique()) if len(table) else []
        self.families.options = families
        if not self.families.value or not set(self.families.value) <= set(families):
            self.families.value = families
        options = {sweep.setting_label(*setting): setting for setting in sweep.settings(table)}
        value = self.setting.value
        self.setting.options = options
        self.setting.value = value if value in options.values() else next(iter(options.values()), None)

    def shown(self) -> pd.DataFrame:
        """The rows the filters leave: chosen families, kind of system, one setting."""
        if not len(self.table) or self.setting.value is None:
            return self.table.iloc[:0]
        return sweep.select(self.table, self.families.value, self.setting.value, KINDS[self.kind.value])

    def prepare(self) -> None:
        """Draw before the tab's figures first reach a browser: they arrive with their data, in one
        layout, not empty and then filled."""
        self._drawn = True
        self._draw()

    def refresh(self) -> None:
        """Draw what the filters leave (while the tab is shown; it redraws when next shown else)."""
        if not self.active:
            self._drawn = False
            return
        self._drawn = True
        on_session_loop(self._draw)  # the figures' own Bokeh models change

    def _draw(self) -> None:
        rows = self.shown()
        if not len(rows):
            self.note.object = ("*No results yet: rebuild the shipped table with `python -m core.forecasting.sweep`, or sweep a "
                                "few systems below.*")
            return
        summary = sweep.family_summary(rows)
        order = list(summary.family)
        self.summary.object = summary.round(3).rename(columns=SUMMARY_HEADERS)
        scored = rows[rows.status != sweep.ERROR]
        self._draw_boxes(scored, order)
        for column, source in (("lambda_max", self.lambda_points), ("correlation_dimension", self.dimension_points)):
            data = scored[["system", "family", "vpt", column]].dropna()
            if column == "lambda_max":
                data = data[data[column] > 0]  # a log axis
            source.data = {"x": data[column].to_numpy(), "vpt": data.vpt.to_numpy(), "family": list(data.family),
                           "system": list(data.system), "colour": [self._colour(f) for f in data.family]}
        _fit(self.lambda_range, self.lambda_points.data["x"])
        grid = sweep.vpt_grid(rows, order)
        self.grid.widths = _widths(grid, GRID_TITLES)
        self.grid.value = grid
        self._curves()
        rho = sweep.rank_correlation(scored, "lambda_max")
        rho_text = ", ".join(f"{f} {r:+.2f}" for f, r in sorted(rho.items(), key=lambda kv: -abs(kv[1]))[:4])
        best = summary.iloc[0]
        self.note.object = (
            f"*{rows.system.nunique()} systems × {len(order)} families ({len(rows)} cells, "
            f"{int((rows.status == sweep.ERROR).sum())} failed, {int((rows.status == sweep.BLOW_UP).sum())} with a "
            f"blow-up). Best median: **{plain(best.family)}** at {best.median_vpt:.2f} Lyapunov times. "
            + (f"Test windows of {scored.max_vpt.median():.0f} Lyapunov times; {int(sweep.at_window_end(scored).sum())} "
               "forecasts still valid at a window's end. " if len(scored) else "") +
            f"Spearman ρ of VPT with λ1: {plain(rho_text) or 'too few systems'}. Click a cell of the table to "
            "open that forecast.*")

    def _build_figures(self) -> None:
        """The box plot, and the sources, ranges and titles of the sub-tabs' figures: those figures
        are built when their sub-tab is first shown, with the data drawn into these."""
        # VPT from 0: one system alone (a page's sweep) would otherwise be ranged to its one value
        boxes = figure(width=760, height=320, x_range=FactorRange(), y_range=DataRange1d(start=0), tools=TOOLS,
                       toolbar_location="right",
                       title="valid prediction time across systems, best median first",
                       y_axis_label="VPT (Lyapunov times)")
        self.box_source, self.outlier_source = _source("family", "q1", "q2", "q3", "low", "high", "n"), \
            _source("family", "vpt", "system")
        draw_boxes(boxes, self.box_source, self.outlier_source, "family", "vpt", label="VPT", fill="#ffd8a8")
        boxes.xaxis.major_label_orientation = 0.5
        self.boxes = pn.pane.Bokeh(boxes, css_classes=["leaderboard-boxes"])
        self.lambda_points, self.dimension_points = (_source("x", "vpt", "family", "system", "colour")
                                                     for _ in range(2))
        self.noise_lines, self.length_lines = (_source("xs", "ys", "family", "colour") for _ in range(2))
        self.noise_marks, self.length_marks = (_source("x", "y", "family", "colour") for _ in range(2))
        self.lambda_range, self.length_range = _log_range(), _log_range()
        self.length_ticks = FixedTicker(ticks=[])
        self.noise_title, self.length_title = (Title(text=f"no sweep over {label} yet")
                                               for label in ("noise level", "training length"))

    def scatters(self) -> pn.FlexBox:
        """The "VPT against λ1 and dimension" sub-tab: Gilpin's check that long-horizon accuracy
        barely follows λ1."""
        return pn.FlexBox(self._scatter(self.lambda_points, "λ1 (the lab's spectrum)", self.lambda_range),
                          self._scatter(self.dimension_points, "correlation dimension (dysts)"),
                          flex_wrap="wrap", gap="0 24px", sizing_mode="stretch_width")

    def degradation(self) -> pn.FlexBox:
        """The "noise and data length" sub-tab: median VPT per family against each."""
        length = self._curve_figure(self.length_lines, self.length_marks, "training points", self.length_title,
                                    self.length_range)
        length.object.xaxis.ticker = self.length_ticks
        return pn.FlexBox(
            self._curve_figure(self.noise_lines, self.noise_marks, "observation noise (× std)", self.noise_title),
            length, flex_wrap="wrap", gap="0 24px", sizing_mode="stretch_width")

    @staticmethod
    def _scatter(source: ColumnDataSource, label: str, log_range: Range1d | None = None) -> pn.pane.Bokeh:
        """VPT against ``label``, on a log axis when ``log_range`` is given."""
        plot = figure(width=500, height=380, tools=TOOLS, title=f"VPT against {label}", **_x_axis(log_range),
                      x_axis_label=label, y_axis_label="VPT")
        dots = plot.scatter("x", "vpt", source=source, color="colour", size=5, alpha=0.7, legend_field="family")
        plot.add_tools(HoverTool(renderers=[dots], tooltips=[("system", "@system"), ("family", "@family"),
                                                             ("VPT", "@vpt{0.00}"), (label, "@x{0.000}")]))
        plot.add_layout(plot.legend[0], "right")
        return pn.pane.Bokeh(plot)

    @staticmethod
    def _curve_figure(lines: ColumnDataSource, marks: ColumnDataSource, label: str, title: Title,
                      log_range: Range1d | None = None) -> pn.pane.Bokeh:
        """Median VPT per family against ``label``, on a log axis when ``log_range`` is given."""
        plot = figure(width=500, height=320, tools=TOOLS, x_axis_label=label, **_x_axis(log_range),
                      y_axis_label="median VPT", title=title)
        plot.multi_line("xs", "ys", source=lines, line_color="colour", line_width=2, legend_field="family")
        dots = plot.scatter("x", "y", source=marks, color="colour", size=6)
        plot.add_tools(HoverTool(renderers=[dots], tooltips=[("family", "@family"), (label, "@x"),
                                                             ("median VPT", "@y{0.00}")]))
        plot.add_layout(plot.legend[0], "right")
        return pn.pane.Bokeh(plot)

    def _colour(self, family: str) -> str:
        """One colour per family for the whole table, whatever the filters show."""
        options = list(self.families.options)
        return Category10_10[options.index(family) % 10] if family in options else "#868e96"

    def _draw_boxes(self, rows: pd.DataFrame, order: list[str]) -> None:
        boxes, outliers = sweep.box_stats(rows, order)
        self.boxes.object.x_range.factors = boxes["family"]
        self.box_source.data, self.outlier_source.data = boxes, outliers

    def _curves(self) -> None:
        """How each family degrades: median VPT against noise, and against training length."""
        table = sweep.select(self.table, self.families.value, kind=KINDS[self.kind.value])
        for title, lines, marks, axis, label in (
                (self.noise_title, self.noise_lines, self.noise_marks, "noise", "noise level"),
                (self.length_title, self.length_lines, self.length_marks, "n_train", "training length")):
            curves = sweep.degradation(table, axis)
            x = list(curves.columns.values)
            families = list(curves.index)
            colours = [self._colour(f) for f in families]
            lines.data = {"xs": [x] * len(families), "ys": [list(curves.loc[f].values) for f in families],
                          "family": families, "colour": colours}
            marks.data = {"x": x * len(families), "y": [v for f in families for v in curves.loc[f].values],
                          "family": [f for f in families for _ in x], "colour": [c for c in colours for _ in x]}
            if axis == "n_train":  # the one on a log axis, ticked at the lengths swept
                _fit(self.length_range, x)
                self.length_ticks.ticks = [float(v) for v in x]
            title.text = (f"median VPT by {label} (the same systems at each)" if families
                          else f"no sweep over {label} yet")

    def _on_cell(self, event) -> None:
        """A click on a family's cell: the Forecast tab on that system with that family, tuned."""
        grid = self.grid.value
        if event.row is None or event.column not in set(self.table.family) or self.open_forecast is None:
            return
        system = grid.iloc[event.row]["system"]
        n_train, noise, sampling = self.setting.value
        row = sweep.latest(self.table, system, event.column, self.setting.value)
        if row is None:
            return
        cell = {"system": system, "family": event.column, "hparams": json.loads(row.hparams or "{}"),
                "n_train": int(n_train), "noise": float(noise), "sampling": float(sampling)}
        # the whole change (and the URL) on the loop, not held: held, the browser never showed the
        # Forecast tab it switches to (tests/browser/test_leaderboard.py)
        on_session_loop(lambda: self.open_forecast(cell), hold=False)

    # -- sweep this -----------------------------------------------------------------------------
    def _build_sweep_form(self) -> None:
        self.sweep_systems = pn.widgets.MultiChoice(label="Systems", options=systems.names("flow") + systems.names("map"),
                                                    value=["Lorenz"], width=360)
        self.sweep_families = pn.widgets.MultiChoice(label="Families", options=registry.names(), value=["nvar"],
                                                     width=360)
        self.sweep_n_train = pn.widgets.IntInput(label="training points", value=10_000, start=500, end=200_000,
                                                 width=130)
        self.sweep_noise = pn.widgets.FloatInput(label="noise (× std)", value=0.0, start=0.0, end=1.0, width=110)
        self.sweep_budget = pn.widgets.FloatInput(label="tuning (s)", value=2.0, start=0.0, end=60.0, width=100)
        self.sweep_button = pn.widgets.Button(label="Sweep", color="primary", width=100)
        self.sweep_button.on_click(lambda _: self.run_sweep())
        self.sweep_progress = pn.indicators.Progress(value=0, max=100, visible=False, width=240, bar_color="info")
        self.sweep_stop = pn.widgets.Button(label="Stop", color="warning", visible=False, width=80)
        self.sweep_note = pn.pane.Markdown("", css_classes=["sweep-note"], sizing_mode="stretch_width")
        self.sweeps = Runner(self.sweep_progress, self.sweep_stop)

    def run_sweep(self) -> None:
        """A few systems × families on the cluster's training workers; the table grows when done."""
        setting = sweep.Setting(int(self.sweep_n_train.value), float(self.sweep_noise.value))
        try:
            cells = sweep.plan(list(self.sweep_systems.value), list(self.sweep_families.value), [setting],
                               budget=float(self.sweep_budget.value))
        except KeyError as exc:
            self.sweep_note.object = f"**Not swept:** {plain(str(exc))}"
            return
        if not cells or len(cells) > PAGE_SWEEP_CELLS:
            self.sweep_note.object = (f"**Not swept:** choose 1 to {PAGE_SWEEP_CELLS} cells (systems × families); "
                                      f"{len(cells)} asked for. Larger sweeps: `python -m core.forecasting.sweep`.")
            return
        folder = self.sources[-1]
        self.sweep_note.object = f"*sweeping {len(cells)} cells on the cluster…*"

        def done(job) -> None:
            counts = job.result
            self.table = sweep.leaderboard(*self.sources)
            self._fill_filters()
            label = sweep.setting_label(setting.n_train, setting.noise, setting.sampling)
            self.setting.value = (setting.n_train, setting.noise, setting.sampling)
            self.refresh()
            left = (f" {counts['unfinished']} not run: a page's sweep stops after {PAGE_SWEEP_SECONDS / 60:g} "
                    f"minutes (larger sweeps: `python -m core.forecasting.sweep`)." if counts["unfinished"] else "")
            self.sweep_note.object = (f"*{counts['ok'] + counts['blow-up'] + counts['error']} cells computed "
                                      f"({counts['error']} failed, {counts['skipped']} already known), shown under "
                                      f"“{label}”.{left}*")

        self.sweeps.run(sweep.run_here, cells, folder, max_seconds=PAGE_SWEEP_SECONDS, kind=jobs.TRAIN,
                        label=f"sweep of {len(cells)} cells",
                        on_result=done, on_error=lambda m: setattr(self.sweep_note, "object",
                                                                   f"**Sweep stopped:** {plain(m)}"))

    def sweep_form(self) -> pn.Column:
        """The "Sweep this" sub-tab."""
        return pn.Column(self.sweep_note,
                         pn.Row(self.sweep_systems, self.sweep_families),
                         pn.Row(self.sweep_n_train, self.sweep_noise, self.sweep_budget, self.sweep_button,
                                self.sweep_progress, self.sweep_stop),
                         sizing_mode="stretch_width")

    def main(self):
        return self.__panel__()

    def __panel__(self):
        overview = pn.Column(
            pn.FlexBox(self.boxes, self.summary, gap="0 24px", sizing_mode="stretch_width"),  # wraps on a narrow screen
            "#### Systems × families (VPT; click a header to sort, a cell to open that forecast)",
            self.grid, sizing_mode="stretch_width")
        self.sections = lazy_tabs(("Across systems", overview),
                                  ("VPT against λ1 and dimension", LazyTab(self.scatters)),
                                  ("Noise and data length", LazyTab(self.degradation)),
                                  ("Sweep this", LazyTab(self.sweep_form)),
                                  ("Published benchmarks (dysts 2021, 2023)", LazyTab(PublishedBenchmark)),
                                  ("Long horizons (5000 steps)", LazyTab(LongHorizons)),
                                  css_classes=["leaderboard-sections"], sizing_mode="stretch_width")
        return pn.Column(pn.Row(self.families, self.kind, self.setting), self.note, self.sections,
                         sizing_mode="stretch_width")
