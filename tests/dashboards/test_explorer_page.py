"""The explorer's logic without a browser: a request draws every view, and a closed session lets
go of its trajectory (on the lab's cluster, that is what frees the worker's copy)."""

import holoviews as hv

from dashboards.explorer import Explorer
from dashboards.selection import Selection

hv.extension("bokeh")


def test_a_request_draws_every_view_and_a_closed_session_lets_go_of_the_trajectory():
    explorer = Explorer(Selection(n_points=5_000))
    explorer.request()
    assert "5,000 points" in explorer.status.object
    for name in ("attractor", "embedding", "x0", "x1", "x2"):
        image = explorer.views[name].source.data["image"][0]
        assert image.dtype.name == "uint32" and (image != 0).any(), name
    assert explorer._trajectory() is not None and explorer.attractor._zoom is not None
    explorer._release()
    assert explorer._trajectory() is None and explorer._shown is None
    assert all(view._zoom is None for view in explorer.views.values())
    assert all(runner.job is None for runner in [explorer.integrations, *explorer.zooms.values()])
