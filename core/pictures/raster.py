"""Datashader aggregation as plain arrays: projections of a state space and density images.

Pure numerics (numpy, pandas, Datashader), so it runs wherever the data is: on a Dask worker next
to a trajectory, or in the server for a zoom. The dashboards turn a ``Raster`` into a plot.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace

import colorcet
import datashader as ds
import datashader.transfer_functions as tf
import numpy as np
import pandas as pd


def rotation(azimuth: float, elevation: float) -> np.ndarray:
    """Orthographic view matrix (2 x 3): screen axes for a camera at (azimuth, elevation) degrees."""
    az, el = np.deg2rad(azimuth), np.deg2rad(elevation)
    right = np.array([np.cos(az), np.sin(az), 0.0])
    up = np.array([-np.sin(el) * np.sin(az), np.sin(el) * np.cos(az), np.cos(el)])
    return np.stack([right, up])


def project(x: np.ndarray, coords: tuple[int, ...], azimuth: float = 0.0, elevation: float = 0.0,
            centre: np.ndarray | None = None) -> np.ndarray:
    """Screen coordinates ``(n, 2)`` of ``x[:, coords]``; three coordinates are rotated about
    ``centre`` (default: their mean), two shown as is."""
    sel = x[:, list(coords)]
    if sel.shape[1] == 3:
        centred = sel - (np.nanmean(sel, axis=0) if centre is None else centre)
        return centred @ rotation(azimuth, elevation).T
    return sel


def picture(x: np.ndarray, coords: tuple[int, ...], azimuth: float = 0.0, elevation: float = 0.0,
            centre: np.ndarray | None = None) -> np.ndarray:
    """Screen coordinates ``(n, 2)`` of a state space: ``project`` for two or three coordinates,
    the return map ``x[k+1]`` against ``x[k]`` (``n - 1`` points) for a one-dimensional one."""
    if x.shape[1] == 1:
        return np.stack([x[:-1, 0], x[1:, 0]], axis=1)
    return project(x, coords, azimuth, elevation, centre)


def padded_extent(x: np.ndarray, y: np.ndarray, pad: float = 0.02) -> tuple[float, float, float, float]:
    """The finite points' bounding box widened by ``pad`` of its size; the unit square if none."""
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return 0.0, 1.0, 0.0, 1.0
    x0, x1 = float(x[finite].min()), float(x[finite].max())
    y0, y1 = float(y[finite].min()), float(y[finite].max())
    px, py = pad * (x1 - x0 or 1.0), pad * (y1 - y0 or 1.0)
    return x0 - px, x1 + px, y0 - py, y1 + py


LEVELS = 255  # colour levels of a shaded image: 1 … 255, and 0 for an empty pixel


@dataclass(frozen=True)
class Raster:
    """Counts per pixel (float32, NaN where empty) over ``extent``; ``xs``/``ys`` are pixel centres.

    A shaded raster carries ``index`` (height x width, uint8: the colour level 1 … 255 of each
    pixel, 0 where empty) and its ``palette`` (255 ``#rrggbb`` colours, one per level) instead of
    counts: a quarter of the bytes of RGBA, and the page's colour mapper paints the same pixels.
    ``rgba()`` gives the colours themselves."""

    xs: np.ndarray
    ys: np.ndarray
    counts: np.ndarray | None
    extent: tuple[float, float, float, float]
    seconds: float  # the aggregation's (and shading's) wall time
    index: np.ndarray | None = None
    palette: tuple[str, ...] | None = None

    def rgba(self) -> np.ndarray:
        """The shaded image as Bokeh's ``image_rgba`` draws it (uint32 RGBA, 0 where empty)."""
        table = np.zeros(LEVELS + 1, dtype=np.uint32)
        table[1:] = [0xFF000000 | int(c[5:7] + c[3:5] + c[1:3], 16) for c in self.palette]  # little-endian RGBA
        return table[self.index]


@functools.lru_cache(maxsize=32)
def palette(cmap: str) -> tuple[str, ...]:
    """The colours of levels 1 … 255: colorcet's ``cmap`` (``_r``: reversed) over the levels, as
    Datashader spreads a colour map over its span (opaque: Datashader varies no alpha for a map)."""
    colours = colorcet.palette[cmap.removesuffix("_r")]
    colours = colours[::-1] if cmap.endswith("_r") else colours
    return tuple(colours[i] for i in np.rint(np.linspace(0, len(colours) - 1, LEVELS)).astype(int))


