"""Tukey box plots drawn with plain Bokeh glyphs, one box per category, from the columns of
``core.forecasting.sweep.box_stats``: the Leaderboard's VPT per family and the published
benchmark's sMAPE per model."""

from __future__ import annotations

from bokeh.models import ColumnDataSource, HoverTool


def draw_boxes(plot, boxes: ColumnDataSource, outliers: ColumnDataSource, category: str, value: str, *,
               label: str, fill: str, digits: int = 2, dot_size: int = 4, dot_alpha: float = 0.7) -> None:
    """Whiskers, the interquartile box filled with ``fill`` (a colour, or a column of ``boxes``),
    the median as a bar, the points beyond the whiskers, and a hover on each box and point."""
    plot.segment(category, "low", category, "high", source=boxes, line_color="black")
    bars = plot.vbar(category, 0.7, "q1", "q3", source=boxes, fill_color=fill, line_color="black")
    plot.rect(category, "q2", 0.7, 0.0001, source=boxes, line_color="black", line_width=2, fill_alpha=0)
    dots = plot.scatter(category, value, source=outliers, size=dot_size, color="#868e96", alpha=dot_alpha)
    number = "{0." + "0" * digits + "}"
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[(category, f"@{category}"), ("median", f"@q2{number}"),
                                                         ("quartiles", f"@q1{number} – @q3{number}"),
                                                         ("systems", "@n")]),
                   HoverTool(renderers=[dots], tooltips=[("system", "@system"), (label, f"@{value}{number}")]))
