"""The Leaderboard tab: which forecaster works on which system, from the catalog sweep.

The shipped table (``assets/leaderboard.parquet``, rebuilt by ``python -m core.sweep``) and the
page's own sweeps: VPT per family across systems, a sortable table of systems × families whose
cells open the Forecast tab on that system with that family and its tuned hyper-parameters, VPT
against λ1 and against the correlation dimension, and how each family degrades with noise and
fewer training points. "Sweep this" runs a few systems × families on the cluster and adds them.
After Gilpin (2023), Figs. 2–4, made live.
"""

from __future__ import annotations

import json
from typing import Callable

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from core import jobs, sweep, systems
from core.forecasters import registry
from dashboards.jobs import Runner
from dashboards.selection import Selection, plain

PAGE_SWEEP_CELLS = 24  # at most this many cells per "sweep this": a page request, not a benchmark
KINDS = {"flows and maps": None, "flows": "flow", "maps": "map"}


class LeaderboardDashboard(param.Parameterized):
    """Filters, a box plot, a clickable table and scatter plots over one results table."""

    active = param.Boolean(default=False, doc="the tab is shown")

    def __init__(self, selection: Selection, open_forecast: Callable[[dict], None] | None = None,
                 sources: tuple | None = None, **params):
        super().__init__(**params)
        self.sel, self.open_forecast = selection, open_forecast
        self.sources = sources or (sweep.SHIPPED, sweep.user_folder())
        self.table = sweep.leaderboard(*self.sources)
        self.families = pn.widgets.MultiChoice(label="Families", width=420)
        self.kind = pn.widgets.RadioButtonGroup(label="Systems", options=list(KINDS), value="flows and maps")
        self.setting = pn.widgets.Select(label="Setting", width=260)
        for widget in (self.families, self.kind, self.setting):
            widget.param.watch(lambda *_: self.refresh(), "value")
        self.note = pn.pane.Markdown("", css_classes=["leaderboard-note"], sizing_mode="stretch_width")
        self.boxes = pn.pane.HoloViews(hv.Curve([]), linked_axes=False, css_classes=["leaderboard-boxes"])
        self.scatter_lambda = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.scatter_dimension = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.noise_curve = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.length_curve = pn.pane.HoloViews(hv.Curve([]), linked_axes=False)
        self.summary = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True,
                                            css_classes=["leaderboard-summary"], layout="fit_data_table")
        self.grid = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, height=420,
                                         sizing_mode="stretch_width", css_classes=["leaderboard-table"],
                                         layout="fit_data_table", pagination=None)
        self.grid.on_click(self._on_cell)
        self._build_sweep_form()
        self._fill_filters()
        self._drawn = False  # the plots are drawn when the tab is first shown, not with every page
        self.param.watch(lambda e: self.refresh() if e.new and not self._drawn else None, "active")

    # -- the table ------------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        table = self.table
        families = sorted(table.family.unique()) if len(table) else []
        self.families.options = families
        if not self.families.value or not set(self.families.value) <= set(families):
            self.families.value = families
        settings = table[["n_train", "noise", "sampling"]].drop_duplicates().sort_values(
            ["noise", "n_train", "sampling"], ascending=[True, False, True]) if len(table) else pd.DataFrame()
        options = {sweep.setting_label(*row): tuple(row) for row in settings.itertuples(index=False)}
        value = self.setting.value
        self.setting.options = options
        self.setting.value = value if value in options.values() else next(iter(options.values()), None)

    def shown(self) -> pd.DataFrame:
        """The rows the filters leave: chosen families, kind of system, one setting."""
        table = self.table
        if not len(table) or self.setting.value is None:
            return table.iloc[:0]
        n_train, noise, sampling = self.setting.value
        keep = table.family.isin(self.families.value) & (table.n_train == n_train) & (table.noise == noise) \
            & (table.sampling == sampling)
        kind = KINDS[self.kind.value]
        if kind is not None:
            keep &= table.kind == kind
        return table[keep]

    def refresh(self) -> None:
        """Draw what the filters leave (while the tab is shown; it redraws when next shown else)."""
        if not self.active:
            self._drawn = False
            return
        self._drawn = True
        rows = self.shown()
        if not len(rows):
            self.note.object = ("*No results yet: rebuild the shipped table with `python -m core.sweep`, or sweep a "
                                "few systems below.*")
            return
        summary = sweep.family_summary(rows)
        order = list(summary.family)
        self.summary.value = summary.round(3)
        scored = rows[rows.status != sweep.ERROR]
        self.boxes.object = hv.BoxWhisker(scored, "family", "vpt").redim.values(family=order).opts(
            width=760, height=320, box_fill_color="#ffd8a8", xrotation=30, ylabel="VPT (Lyapunov times)",
            title="valid prediction time across systems, best median first", tools=["hover"])
        self.scatter_lambda.object = self._scatter(scored, "lambda_max", "λ1 (the lab's spectrum)", logx=True)
        self.scatter_dimension.object = self._scatter(scored, "correlation_dimension",
                                                      "correlation dimension (dysts)")
        pivot = rows.pivot_table(index="system", columns="family", values="vpt", aggfunc="mean")[order]
        facts = rows.groupby("system")[["kind", "lambda_max", "correlation_dimension"]].first()
        grid = facts.join(pivot.round(2)).reset_index()
        grid["lambda_max"] = grid.lambda_max.round(4)
        grid["correlation_dimension"] = grid.correlation_dimension.round(2)
        self.grid.value = grid
        self._curves()
        rho = sweep.rank_correlation(scored, "lambda_max")
        rho_text = ", ".join(f"{f} {r:+.2f}" for f, r in sorted(rho.items(), key=lambda kv: -abs(kv[1]))[:4])
        best = summary.iloc[0]
        self.note.object = (
            f"*{rows.system.nunique()} systems × {len(order)} families ({len(rows)} cells, "
            f"{int((rows.status == sweep.ERROR).sum())} failed, {int((rows.status == sweep.BLOW_UP).sum())} with a "
            f"blow-up). Best median: **{plain(best.family)}** at {best.median_vpt:.2f} Lyapunov times. "
            f"Spearman ρ of VPT with λ1: {plain(rho_text) or 'too few systems'}. Click a cell of the table to "
            "open that forecast.*")

    def _scatter(self, rows: pd.DataFrame, column: str, label: str, logx: bool = False):
        data = rows[["system", "family", "vpt", column]].dropna()
        if logx:
            data = data[data[column] > 0]
        points = hv.Points(data, [column, "vpt"], ["family", "system"]).opts(
            color="family", cmap="Category10", size=5, alpha=0.7, logx=logx, width=470, height=320,
            xlabel=label, ylabel="VPT", tools=["hover"], legend_position="right", show_legend=True,
            title=f"VPT against {label}")
        return points

    def _curves(self) -> None:
        """How each family degrades: median VPT against noise, and against training length."""
        table = self.table[self.table.family.isin(self.families.value)]
        kind = KINDS[self.kind.value]
        if kind is not None:
            table = table[table.kind == kind]
        for pane, axis, label in ((self.noise_curve, "noise", "observation noise (× std)"),
                                  (self.length_curve, "n_train", "training points")):
            curves = sweep.degradation(table, axis)
            if curves.empty:
                pane.object = hv.Text(0, 0, f"no sweep over {label} yet").opts(width=470, height=260)
                continue
            pane.object = hv.Overlay([hv.Curve((curves.columns.values, curves.loc[f].values), label, "median VPT",
                                               label=f).opts(tools=["hover"]) *
                                      hv.Scatter((curves.columns.values, curves.loc[f].values), label, "median VPT")
                                      for f in curves.index]).opts(
                width=470, height=260, logx=axis == "n_train", legend_position="right",
                title=f"median VPT against {label} (systems run at every value)")

    def _on_cell(self, event) -> None:
        """A click on a family's cell: the Forecast tab on that system with that family, tuned."""
        grid = self.grid.value
        if event.row is None or event.column not in set(self.table.family) or self.open_forecast is None:
            return
        system = grid.iloc[event.row]["system"]
        n_train, noise, sampling = self.setting.value
        match = self.table[(self.table.system == system) & (self.table.family == event.column)
                           & (self.table.n_train == n_train) & (self.table.noise == noise)
                           & (self.table.sampling == sampling)]
        if not len(match):
            return
        row = match.sort_values("finished").iloc[-1]
        self.open_forecast({"system": system, "family": event.column, "hparams": json.loads(row.hparams or "{}"),
                            "n_train": int(n_train), "noise": float(noise), "sampling": float(sampling)})

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
                                      f"{len(cells)} asked for. Larger sweeps: `python -m core.sweep`.")
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
            self.sweep_note.object = (f"*{counts['ok'] + counts['blow-up'] + counts['error']} cells computed "
                                      f"({counts['error']} failed, {counts['skipped']} already known), shown under "
                                      f"“{label}”.*")

        self.sweeps.run(sweep.run_here, cells, folder, kind=jobs.TRAIN, label=f"sweep of {len(cells)} cells",
                        on_result=done, on_error=lambda m: setattr(self.sweep_note, "object",
                                                                   f"**Sweep stopped:** {plain(m)}"))

    def main(self):
        return pn.Column(
            pn.Row(self.families, self.kind, self.setting),
            self.note,
            pn.Row(self.boxes, self.summary),
            "#### Systems × families (VPT; click a header to sort, a cell to open that forecast)",
            self.grid,
            pn.FlexBox(self.scatter_lambda, self.scatter_dimension, self.noise_curve, self.length_curve,
                       flex_wrap="wrap", gap="0 24px", sizing_mode="stretch_width"),
            pn.Card(self.sweep_note,
                    pn.Row(self.sweep_systems, self.sweep_families),
                    pn.Row(self.sweep_n_train, self.sweep_noise, self.sweep_budget, self.sweep_button,
                           self.sweep_progress, self.sweep_stop),
                    title="Sweep this", collapsed=False, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
