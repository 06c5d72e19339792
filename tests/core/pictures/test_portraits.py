"""The explorer's computation (core.pictures.portraits): each view is the right picture of its data, a zoom
re-aggregates its window, and a request is named for sharing exactly when it can be shared."""

import numpy as np
import pytest

from core import systems
from core.pictures import portraits, raster
from core.runtime import jobs

LORENZ = systems.get("Lorenz")


@pytest.fixture(scope="module")
def lorenz():
    # the butterfly drawn in the x–z plane: two wings around the fixed points C± = (±√(β(ρ-1)), ρ-1)
    spec = portraits.ViewSpec(coords=(0, 2), embed_coord=0, embed_lag=10)
    return portraits.run(LORENZ, {"n": 20_000, "transient": 1000}, spec, job=jobs.local_context()), spec


def pixel(image: raster.Raster, x, y):
    """The (row, column) of the pixel holding each point: the nearest of the image's own pixel
    centres (ascending), found between their midpoints. (A pixels × points table of distances
    took 18 GB for the 2.4 million points of the test below, and the kernel killed a test worker.)"""
    def nearest(centres, values):
        return np.searchsorted((centres[1:] + centres[:-1]) / 2, values)

    return nearest(image.ys, y), nearest(image.xs, x)


def test_the_attractor_view_is_the_butterfly_of_its_data(lorenz):
    result, spec = lorenz
    view, x = result.views["attractor"], result.trajectory.x
    image = view.raster
    assert image.index.shape == portraits.SIZES["attractor"][::-1] and view.labels == ("x0", "x2")
    assert image.extent == pytest.approx(raster.padded_extent(x[:, 0], x[:, 2]))  # all of the data, a margin round it
    # a flow is drawn as the segments between successive samples (10 pixels long here, up to 54)
    xz = x[:, [0, 2]]
    on_segments = (xz[:-1, None, :] + np.diff(xz, axis=0)[:, None, :] * np.linspace(0, 1, 120)[None, :, None])
    rows, cols = pixel(image, *on_segments.reshape(-1, 2).T)
    assert (image.index[rows, cols] > 0).mean() > 0.999  # every segment is painted
    near = np.zeros(image.index.shape, bool)
    for dr in (-1, 0, 1):  # and nothing else but their one pixel of spread
        for dc in (-1, 0, 1):
            near[np.clip(rows + dr, 0, near.shape[0] - 1), np.clip(cols + dc, 0, near.shape[1] - 1)] = True
    painted = np.argwhere(image.index > 0)
    assert near[painted[:, 0], painted[:, 1]].mean() > 0.99
    beta, rho = LORENZ.params["beta"], LORENZ.params["rho"]
    centre = np.sqrt(beta * (rho - 1))
    r, c = pixel(image, np.array([centre, -centre]), np.array([rho - 1, rho - 1]))
    assert (image.index[r, c] == 0).all()  # the eyes of the two wings stay empty,
    for row, col in zip(r, c):  # and each wing closes round its eye: painted up, down, left and right
        for line in (image.index[row, col:], image.index[row, col::-1], image.index[row:, col],
                     image.index[row::-1, col]):
            assert 3 < np.argmax(line > 0) < 100


def test_the_series_and_the_embedding_show_their_own_data(lorenz):
    result, spec = lorenz
    t, x = result.trajectory.t, result.trajectory.x
    series = result.views["x1"]
    start, end = portraits.series_window(result.trajectory)
    assert series.raster.extent[:2] == (start, end) and end == t[-1]
    assert end - start == pytest.approx(portraits.SERIES_PERIODS * LORENZ.period)
    assert series.whole == pytest.approx(raster.padded_extent(t, x[:, 1]))  # Reset shows the whole run
    assert result.views["overview"].raster.extent == pytest.approx(raster.padded_extent(t, x[:, 0]))
    embedding = result.views["embedding"]
    assert embedding.labels == ("x(t)", "x(t - 10)")
    assert embedding.raster.extent == pytest.approx(raster.padded_extent(x[10:, 0], x[:-10, 0]))


def test_a_zoom_reaggregates_only_its_window_at_full_resolution(lorenz):
    result, spec = lorenz
    x0, x1, y0, y1 = result.views["attractor"].raster.extent
    window = (0.0, x1, y0, (y0 + y1) / 2)  # the right wing's lower half
    zoomed = portraits.zoom(result, spec, "attractor", window, job=jobs.local_context())
    assert zoomed.extent == window and zoomed.index.shape == result.views["attractor"].raster.index.shape
    inside = (result.trajectory.x[:, 0] >= 0) & (result.trajectory.x[:, 2] <= (y0 + y1) / 2)
    rows, cols = pixel(zoomed, result.trajectory.x[inside, 0], result.trajectory.x[inside, 2])
    assert (zoomed.index[rows, cols] > 0).mean() > 0.999
    assert (zoomed.index > 0).sum() > (result.views["attractor"].raster.index > 0).sum() / 4  # more detail, not a crop


def test_a_view_the_data_cannot_give_is_refused_with_a_message(lorenz):
    result, _ = lorenz
    with pytest.raises(ValueError, match="coordinate 5 does not exist"):
        portraits.rerender(result, portraits.ViewSpec(coords=(0, 5)), job=jobs.local_context())
    with pytest.raises(ValueError, match="lag 20000 is longer than the trajectory"):
        portraits.rerender(result, portraits.ViewSpec(embed_lag=20_000), job=jobs.local_context())


def test_a_request_is_named_for_sharing_by_what_it_asks_and_only_when_small():
    spec = portraits.ViewSpec()
    ask = lambda system=LORENZ, **integration: portraits.share_name(  # noqa: E731
        system, {"n": 10_000, "noise": 0.0, "seed": 0} | integration, spec)
    assert ask() == ask(systems.get("Lorenz")) and ask() is not None  # another session, the same request
    assert ask(systems.get("Lorenz", rho=35.0)) != ask()
    assert ask(seed=1) != ask() and ask(noise=0.01) != ask()
    assert ask(n=portraits.SHARED_POINTS + 1) is None  # a long run belongs to whoever asked (and may Stop it)
    assert portraits.share_name(LORENZ, {"n": 1000}, spec, (portraits.SHARED_POINTS, 1.0)) is None
