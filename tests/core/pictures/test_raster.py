"""core.pictures.raster: shaded images as colour levels and a palette, painting what Datashader paints."""

from __future__ import annotations

import colorcet
import datashader.transfer_functions as tf
import numpy as np
import pytest
import xarray as xr

from core.pictures import raster


def channels(rgba: np.ndarray) -> np.ndarray:
    return rgba.view(np.uint8).reshape(*rgba.shape, 4).astype(int)


def datashader_rgba(image: raster.Raster, cmap: str, **how) -> np.ndarray:
    agg = xr.DataArray(image.counts, coords={"y": image.ys, "x": image.xs}, dims=("y", "x"))
    colours = colorcet.palette[cmap.removesuffix("_r")]
    colours = colours[::-1] if cmap.endswith("_r") else colours
    return np.asarray(tf.shade(agg, cmap=colours, **how).data, dtype=np.uint32)


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(3)
    return rng.normal(size=50_000), rng.standard_t(3, size=50_000)


@pytest.mark.parametrize("cmap", ["fire", "kbc_r", "kgy"])
def test_levels_and_palette_paint_what_datashader_paints_at_a_quarter_of_the_bytes(cloud, cmap):
    counts = raster.density(*cloud, 320, 200, lines=False)
    shaded = raster.shade(counts, cmap)
    assert shaded.index.dtype == np.uint8 and shaded.index.shape == (200, 320) and shaded.counts is None
    assert len(shaded.palette) == raster.LEVELS and shaded.index.max() == raster.LEVELS
    reference = datashader_rgba(counts, cmap, how="eq_hist")
    assert np.array_equal(shaded.index == 0, reference >> 24 == 0)  # the same pixels empty
    difference = np.abs(channels(shaded.rgba()) - channels(reference))
    assert difference.max() <= 24 and difference.mean() < 0.2  # a palette sampled at 255 levels


@pytest.mark.parametrize("lines", [False, True])
def test_the_one_channel_equalisation_gives_exactly_the_levels_of_datashader_s_own_shading(cloud, lines):
    """``shade`` interpolates only the level's channel; ``_levels`` goes through ``tf.shade``."""
    rng = np.random.default_rng(5)
    images = [raster.density(*cloud, 320, 200, lines=lines),
              raster.density(rng.normal(size=300), rng.normal(size=300), 64, 48, lines=lines),  # sparse
              raster.density(np.zeros(50), np.zeros(50), 20, 10, lines=False, extent=(-1, 1, -1, 1))]  # one pixel
    for counts in images:
        fast = raster.shade(counts, "fire").index
        reference = raster._levels(counts, "fire", 0.0, how="eq_hist").index
        assert fast.dtype == reference.dtype and np.array_equal(fast, reference)


def test_a_linear_field_keeps_its_span_so_a_zoom_keeps_the_colour_meanings(cloud):
    x, y = cloud
    field = raster.mean(x, y, np.tanh(x), 160, 100)
    shaded = raster.shade_linear(field, "coolwarm", -2.0, 2.0)
    difference = np.abs(channels(shaded.rgba()) - channels(datashader_rgba(field, "coolwarm", how="linear",
                                                                           span=(-2.0, 2.0))))
    assert difference.max() <= 8
    # tanh stays within ±1 of a ±2 span: the levels reach neither end
    assert 1 < shaded.index[shaded.index > 0].min() and shaded.index.max() < raster.LEVELS


def test_an_empty_image_is_all_level_zero():
    empty = raster.density(np.array([]), np.array([]), 40, 30, lines=False, extent=(0, 1, 0, 1))
    shaded = raster.shade(empty, "fire")
    assert shaded.index.shape == (30, 40) and not shaded.index.any() and not shaded.rgba().any()


def test_segments_are_drawn_end_to_end_coloured_by_the_mean_value_through_each_pixel():
    starts, ends = np.array([[0.1, 0.5], [0.5, 0.1]]), np.array([[0.9, 0.5], [0.5, 0.9]])
    image = raster.segments_picture(starts, ends, np.array([0.0, 90.0]), 50, 50, 0.0, 90.0, extent=(0, 1, 0, 1))
    assert image.index.shape == (50, 50) and image.palette == raster.palette("rainbow4_r")
    row, col = 25, 25  # the pixel both segments cross: the mean of 0 and 90 halfway up the scale
    horizontal, vertical = image.index[row], image.index[:, col]
    assert horizontal[5] == 1 and vertical[5] == raster.LEVELS and image.index[row, col] == 128
    assert (horizontal > 0).sum() == (vertical > 0).sum() == 41  # 0.1 … 0.9 of 50 pixels, end to end
    assert (image.index > 0).sum() == 81  # and nothing else
