"""The Leaderboard's "Long horizons" sub-tab: the long-horizon setting of Gilpin (2023) — fitted on
1000 points, 5000 forecast — as each family's median error against the horizon in Lyapunov times,
with the per-family summary (``core.forecasting.long_horizon``; the rows are shipped in
``assets/long_horizon.parquet`` by ``python -m benchmarks.long_horizon --ship``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, HoverTool, Range1d, Span
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from core.forecasting import long_horizon

FLOOR, CEILING = 1e-4, 10.0  # the error axis: a blown-up (infinite) median is drawn at the top
HEADERS = {"median_horizon": "median horizon (Λt)", "median_vpt": "median VPT (Λt)",
           "upper_quartile_vpt": "VPT upper quartile", "valid_to_end": "valid to the end (share)",
           "blow_ups": "blow-ups", "errors": "failed", "median_smape": "median sMAPE"}
PROTOCOL = (
    "**The setting (Gilpin 2023's headline task):** every coordinate at 100 points per period; each family is tuned "
    "on a separate 1200-point series (validated on its last 200 points), fitted on the first 1000 points of a test "
    "series and forecasts the next 5000 in one free run (50 periods; the paper counted a median of 45 Lyapunov times "
    "over its systems with dysts's λ_max, the lab counts in its own λ1). The error is normalised by each coordinate's standard deviation on the fitted data; "
    "two independent points of the attractor are about √2 apart on that scale (dashed), so a forecast that lost the "
    "trajectory but stays on the attractor levels off there. VPT (dotted line: ε = 0.5) is read from each curve. "
    "The median at a time counts the systems whose horizon reaches it (cut where fewer than "
    f"{long_horizon.MIN_SYSTEMS} do); a blown-up forecast counts as an infinite error. The paper's per-system "
    "results of this task were never published, so the lab's rerun stands alone here.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class LongHorizons(param.Parameterized):
    """The median curves and the per-family table."""

    active = param.Boolean(default=False, doc="the sub-tab is shown")

    def __init__(self, frame: pd.DataFrame | None = None, **params):
        super().__init__(**params)
        self.frame = long_horizon.read() if frame is None else frame
        self.lines = ColumnDataSource({"xs": [], "ys": [], "family": [], "colour": []})
        self.marks = ColumnDataSource({"t": [], "error": [], "family": [], "colour": []})
        plot = figure(width=760, height=380, y_axis_type="log", y_range=Range1d(FLOOR, CEILING),
                      x_range=Range1d(0, 1), tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="right",
                      title="median forecast error against the horizon (fitted on 1000 points, 5000 forecast)",
                      x_axis_label="horizon (Lyapunov times)", y_axis_label="normalised error")
        plot.multi_line("xs", "ys", source=self.lines, line_color="colour", line_width=2, legend_field="family")
        dots = plot.scatter("t", "error", source=self.marks, color="colour", size=3, alpha=0)
        plot.add_tools(HoverTool(renderers=[dots], tooltips=[("family", "@family"), ("horizon", "@t{0.0} Λt"),
                                                             ("median error", "@error{0.000}")]))
        for level, dash in ((long_horizon.EPS, "dotted"), (long_horizon.SATURATION, "dashed")):
            plot.add_layout(Span(location=level, dimension="width", line_dash=dash, line_color="#495057"))
        plot.add_layout(plot.legend[0], "right")
        self.plot = plot
        self.figure = pn.pane.Bokeh(plot, css_classes=["long-horizon-curves"])
        self.note = pn.pane.Markdown("", css_classes=["long-horizon-note"], sizing_mode="stretch_width")
        self.summary = pn.pane.DataFrame(pd.DataFrame(), index=False, na_rep="-", css_classes=["long-horizon-summary"])

    def prepare(self) -> None:
        """Drawn before its models are sent: they arrive with their data."""
        self._draw()

    def _draw(self) -> None:
        frame = self.frame
        if not len(frame):
            self.note.object = "*The long-horizon rows are not built: run `python -m benchmarks.long_horizon --ship`.*"
            return
        summary = long_horizon.summary(frame)
        order = list(summary.family)
        colours = {f: Category10_10[i % 10] for i, f in enumerate(sorted(order))}
        curves = long_horizon.median_curves(frame)
        shown = [f for f in order if f in curves]
        ys = [np.clip(np.nan_to_num(curves[f][1], posinf=CEILING), FLOOR, CEILING) for f in shown]
        self.lines.data = {"xs": [curves[f][0] for f in shown], "ys": ys, "family": shown,
                           "colour": [colours[f] for f in shown]}
        self.marks.data = {"t": np.concatenate([curves[f][0] for f in shown]) if shown else [],
                           "error": np.concatenate(ys) if shown else [],
                           "family": [f for f in shown for _ in curves[f][0]],
                           "colour": [colours[f] for f in shown for _ in curves[f][0]]}
        self.plot.x_range.end = max((float(curves[f][0][-1]) for f in shown), default=1.0)
        headers = HEADERS | {f"error_at_{t:g}": f"error at {t:g} Λt" for t in long_horizon.CHECKPOINTS}
        self.summary.object = summary.round(3).rename(columns=headers)
        best = summary.iloc[0]
        self.note.object = (
            f"**{frame.system.nunique()} chaotic flows × {len(order)} families.** Forecast horizon: median "
            f"{best.median_horizon:.0f} Lyapunov times. Longest median VPT: **{best.family}** at "
            f"{best.median_vpt:.1f} Lyapunov times (upper quartile {best.upper_quartile_vpt:.1f}); "
            f"{_count(int(summary.blow_ups.sum()), 'forecast')} blew up.")

    def main(self) -> pn.Column:
        return pn.Column(self.note, self.figure, "#### Per family (VPT and horizons in Lyapunov times)", self.summary,
                         pn.pane.Markdown(PROTOCOL, sizing_mode="stretch_width"), sizing_mode="stretch_width")
