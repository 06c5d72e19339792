"""Zoomable raster views: a shaded ``core.pictures.raster.Raster`` drawn by a plain Bokeh figure.

The images arrive aggregated and shaded next to the data (a Dask worker), so the page only maps
colour levels to colours: one byte a pixel (``core.pictures.raster.Raster.index``) and the image's palette,
a quarter of what RGBA pixels weigh on the wire and in every student's browser. A new image
replaces the columns of the figure's image source: no HoloViews
re-render and no recomputation of the Bokeh document's model graph (measured on the explorer:
HoloViews' update cost ~20 ms a plot plus ~50 ms of graph recomputation, Bokeh's column update
about a millisecond). A pan or zoom ends in a ``RangesUpdate`` event; the view asks its ``zoom``
for the new window at full resolution — a job next to the data, off the event loop — and swaps
the answer in when it arrives, if the view still shows the same data.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np
import panel as pn
import param
from bokeh.events import RangesUpdate
from bokeh.models import (
    AllLabels,
    BasicTicker,
    BasicTickFormatter,
    BoxZoomTool,
    ColumnDataSource,
    Image,
    LinearAxis,
    LinearColorMapper,
    PanTool,
    Plot,
    Range1d,
    ResetTool,
    SaveTool,
    Title,
    Toolbar,
    WheelZoomTool,
)

from core.pictures.raster import LEVELS, Raster, palette

BACKGROUND = "#0b0b12"
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
TOOL_TYPES = {"pan": PanTool, "wheel_zoom": WheelZoomTool, "box_zoom": BoxZoomTool, "reset": ResetTool,
              "save": SaveTool}


@contextlib.contextmanager
def one_update(holoviews: bool = True):
    """Several plot updates sent as one message. With ``holoviews`` (panes re-rendered by
    HoloViews) also one recomputation of the Bokeh document's model graph instead of one per
    plot (each costs ~50 ms on the full page); raster views need none (they change columns only)."""
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        yield
        return
    with contextlib.ExitStack() as stack:
        if holoviews:
            stack.enter_context(doc.models.freeze())
        stack.enter_context(pn.io.hold(doc))
        yield


def colour_mapper(colours) -> LinearColorMapper:
    """Colour levels 1 … 255 through a palette; level 0 (an empty pixel) transparent. Views of
    one colour map on a page share one: Bokeh checks all 255 colours of a palette each time one is
    set, 2 ms a mapper (the explorer's seven views have three colour maps)."""
    return LinearColorMapper(palette=list(colours), low=0.5, high=LEVELS + 0.5, low_color="#00000000")


class RasterView(param.Parameterized):
    """A zoomable shaded image; ``show`` swaps data in, ``zoom(extent, done)`` re-aggregates."""

    render_time = param.Number(default=0.0, doc="seconds of the last aggregation and shading")

    def __init__(self, xlabel="x", ylabel="y", pixels: tuple[int, int] = (520, 420), x_range: Range1d | None = None,
                 title: str = "",
                 axes: bool = True, cmap: str = "fire", tools: str = TOOLS,
                 colours: LinearColorMapper | None = None, **params):
        super().__init__(**params)
        self.source = ColumnDataSource({"image": [np.zeros((1, 1), np.uint8)], "x": [0.0], "y": [0.0],
                                        "dw": [1.0], "dh": [1.0]})
        # ``colours``: a colour mapper the page's views of one colour map share (``colour_mapper``)
        self.colours = colours or colour_mapper(palette(cmap))
        # only the models an image needs: a plain ``Plot`` (``figure`` parses tool names and axis
        # types on every call), two axes without grids (an image hides them), one glyph
        # (``figure.image`` adds a selection and a muted copy): 35 → 25 models a view, 17 → 12 ms to
        # build one (10 ms with a shared colour mapper); the explorer's page has six (benchmarks/page.py)
        tool_list = [TOOL_TYPES[name]() for name in tools.split(",") if name]
        toolbar = Toolbar(tools=tool_list, active_scroll=next(
            (tool for tool in tool_list if isinstance(tool, WheelZoomTool)), "auto"))
        width, height = pixels  # (width, height), as every size in core.pictures
        self.figure = Plot(frame_width=width, frame_height=height, x_range=x_range or Range1d(0, 1),
                           y_range=Range1d(0, 1), toolbar=toolbar, toolbar_location="right",
                           background_fill_color=BACKGROUND, output_backend="canvas", title=Title(text=title))
        # both axes share one ticker, formatter and label policy (stateless settings): six models fewer
        shared = dict(ticker=BasicTicker(), formatter=BasicTickFormatter(), major_label_policy=AllLabels(),
                      visible=axes)
        self.figure.add_layout(LinearAxis(axis_label=xlabel, **shared), "below")
        self.figure.add_layout(LinearAxis(axis_label=ylabel, **shared), "left")
        self.glyph = Image(image="image", x="x", y="y", dw="dw", dh="dh", color_mapper=self.colours)
        self.figure.add_glyph(self.source, self.glyph)
        self.figure.on_event(RangesUpdate, self._on_ranges)
        self._extent = (0.0, 1.0, 0.0, 1.0)  # of the data shown in full
        self._zoom: Callable | None = None
        self._generation = 0  # bumped by show: a zoom of older data is dropped

    def show(self, raster: Raster, labels: tuple[str, str], zoom: Callable | None = None, title: str | None = None,
             whole: tuple[float, float, float, float] | None = None) -> None:
        """Swap in a new image (call on the session's loop) and set the view to it; Reset goes
        back to ``whole`` where the image shows only a window of the data (else to the image).

        ``zoom(extent, done)`` must compute the same data's image over ``extent`` and later call
        ``done(raster)`` on the loop."""
        self._generation += 1
        self._extent, self._zoom = tuple(raster.extent), zoom
        self._draw(raster)
        x0, x1, y0, y1 = raster.extent
        w0, w1, v0, v1 = whole or raster.extent
        xr, yr = self.figure.x_range, self.figure.y_range
        xr.update(start=x0, end=x1, reset_start=w0, reset_end=w1)
        yr.update(start=y0, end=y1, reset_start=v0, reset_end=v1)
        if title is not None and self.figure.title.text != title:
            self.figure.title.text = title
        xlabel, ylabel = labels
        if self.figure.xaxis[0].axis_label != xlabel:
            self.figure.xaxis.axis_label = xlabel
        if self.figure.yaxis[0].axis_label != ylabel:
            self.figure.yaxis.axis_label = ylabel

    def forget_data(self) -> None:
        """Let go of what ``zoom`` reaches (the session closed); the image stays as drawn."""
        self._zoom = None
        self._generation += 1

    def _draw(self, raster: Raster) -> None:
        x0, x1, y0, y1 = raster.extent
        if tuple(self.colours.palette) != raster.palette:  # a new colour map, for this view alone
            self.colours = self.glyph.color_mapper = colour_mapper(raster.palette)
        self.source.data = {"image": [raster.index], "x": [x0], "y": [y0], "dw": [x1 - x0], "dh": [y1 - y0]}
        self.render_time = raster.seconds

    def _on_ranges(self, event) -> None:
        extent = (event.x0, event.x1, event.y0, event.y1)
        if self._zoom is None or None in extent or np.allclose(extent, self._extent, rtol=1e-6):
            return
        generation = self._generation

        def done(raster: Raster) -> None:
            if generation == self._generation:
                self._draw(raster)

        self._zoom(extent, done)

    def panel(self, css_classes: list[str] | None = None) -> pn.pane.Bokeh:
        return pn.pane.Bokeh(self.figure, css_classes=css_classes or [])