# Datashader shades with this two-colour map: its red channel is then the level itself, and the
# page maps levels to colours (the mapping is Datashader's own: eq_hist or linear over a span)
_LEVEL_RAMP = ["#010000", f"#{LEVELS:02x}0000"]


def _levels(image: Raster, cmap: str, start: float, **how) -> Raster:
    import xarray as xr

    agg = xr.DataArray(image.counts, coords={"y": image.ys, "x": image.xs}, dims=("y", "x"))
    rgba = np.ascontiguousarray(tf.shade(agg, cmap=_LEVEL_RAMP, **how).data, dtype=np.uint32)
    index = np.where(rgba >> 24 == 0, 0, rgba & 0xFF).astype(np.uint8)  # transparent: empty
    return replace(image, counts=None, index=index, palette=palette(cmap),
                   seconds=image.seconds + time.perf_counter() - start)


def shade(image: Raster, cmap: str) -> Raster:
    """Colour levels by histogram equalisation (``eq_hist``) of the counts, empty pixels level 0.

    Done where the data is rather than in the browser: BokehJS's own eq_hist sorts every pixel
    of every image on the page's thread, 0.3 s for the explorer's five images on this machine.
    """
    start = time.perf_counter()
    if not np.any(image.counts > 0):  # nothing drawn (every count 0): nothing to equalise
        return replace(image, counts=None, index=np.zeros(image.counts.shape, np.uint8), palette=palette(cmap))
    return replace(image, counts=None, index=equalised_levels(image.counts), palette=palette(cmap),
                   seconds=image.seconds + time.perf_counter() - start)


def equalised_levels(counts: np.ndarray) -> np.ndarray:
    """The levels ``shade`` gives (uint8, 0 where NaN): ``tf.shade(how="eq_hist")``'s own steps
    (offset, Datashader's ``eq_hist``, the span of what is drawn, the ramp's interpolation) for
    the one channel that holds the level, where ``tf.shade`` interpolates all four of RGBA and
    stacks them: a third of a redraw's shading time on the worker. ``_levels`` is the reference
    (``tests/core/pictures/test_raster.py`` compares them exactly)."""
    data = np.array(counts)  # a copy: shifted in place
    mask = np.isnan(data)
    data -= np.nanmin(data[~mask])
    with np.errstate(invalid="ignore", divide="ignore"):
        data, _ = tf.eq_hist(data, mask)
        drawn = data[~mask]
        span = np.linspace(np.nanmin(drawn), np.nanmax(drawn), 2)
        red = np.nan_to_num(np.interp(data, span, [1.0, float(LEVELS)], left=255), copy=False).astype(np.uint8)
    return np.where(np.isnan(data), np.uint8(0), red)


def _canvas(width: int, height: int, extent: tuple[float, float, float, float]) -> ds.Canvas:
    x0, x1, y0, y1 = extent
    return ds.Canvas(plot_width=width, plot_height=height, x_range=(x0, x1), y_range=(y0, y1))


def _mean_raster(agg, extent: tuple[float, float, float, float], start: float) -> Raster:
    """A mean aggregate as a ``Raster`` (float32, NaN where nothing was drawn)."""
    return Raster(agg.coords["x"].values, agg.coords["y"].values, agg.data.astype(np.float32), tuple(extent),
                  time.perf_counter() - start)


def density(x: np.ndarray, y: np.ndarray, width: int, height: int, lines: bool,
            extent: tuple[float, float, float, float] | None = None, spread: int = 1) -> Raster:
    """Points (or line segments: NaN breaks a line) of ``(x, y)`` counted per pixel over ``extent``
    (default: all of them). float32 halves what the page receives, and counts need no more."""
    start = time.perf_counter()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    extent = extent or padded_extent(x, y)
    canvas = _canvas(width, height, extent)
    frame = pd.DataFrame({"x": x, "y": y}, copy=False)
    agg = canvas.line(frame, "x", "y", agg=ds.count()) if len(frame) and lines else \
        canvas.points(frame, "x", "y", agg=ds.count())
    if spread:
        agg = tf.spread(agg, px=spread, how="add")
    counts = agg.data.astype(np.float32)
    if counts.any():
        counts[counts == 0] = np.nan  # empty pixels show the background
    return Raster(agg.coords["x"].values, agg.coords["y"].values, counts, tuple(extent), time.perf_counter() - start)


