"""The explorer's computation: a trajectory (or an evolved ensemble) and the images of its views.

``run`` is a job: it integrates on a Dask worker and aggregates every view there, so the server
receives images and the trajectory, never a projection of millions of points; ``points`` gives a
view's points again for a zoom.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from core import systems
from core.dynamics import integrate
from core.pictures import raster

# a kept trajectory's values (240 MB): the 10⁷ points of a 3-D flow the sidebar allows, 15 000 of a
# network of 10³ two-variable maps
MAX_VALUES = 30_000_000
MAX_ENSEMBLE_STEPS = 2e8  # members x steps per request, about 10 s of RK4 on one core


@dataclass(frozen=True)
class ViewSpec:
    """How the page looks at a trajectory: projection, time series and delay embedding."""

    coords: tuple[int, ...] = (0, 1, 2)
    azimuth: float = 30.0
    elevation: float = 20.0
    embed_coord: int = 0
    embed_lag: int = 25


# (width, height) of each view's image, in pixels: the page's plot sizes; and its colour map
SIZES = {"attractor": (560, 430), "embedding": (300, 280), "cloud": (560, 430),
         "x0": (620, 110), "x1": (620, 110), "x2": (620, 110), "overview": (620, 44)}
CMAPS = {"attractor": "fire", "embedding": "fire", "cloud": "kbc_r", "x0": "kgy", "x1": "kgy", "x2": "kgy",
         "overview": "kgy"}


@dataclass(frozen=True)
class View:
    """One image of the page and what its axes say; ``lines`` joins successive points. ``whole``
    is the extent of all the data when the image shows only a window of it (the time series)."""

    raster: raster.Raster
    labels: tuple[str, str]
    lines: bool
    whole: tuple[float, float, float, float] | None = None


SERIES_PERIODS = 10  # a time series opens on its last ten periods (200 iterates of a map): readable


def series_window(trajectory: integrate.Trajectory) -> tuple[float, float]:
    """The stretch of time a time series opens on: the last few periods of the run, where the
    whole run of 10^5 points would be a smear; zooming out (or Reset) shows all of it."""
    t = trajectory.t
    system = trajectory.system
    span = 200.0 if system is None or system.kind == "map" else SERIES_PERIODS * (system.period or 100 * system.dt)
    return max(float(t[0]), float(t[-1]) - span), float(t[-1])


def max_points(dim: int) -> int:
    """The most points the explorer keeps of a ``dim``-dimensional state (``MAX_VALUES`` values,
    and never fewer than 1000 points)."""
    return max(1000, MAX_VALUES // max(1, dim))


@dataclass(frozen=True)
class Exploration:
    """What a request produces: every view, and the trajectory and ensemble they show (left on
    the worker in the page's copy: see ``light``)."""

    views: dict[str, View]
    seconds: float  # integration wall time
    system_name: str
    n_points: int
    dim: int
    trajectory: integrate.Trajectory | None = None
    cloud: np.ndarray | None = None

    def light(self) -> "Exploration":
        """The images and counts alone: what the server needs to draw (the arrays stay put)."""
        return replace(self, trajectory=None, cloud=None)


def evolve_cloud(system: systems.System, trajectory: integrate.Trajectory, ic, dt, transient, members: int,
                 duration: float) -> np.ndarray:
    """A Gaussian cloud of ``members`` states around the trajectory's last point, evolved for
    ``duration`` (iterations for maps): how nearby states spread over the attractor."""
    if system.kind == "delay":
        raise ValueError(f"{system.name}: ensembles of delay systems are not supported; use trajectory mode")
    raw = trajectory.x if system.postprocess_with is None else None
    centre = raw[-1] if raw is not None else integrate.trajectory(
        system, n=2, dt=dt, ic=ic, transient=transient, postprocess=False).x[-1]
    rng = np.random.default_rng(0)
    std = system.std if system.std is not None and len(system.std) == system.state_dim else np.ones(system.state_dim)
    ics = centre + 1e-3 * std * rng.standard_normal((members, system.state_dim))
    if system.kind == "map":
        steps = max(1, int(round(duration)))
        if members * steps > MAX_ENSEMBLE_STEPS:
            raise ValueError(f"ensemble too large: {members} members x {steps} iterations; reduce either")
        xs = integrate.ensemble(system, ics, n=steps + 1, on_divergence="nan")
    else:
        if duration <= 0:
            return system.postprocess(ics[:, None, :])[:, 0, :]
        h = system.integrator_dt or system.dt
        if members * duration / h > MAX_ENSEMBLE_STEPS:
            raise ValueError(f"ensemble too large: {members} members x {duration / h:.0f} steps; reduce either")
        xs = integrate.ensemble(system, ics, n=2, dt=duration, h=h, on_divergence="nan")
    return xs[:, -1, :]


def check(trajectory: integrate.Trajectory, spec: ViewSpec) -> None:
    """ValueError, with a message, for a view the trajectory cannot give."""
    dim, n = trajectory.x.shape[1], len(trajectory.x)
    bad = [c for c in list(spec.coords[: min(dim, 3)]) + [spec.embed_coord] if c >= dim]
    if bad:
        raise ValueError(f"coordinate {bad[0]} does not exist: {trajectory.system.name} has coordinates 0..{dim - 1}")
    if spec.embed_lag >= n:
        raise ValueError(f"lag {spec.embed_lag} is longer than the trajectory ({n} points)")


def names(trajectory: integrate.Trajectory, cloud) -> list[str]:
    """The views a trajectory has: the attractor, its embedding, a series per coordinate (≤ 3), and
    the whole run of the first one (the overview the series' window is chosen on)."""
    dim = trajectory.x.shape[1]
    return ["attractor", "embedding", "overview"] + [f"x{i}" for i in range(min(dim, 3))] + \
        (["cloud"] if cloud is not None else [])


def points(trajectory: integrate.Trajectory, cloud, spec: ViewSpec, name: str) -> tuple:
    """``(x, y, labels, lines)`` of one view: what its image counts."""
    x = trajectory.x
    dim = x.shape[1]
    lines = trajectory.system.kind != "map"
    coords = tuple(spec.coords[: min(dim, 3)])
    coordinate = trajectory.system.coordinate_labels if trajectory.system is not None else \
        tuple(f"x{i}" for i in range(dim))
    if name.startswith("x") and name[1:].isdigit():
        i = int(name[1:])
        return trajectory.t, x[:, i], ("t", coordinate[i]), True
    if name == "overview":
        return trajectory.t, x[:, 0], ("t (the whole run)", coordinate[0]), True
    if name == "embedding":
        col, lag, label = x[:, spec.embed_coord], spec.embed_lag, coordinate[spec.embed_coord]
        return col[lag:], col[:-lag], (f"{label}(t)", f"{label}(t - {lag})"), lines
    xy = raster.picture(x, coords, spec.azimuth, spec.elevation)
    if dim == 1:  # the return map x_{k+1} against x_k
        labels, lines = ("x[k]", "x[k+1]"), False
    else:
        labels = ("screen x", "screen y") if len(coords) == 3 else (f"x{coords[0]}", f"x{coords[1]}")
    if name == "attractor":
        return xy[:, 0], xy[:, 1], labels, lines
    if name == "cloud":
        cxy = raster.project(cloud, coords, spec.azimuth, spec.elevation) if dim > 1 else \
            np.stack([cloud[:, 0], np.zeros(len(cloud))], axis=1)
        return cxy[:, 0], cxy[:, 1], tuple(f"{label} (members)" for label in labels), False
    raise KeyError(f"no view named {name!r}")


def render(trajectory: integrate.Trajectory, cloud, spec: ViewSpec, extents: dict | None = None) -> dict[str, View]:
    """Every view of the trajectory aggregated (at ``extents[name]`` if given, else in full)."""
    check(trajectory, spec)
    views = {}
    for name in names(trajectory, cloud):
        x, y, labels, lines = points(trajectory, cloud, spec, name)
        width, height = SIZES[name]
        extent, whole = (extents or {}).get(name), None
        if extent is None and name.startswith("x"):
            whole = raster.padded_extent(x, y)
            extent = (*series_window(trajectory), *whole[2:])
        image = raster.density(x, y, width, height, lines, extent)
        views[name] = View(raster.shade(image, CMAPS[name]), labels, lines, whole)
    return views


def run(system: systems.System, integration: dict, spec: ViewSpec, ensemble: tuple[int, float] | None = None, *,
        job) -> Exploration:
    """A job: integrate ``system`` (``integration``: ``integrate.trajectory``'s keywords), evolve
    an ensemble of ``(members, duration)`` if asked, and render every view."""
    start = time.perf_counter()
    trajectory = integrate.trajectory(system, progress=job.progress, stop=job.stop, **integration)
    cloud = None
    if ensemble is not None:
        cloud = evolve_cloud(system, trajectory, integration.get("ic"), integration.get("dt"),
                             integration.get("transient", 0), *ensemble)
    seconds = time.perf_counter() - start
    return Exploration(render(trajectory, cloud, spec), seconds, system.name, len(trajectory), trajectory.x.shape[1],
                       trajectory, cloud)


SHARED_POINTS = 200_000  # requests up to this size are shared between sessions (see share_name)


def share_name(system: systems.System, integration: dict, spec: ViewSpec,
               ensemble: tuple[int, float] | None = None) -> str | None:
    """The name of a request that every session asking the same gets from one computation (a
    class following its teacher), or None for one too big to share: a long integration belongs
    to whoever asked for it, who may Stop it."""
    members = ensemble[0] if ensemble is not None else 0
    if integration.get("n", 0) + members > SHARED_POINTS:
        return None
    return repr(("explore.run", system.name, system.kind, _fingerprint(dict(system.params)),
                 _fingerprint(integration), spec, ensemble))


def _fingerprint(values: dict) -> tuple:
    """``values`` as text that differs whenever they do (arrays by their bytes: repr elides)."""
    def text(value):
        if value is None or np.ndim(value) == 0:
            return repr(value if value is None or isinstance(value, str) else float(value))
        array = np.ascontiguousarray(value, dtype=float)
        return f"{array.shape}:{hashlib.sha1(array.tobytes()).hexdigest()}"
    return tuple(sorted((key, text(value)) for key, value in values.items()))


_recent: OrderedDict[str, Exploration] = OrderedDict()  # share_name -> result, newest last
_recent_lock = threading.Lock()
RECENT = 4  # small explorations remembered in this process (200 000 points x 3 coordinates: 5 MB each)


def run_remembered(system: systems.System, integration: dict, spec: ViewSpec,
                   ensemble: tuple[int, float] | None = None, *, job) -> Exploration:
    """``run``, remembered in this process for a small request: the page's first picture is
    computed where the page is built (no round trip before the first paint), and the same
    request again — every newcomer's default page — costs that process nothing."""
    name = share_name(system, integration, spec, ensemble)
    with _recent_lock:
        if name is not None and name in _recent:
            _recent.move_to_end(name)
            return _recent[name]
    result = run(system, integration, spec, ensemble, job=job)
    if name is not None:
        with _recent_lock:
            _recent[name] = result
            while len(_recent) > RECENT:
                _recent.popitem(last=False)
    return result


def rerender(exploration: Exploration, spec: ViewSpec, *, job) -> dict[str, View]:
    """A job next to the data: every view again, for a new camera or embedding."""
    return render(exploration.trajectory, exploration.cloud, spec)


def zoom(exploration: Exploration, spec: ViewSpec, name: str, extent: tuple, *, job) -> raster.Raster:
    """A job next to the data: one view re-aggregated at full resolution over ``extent``."""
    x, y, _, lines = points(exploration.trajectory, exploration.cloud, spec, name)
    width, height = SIZES[name]
    return raster.shade(raster.density(x, y, width, height, lines, extent), CMAPS[name])
