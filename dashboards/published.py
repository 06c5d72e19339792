"""The Leaderboard's "Published benchmark" sub-tab: the dysts univariate benchmark (Gilpin 2021)
rerun by the lab on its own series, beside the 16 models the paper published, system by system;
and the short-horizon multivariate benchmark (Gilpin 2023) rerun on the lab's own trajectories,
beside its 15 models, as distributions and ranks.

The lab's rows are shipped (``assets/univariate_benchmark.csv`` and
``assets/multivariate_benchmark.csv``, from ``python -m benchmarks.univariate --ship`` and
``python -m benchmarks.multivariate --ship``); the published numbers are read from the benchmark's
folder where the lab finds it (``core.forecasting.published.data_dir``), never copied into the
lab. Without it, the tab says where it looked and shows the lab's columns alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, FactorRange, Range1d
from bokeh.plotting import figure

from core.forecasting import published, sweep
from dashboards.background import on_session_loop
from dashboards.boxes import draw_boxes
from dashboards.selection import plain

# what the radio buttons offer: (benchmark, points per period)
SETTINGS = {"100 points per period": ("univariate", 100), "15 points per period": ("univariate", 15),
            "multivariate (Gilpin 2023)": ("multivariate", 100)}
RESULTS = {"univariate": published.LAB_RESULTS, "multivariate": published.MULTIVARIATE_RESULTS}
COLOURS = {"lab": "#ffa94d", "published": "#ced4da"}
PROTOCOL = (
    "**Protocol, as published:** 131 dysts flows, the first coordinate only, 12 periods per series; every model "
    "is fitted on the first 10 periods (1000 points, or 150 at 15 points per period) and forecasts the last two "
    "(199 or 29 points) in one free run; the score is sMAPE on 0–200 (lower is better). Hyper-parameters are "
    "tuned on a separate `train` series from another initial condition, validated on its last 2 periods, so the "
    "scored `test` series is touched once.  \n"
    "**Where the lab differs, and why:** it tunes by valid prediction time on the validation part with unstable "
    "free runs ranked last, not by MSE (a forecast that blows up must never win), with Optuna within 1.5 s per "
    "family rather than a grid; it measures in a Lyapunov time estimated from the training series alone (the "
    "data are all a user would have); a forecast that blows up scores 200 on every point it did not reach. "
    "**auto** tunes NVAR, the ESN, parroting and analogues and forecasts with the best validation score, never "
    "looking at the test series.")
MULTIVARIATE_PROTOCOL = (
    "**Protocol, as published (Gilpin 2023):** every coordinate, 100 points per period; every model is fitted on "
    "1000 points and forecasts the next 200 in one free run; sMAPE (0–200) over every coordinate and time, in raw "
    "units; hyper-parameters tuned on a separate series from another initial condition. The paper's ESN and NVAR "
    "are reservoirpy's (its NVAR has linear taps only), its neural ODE torchdiffeq's, the other 12 darts models.  \n"
    "**Where the lab differs, and why:** the benchmark's series did not survive (only their 200-point targets), "
    "so the lab integrates its own: the same systems at their catalog parameters, a train and a test series of "
    "1200 points, the test series 100 periods further along the orbit. A system's row is the same protocol on "
    "another stretch of the same attractor, so compare the distributions and each model's **median rank** (1: a "
    "system's best of every model shown), not one system's number against the paper's. Tuning and auto as in "
    "the univariate rerun.")


class PublishedBenchmark(param.Parameterized):
    """The comparison at one granularity: a headline, the sMAPE distribution per model, the
    per-model summary and the sortable table of systems."""

    active = param.Boolean(default=False, doc="the sub-tab is shown")

    def __init__(self, **params):
        super().__init__(**params)
        self.labs = {name: published.lab_results(path) for name, path in RESULTS.items()}
        self.granularity = pn.widgets.RadioButtonGroup(options=list(SETTINGS), value=next(iter(SETTINGS)),
                                                       css_classes=["published-granularity"])
        pn.bind(lambda _: on_session_loop(self._draw), self.granularity, watch=True)
        self.note = pn.pane.Markdown("", css_classes=["published-note"], sizing_mode="stretch_width")
        self.protocol = pn.pane.Markdown(PROTOCOL, css_classes=["published-protocol"], sizing_mode="stretch_width")
        self.boxes_source = ColumnDataSource({c: [] for c in ("model", "q1", "q2", "q3", "low", "high", "n",
                                                               "colour")})
        self.outlier_source = ColumnDataSource({"model": [], "smape": [], "system": []})
        plot = figure(width=900, height=320, x_range=FactorRange(), y_range=Range1d(0, 200),
                      tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="right",
                      title="sMAPE across systems (0–200, lower is better); lab in orange, published in grey",
                      y_axis_label="sMAPE")
        draw_boxes(plot, self.boxes_source, self.outlier_source, "model", "smape", label="sMAPE", fill="colour",
                   digits=1, dot_size=3, dot_alpha=0.6)
        plot.xaxis.major_label_orientation = 0.8
        self.boxes = pn.pane.Bokeh(plot, css_classes=["published-boxes"])
        self.models = pn.pane.DataFrame(pd.DataFrame(), index=False, na_rep="-", css_classes=["published-models"])
        self.table = pn.widgets.Tabulator(pd.DataFrame(), show_index=False, disabled=True, height=420,
                                          frozen_columns=["system"], sizing_mode="stretch_width",
                                          css_classes=["published-table"], layout="fit_data_table",
                                          pagination=None)
        self.comparison: published.Comparison | None = None

    def prepare(self) -> None:
        """Drawn before its models are sent: they arrive with their data."""
        self._draw()

    def _draw(self) -> None:
        benchmark, granularity = SETTINGS[self.granularity.value]
        lab = self.labs[benchmark]
        self.protocol.object = PROTOCOL if benchmark == "univariate" else MULTIVARIATE_PROTOCOL
        try:
            table, missing = (published.published(granularity) if benchmark == "univariate"
                              else published.published_multivariate()), ""
        except published.PublishedDataMissing as exc:
            table, missing = {}, str(exc)
        if not len(lab):
            self.note.object = (f"*The lab's {benchmark} results are not built: run `python -m benchmarks."
                                f"{benchmark} --ship`" + (" (and `--granularity 15 --ship`)" if benchmark == "univariate"
                                                          else "") + ".*")
            return
        view = self.comparison = published.compare(lab, table, granularity)
        order = list(view.models.sort_values("median sMAPE").model)
        rows = view.rows.rename(columns={"model": "family", "smape": "vpt"})
        boxes, outliers = sweep.box_stats(rows, order)
        source = dict(zip(view.models.model, view.models.source))
        names = boxes.pop("family")
        self.boxes.object.x_range.factors = names
        self.boxes_source.data = {"model": names, **boxes, "colour": [COLOURS[source[m]] for m in names]}
        self.outlier_source.data = {"model": outliers["family"], "smape": outliers["vpt"],
                                    "system": outliers["system"]}
        shown = view.models.copy()
        shown["auto beats it on"] = [f"{v:.0%}" if np.isfinite(v) else "" for v in shown["auto beats it on"]]
        self.models.object = shown.round(1)
        self.table.value = view.systems.round(1)
        self.note.object = self._headline(view, benchmark, granularity, missing)

    @staticmethod
    def _headline(view: published.Comparison, benchmark: str, granularity: int, missing: str) -> str:
        figures = view.auto
        setting = (f"at {granularity} points per period" if benchmark == "univariate"
                   else "of the multivariate benchmark (the lab's own series)")
        if missing:
            return f"*{figures['systems']} systems {setting}: the lab's own columns only: {plain(missing)}.*"
        chosen = view.systems["auto chose"].value_counts()
        ranks = view.models.set_index("model")["median rank"]
        rank = (f"; median rank **{ranks['auto']:g}** of {len(ranks)} models (NBEATS {ranks['NBEATS']:g})"
                if "auto" in ranks and "NBEATS" in ranks else "")
        return (f"**{figures['systems']} systems {setting}.** auto: median sMAPE "
                f"**{figures['auto_median']:.1f}** against NBEATS's {figures['nbeats_median']:.1f} (the best "
                f"published model overall){rank}; better than NBEATS on **{figures['beats_nbeats']:.0%}** of the "
                f"systems and than each system's best published model on **{figures['beats_best']:.0%}**; "
                f"{figures.get('blow_ups', 0)} blow-ups. auto chose "
                + ", ".join(f"{plain(f)} on {n}" for f, n in chosen.items() if f) + ". Click a header to sort.")

    def main(self) -> pn.Column:
        return pn.Column(self.granularity, self.note, self.boxes,
                         "#### Per model: median sMAPE, median rank, and on what share of systems auto beats it", self.models,
                         "#### Per system: sMAPE of the lab's families and of the published models", self.table,
                         self.protocol, sizing_mode="stretch_width")
