"""Datashader rendering shared by the dashboards: projections and zoomable raster views.

A ``RasterView`` owns one ``hv.DynamicMap`` fed by a ``RangeXY`` stream: every pan or zoom
re-aggregates the full data at the new range with Datashader and sends only the image, so
millions of points stay interactive. New data is aggregated off the event loop (``prepare``) and
swapped in without rebuilding the plot (``show``): Bokeh keeps the figure, ranges reset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import datashader as ds
import datashader.transfer_functions as tf
import holoviews as hv
import numpy as np
import pandas as pd
import param


def rotation(azimuth: float, elevation: float) -> np.ndarray:
    """Orthographic view matrix (2 x 3): screen axes for a camera at (azimuth, elevation) degrees."""
    az, el = np.deg2rad(azimuth), np.deg2rad(elevation)
    right = np.array([np.cos(az), np.sin(az), 0.0])
    up = np.array([-np.sin(el) * np.sin(az), np.sin(el) * np.cos(az), np.cos(el)])
    return np.stack([right, up])


def project(x: np.ndarray, coords: tuple[int, ...], azimuth: float = 0.0, elevation: float = 0.0) -> np.ndarray:
    """Screen coordinates ``(n, 2)`` of ``x[:, coords]``; three coordinates are rotated, two shown as is."""
    sel = x[:, list(coords)]
    if sel.shape[1] == 3:
        centred = sel - np.nanmean(sel, axis=0)
        return centred @ rotation(azimuth, elevation).T
    return sel


@dataclass(frozen=True)
class Layer:
    """Data for one view, aggregated at its full extent: built on any thread, shown on the loop."""

    frame: pd.DataFrame
    extent: tuple[float, float, float, float]
    lines: bool
    labels: tuple[str, str]
    image: tuple[np.ndarray, np.ndarray, np.ndarray]
    render_time: float


def density(frame: pd.DataFrame, extent, width: int, height: int, lines: bool, spread: int = 0):
    """Count of ``frame``'s points (or line segments) per pixel over ``extent``; empty pixels NaN.

    Returns ``(xs, ys, counts)`` ready for ``hv.Image``.
    """
    x0, x1, y0, y1 = extent
    canvas = ds.Canvas(plot_width=width, plot_height=height, x_range=(x0, x1), y_range=(y0, y1))
    if len(frame) and lines:
        agg = canvas.line(frame, "x", "y", agg=ds.count())
    else:
        agg = canvas.points(frame, "x", "y", agg=ds.count())
    if spread:
        agg = tf.spread(agg, px=spread, how="add")
    data = agg.data.astype(float)
    if data.any():
        data[data == 0] = np.nan  # empty pixels show the background
    return agg.coords["x"].values, agg.coords["y"].values, data


class RasterView(param.Parameterized):
    """A zoomable Datashader image of a line or point cloud.

    ``prepare`` does the heavy aggregation (call it off the event loop); ``show`` swaps the result
    in. Pans and zooms re-aggregate at the new range in the plot's callback.
    """

    version = param.Integer(default=0, doc="bumped when new data arrives")
    render_time = param.Number(default=0.0, doc="seconds of the last aggregation")

    def __init__(self, dims=("x", "y"), xlabel="x", ylabel="y", lines=True, height=420, width=520, cmap="fire",
                 **params):
        super().__init__(**params)
        # dimension names decide which plots Bokeh links: give each view its own, share "t" only
        self.dims = dims
        self.height, self.width, self.cmap = height, width, cmap
        empty = pd.DataFrame({"x": np.zeros(0), "y": np.zeros(0)})
        extent = (0.0, 1.0, 0.0, 1.0)
        self._layer = Layer(empty, extent, lines, (xlabel, ylabel), self._aggregate(empty, lines, extent)[:3], 0.0)
        self._seen_version = -1
        self.range_stream = hv.streams.RangeXY()
        self.dmap = hv.DynamicMap(self._image, streams=[self.range_stream, hv.streams.Params(self, ["version"])])

    def prepare(self, x: np.ndarray, y: np.ndarray, lines: bool, labels: tuple[str, str]) -> Layer:
        """Aggregate new data (1-D arrays of equal length; NaN breaks a line) at its full extent."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        extent = (0.0, 1.0, 0.0, 1.0)
        finite = np.isfinite(x) & np.isfinite(y)
        if finite.any():
            x0, x1 = float(x[finite].min()), float(x[finite].max())
            y0, y1 = float(y[finite].min()), float(y[finite].max())
            pad_x, pad_y = 0.02 * (x1 - x0 or 1.0), 0.02 * (y1 - y0 or 1.0)
            extent = (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y)
        frame = pd.DataFrame({"x": x, "y": y}, copy=False)
        *image, seconds = self._aggregate(frame, lines, extent)
        return Layer(frame, extent, lines, tuple(labels), tuple(image), seconds)

    def show(self, layer: Layer) -> None:
        self._layer = layer
        self.render_time = layer.render_time
        self.version += 1

    def update(self, x, y, lines: bool = True, labels=("x", "y")) -> None:
        self.show(self.prepare(x, y, lines, labels))

    def _aggregate(self, frame, lines, extent):
        start = time.perf_counter()
        xs, ys, data = density(frame, extent, self.width, self.height, lines, spread=1)
        return xs, ys, data, time.perf_counter() - start

    def _image(self, x_range=None, y_range=None, version=0):
        layer = self._layer
        image = layer.image
        zoomed = version == self._seen_version and x_range is not None and y_range is not None
        if zoomed and not np.allclose((*x_range, *y_range), np.array(layer.extent)[[0, 1, 2, 3]], rtol=1e-6):
            *image, seconds = self._aggregate(layer.frame, layer.lines, (*x_range, *y_range))
            self.render_time = seconds
        self._seen_version = version
        xlabel, ylabel = layer.labels
        return hv.Image(tuple(image), kdims=list(self.dims), vdims=["count"]).opts(
            cmap=self.cmap,
            cnorm="eq_hist",
            bgcolor="#0b0b12",
            frame_width=self.width,
            frame_height=self.height,
            framewise=True,
            tools=["hover"],
            active_tools=["wheel_zoom"],
            xlabel=xlabel,
            ylabel=ylabel,
        )

    def panel(self):
        return self.dmap
