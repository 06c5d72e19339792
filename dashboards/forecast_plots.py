"""The forecast tab's line plots as plain Bokeh figures: a result replaces their columns.

Not HoloViews panes fed by Pipes: each update re-rendered the pane on whichever thread Panel ran
it, could swap models the browser was still patching (``UnknownReferenceError`` in the console),
and showing or hiding one pushed layout properties a Bokeh figure lacks (a traceback per
result). Column updates and ``figure.visible`` are plain Bokeh properties: nothing is replaced.
Log axes get explicit ranges from their data: BokehJS left to range an empty log axis may never
finish its layout (seen on the leaderboard).
"""

from __future__ import annotations

import numpy as np
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Range1d, Span
from bokeh.plotting import figure

TRUTH, FORECAST, REFERENCE = "#1f77b4", "#ff7f0e", "grey"
MARK = "#d9480f"
TOOLS = "pan,wheel_zoom,box_zoom,reset,save,hover"
FLOOR = 1e-12  # a loss or error of exactly 0 on a log axis


def log_span(*arrays, default=(1e-3, 1.0)) -> tuple[float, float]:
    """A log axis's range around the positive finite values of ``arrays``, with a margin."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays]) if arrays else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return default
    return float(values.min()) / 1.5, float(values.max()) * 1.5


class LossPlot:
    """Training and validation loss per epoch, on a log scale."""

    def __init__(self):
        self.source = ColumnDataSource({"epoch": [], "loss": [], "val_loss": []})
        self.figure = figure(width=480, height=220, y_axis_type="log", y_range=Range1d(*log_span()), tools=TOOLS,
                             x_axis_label="epoch", y_axis_label="loss")
        self.figure.line("epoch", "loss", source=self.source, color=TRUTH, line_width=2, legend_label="training")
        self.figure.line("epoch", "val_loss", source=self.source, color=FORECAST, line_width=2,
                         legend_label="validation")
        self.figure.legend.location = "top_right"

    def show(self, rows: np.ndarray) -> None:
        """``rows``: (epoch, training loss, validation loss) per epoch."""
        rows = np.asarray(rows, dtype=float).reshape(-1, 3)
        loss, val = np.maximum(rows[:, 1], FLOOR), np.maximum(rows[:, 2], FLOOR)
        self.source.data = {"epoch": rows[:, 0], "loss": loss, "val_loss": val}
        self.figure.y_range.update(**dict(zip(("start", "end"), log_span(loss, val))))


class TrialsPlot:
    """The validation score of each tuning trial, and the best so far."""

    def __init__(self):
        self.source = ColumnDataSource({"trial": [], "score": [], "best": []})
        self.figure = figure(width=480, height=220, tools=TOOLS, x_axis_label="trial",
                             y_axis_label="validation score (Λt)")
        self.figure.scatter("trial", "score", source=self.source, size=5, color="#4c6ef5", legend_label="trial")
        self.figure.line("trial", "best", source=self.source, color=MARK, line_width=2, legend_label="best so far")
        self.figure.legend.location = "bottom_right"

    def show(self, rows: np.ndarray) -> None:
        """``rows``: (trial, score) per finished trial."""
        rows = np.asarray(rows, dtype=float).reshape(-1, 2)
        best = np.fmax.accumulate(rows[:, 1]) if len(rows) else rows[:, 1]
        self.source.data = {"trial": rows[:, 0], "score": rows[:, 1], "best": best}


class SeriesPlots:
    """Each coordinate of the truth and the forecast on a Lyapunov-time axis, the VPT marked; as
    many figures as the system has coordinates (three at most), in one Bokeh column."""

    def __init__(self, count: int = 3):
        self.truth = [ColumnDataSource({"t": [], "y": []}) for _ in range(count)]
        self.forecast = [ColumnDataSource({"t": [], "y": []}) for _ in range(count)]
        self.vpt = [Span(location=0.0, dimension="height", line_color=MARK, line_width=2) for _ in range(count)]
        self.figures = []
        for i in range(count):
            plot = figure(width=480, height=150, tools=TOOLS, x_axis_label="Lyapunov times", y_axis_label=f"x{i}")
            truth = dict(legend_label="truth") if i == 0 else {}
            forecast = dict(legend_label="forecast") if i == 0 else {}
            plot.line("t", "y", source=self.truth[i], color=TRUTH, line_width=2, **truth)
            plot.line("t", "y", source=self.forecast[i], color=FORECAST, line_width=2, line_dash="dashed", **forecast)
            plot.add_layout(self.vpt[i])
            if i == 0:
                plot.legend.location = "top_left"
            self.figures.append(plot)
        self.layout = column(*self.figures)

    def show(self, t: np.ndarray, truth: np.ndarray, forecast: np.ndarray, vpt: float) -> None:
        for i, plot in enumerate(self.figures):
            shown = i < truth.shape[1]
            if plot.visible != shown:
                plot.visible = shown
            if shown:
                self.truth[i].data = {"t": t, "y": truth[:, i]}
                self.forecast[i].data = {"t": t[: len(forecast)], "y": forecast[:, i]}
                self.vpt[i].location = float(vpt)


class GrowthPlot:
    """The forecast's normalised error against e^{λ1 t} and the threshold ε, on a log scale."""

    def __init__(self):
        self.source = ColumnDataSource({"t": [], "err": [], "reference": []})
        self.eps = Span(location=0.5, dimension="width", line_color=MARK, line_width=2)
        self.figure = figure(width=480, height=460, y_axis_type="log", y_range=Range1d(*log_span()), tools=TOOLS,
                             x_axis_label="Lyapunov times", y_axis_label="normalised error")
        self.figure.line("t", "err", source=self.source, color=TRUTH, line_width=2, legend_label="model")
        self.figure.line("t", "reference", source=self.source, color=REFERENCE, line_width=2, line_dash="dotted",
                         legend_label="e^{λ1 t}")
        self.figure.add_layout(self.eps)
        self.figure.legend.location = "bottom_right"

    def show(self, t: np.ndarray, err: np.ndarray, reference: np.ndarray, eps: float) -> None:
        self.source.data = {"t": t, "err": err, "reference": reference}
        self.eps.location = float(eps)
        self.figure.y_range.update(**dict(zip(("start", "end"), log_span(err, reference, [eps]))))