def mean(x: np.ndarray, y: np.ndarray, values: np.ndarray, width: int, height: int,
         extent: tuple[float, float, float, float] | None = None) -> Raster:
    """The mean of ``values`` over the points in each pixel (NaN where none): a field on the
    attractor (finite-time exponents, say) rather than how often the orbit visits."""
    start = time.perf_counter()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    extent = extent or padded_extent(x, y)
    canvas = _canvas(width, height, extent)
    frame = pd.DataFrame({"x": x, "y": y, "v": np.asarray(values, dtype=float)}, copy=False)
    return _mean_raster(canvas.points(frame, "x", "y", agg=ds.mean("v")), extent, start)


def levels(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Colour levels 1 … 255 of ``values`` mapped linearly over ``[low, high]`` (uint8)."""
    scaled = (np.asarray(values, dtype=np.float32) - low) / max(high - low, 1e-12)
    return (1 + np.rint(np.clip(scaled, 0, 1) * (LEVELS - 1))).astype(np.uint8)


def space_time(values: np.ndarray, times: np.ndarray, places: np.ndarray, extent: tuple[float, float, float, float],
               span: tuple[float, float], cmap: str, pixels: tuple[int, int]) -> Raster:
    """Samples on a (time × place) grid, ``values[i, j]`` at ``times[i]`` and ``places[j]`` (cell
    centres), as an image over ``extent``: time on x, place on y, each of at most ``pixels`` the
    mean of the samples behind it (``Canvas.raster``, mean downsampling), coloured linearly over
    ``span``. A field's space–time image, and a network's node × iterate one."""
    import xarray as xr

    start = time.perf_counter()
    grid = xr.DataArray(np.asarray(values).T, coords={"y": places, "x": times}, dims=("y", "x"))
    canvas = ds.Canvas(plot_width=min(pixels[0], len(times)), plot_height=min(pixels[1], len(places)),
                       x_range=extent[:2], y_range=extent[2:])
    image = canvas.raster(grid, agg="mean", downsample_method="mean").data
    return Raster(np.empty(0), np.empty(0), None, extent, time.perf_counter() - start,
                  index=levels(np.nan_to_num(image, nan=np.nanmean(image)), *span), palette=palette(cmap))


def shade_linear(image: Raster, cmap: str, low: float, high: float) -> Raster:
    """Colour levels mapped linearly over ``[low, high]`` (fixed, so a zoom keeps the colour
    meanings), empty pixels level 0: for signed fields with a diverging map such as ``coolwarm``."""
    return _levels(image, cmap, time.perf_counter(), how="linear", span=(low, high))


FTLE_PIXELS = (210, 170)  # the finite-time exponents' field: coarse, each pixel the mean of many of 20,000 points
FTLE_FRAME = (480, 340)  # ... shown on this frame
FIELD_CMAP = "coolwarm"  # signed fields: blue below zero, red above


def field_picture(xy: np.ndarray, values: np.ndarray, width: int, height: int, limit: float,
                  extent: tuple[float, float, float, float] | None = None, cmap: str = FIELD_CMAP, *, job=None
                  ) -> Raster:
    """A job: screen points ``xy`` coloured by the per-pixel mean of ``values`` over
    ``[-limit, limit]`` (blue below zero, red above), over ``extent`` (default: all of them)."""
    return shade_linear(mean(xy[:, 0], xy[:, 1], values, width, height, extent), cmap, -limit, limit)


def segments_picture(starts: np.ndarray, ends: np.ndarray, values: np.ndarray, width: int, height: int,
                     low: float, high: float, extent: tuple[float, float, float, float] | None = None,
                     cmap: str = "rainbow4_r", *, job=None) -> Raster:
    """A job: line segments from ``starts[i]`` to ``ends[i]`` (screen points, ``(n, 2)``), each
    pixel coloured by the mean ``values`` of the segments through it, linearly over ``[low,
    high]``; over ``extent`` (default: every segment). Short segments along a direction field (a
    covariant vector at each point of an orbit) show the direction where a quiver of arrows would
    be a thicket."""
    start = time.perf_counter()
    starts, ends = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
    both = np.concatenate([starts, ends])
    extent = extent or padded_extent(both[:, 0], both[:, 1])
    canvas = _canvas(width, height, extent)
    frame = pd.DataFrame({"x0": starts[:, 0], "x1": ends[:, 0], "y0": starts[:, 1], "y1": ends[:, 1],
                          "v": np.asarray(values, dtype=float)}, copy=False)
    agg = canvas.line(frame, x=["x0", "x1"], y=["y0", "y1"], axis=1, agg=ds.mean("v"))
    return shade_linear(_mean_raster(agg, extent, start), cmap, low, high)
