"""A forecast's free run beside the truth: both projected as the explorer projects an attractor,
aggregated and shaded over one extent covering both (one pair of axes), and the small image of
each model in the comparison grid."""

from __future__ import annotations

import numpy as np

from core.pictures import raster

ATTRACTOR_PIXELS = (300, 260)  # (width, height), as every size in core.pictures
GRID_PIXELS = (220, 180)


def projected(x: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """The first three coordinates (or fewer) seen from ``azimuth``/``elevation`` degrees."""
    return raster.picture(x, tuple(range(min(3, x.shape[1]))), azimuth, elevation)


def images(truth: np.ndarray, free: np.ndarray | None, lines: bool, azimuth: float, elevation: float,
           free_title: str) -> dict:
    """The truth's and the free run's images (``None`` for a model that has no free run) and the
    grid's; ``points`` keeps the projections (10^4 each) for the zooms of ``image``."""
    truth = projected(truth, azimuth, elevation)
    free = projected(free, azimuth, elevation) if free is not None else None
    both = np.vstack([truth] + ([free] if free is not None else []))
    extent = raster.padded_extent(both[:, 0], both[:, 1], pad=0.1)
    points = {"truth": truth, "free": free}
    shown = {which: None if xy is None else image(xy, lines, ATTRACTOR_PIXELS, extent) for which, xy in points.items()}
    shown["grid"] = None if free is None else image(free, lines, GRID_PIXELS, extent)
    return {**shown, "points": points, "lines": lines, "titles": {"truth": "truth", "free": free_title}}


def image(xy: np.ndarray, lines: bool, pixels: tuple[int, int], extent, *, job=None) -> raster.Raster:
    """A job: one projected orbit's density over ``extent``, shaded (``fire``, equalised) where
    the data is, as every image of the lab is."""
    width, height = pixels
    return raster.shade(raster.density(xy[:, 0], xy[:, 1], width, height, lines, extent, spread=0), "fire")
