"""The Teach tab's jobs: an orbit diagram as an image (recomputed, not re-binned, on zoom).

Like ``core.pictures.portraits`` for the explorer: the numerics of ``core.dynamics.bifurcation`` and the aggregation
of ``core.pictures.raster``, run where the work is (a Dask worker), returning images and a few numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import systems
from core.dynamics import bifurcation, integrate, lyapunov
from core.errors import ArgumentError, LyapunovError
from core.pictures import raster

ORBIT_PIXELS = (640, 400)
ORBIT_KEEP = {"map": 600, "flow": 60}  # kept iterates, or maxima, per parameter value
ORBIT_TRANSIENT = {"map": 1000, "flow": 2000}


@dataclass(frozen=True)
class OrbitView:
    """An orbit diagram over ``[low, high]`` of ``parameter``: its image, and λ1 against the
    parameter where it is known (maps)."""

    raster: raster.Raster
    parameter: str
    values: np.ndarray
    lyapunov: np.ndarray | None
    seconds: float


def orbit_view(system: systems.System, parameter: str, low: float, high: float, coordinate: int = 0,
               extent: tuple[float, float, float, float] | None = None, pixels: tuple[int, int] = ORBIT_PIXELS,
               *, job=None) -> OrbitView:
    """One parameter value per pixel column over ``[low, high]`` (or the zoom window ``extent``:
    the diagram is recomputed there at full resolution, as DynamicalSystems.jl's interactive
    orbit diagram does), drawn as a density of the long-time states."""
    width, height = pixels
    if extent is not None:
        low, high = extent[0], extent[1]
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise ArgumentError(f"the parameter window must be two finite numbers, low < high; got {low:g} … {high:g}")
    values = np.linspace(low, high, width if system.kind == "map" else max(2, width // 4))
    diagram = bifurcation.orbit_diagram(system, parameter, values, coordinate, keep=ORBIT_KEEP[system.kind],
                                        transient=ORBIT_TRANSIENT[system.kind], job=job)
    p, x = diagram.pairs()
    if extent is None:
        y0, y1 = raster.padded_extent(x, x, pad=0.04)[2:] if len(x) else (0.0, 1.0)
        extent = (low, high, y0, y1)
    image = raster.shade(raster.density(p, x, width, height, False, extent, spread=0), "fire")
    return OrbitView(image, parameter, values, diagram.lyapunov, diagram.seconds)


def default_window(system: systems.System, parameter: str) -> tuple[float, float]:
    """A first window around the published value, from half of it to one and a half times it
    (values where orbits escape are left empty, not drawn)."""
    value = float(system.params[parameter])
    span = abs(value) * 0.5 or 1.0
    return value - span, value + span


@dataclass(frozen=True)
class Cobweb:
    """A cobweb diagram of coordinate ``coordinate`` of a map ``f``: the graph of ``f^n`` over
    ``[low, high]`` (``grid``, ``graph``), the staircase from ``start`` (``path_x``, ``path_y``:
    vertical to the graph, horizontal to the diagonal, …) and the iterates themselves
    (``iterates[k]``: that coordinate of ``f^(nk)`` of the starting state).

    For a map of several variables the graph holds the others at ``frozen`` (their values at the
    start: the slow variables of a neuron map frozen, the usual reduction of Chialvo's and
    Rulkov's fast variable), while the staircase follows the whole map, so it leaves the graph
    as fast as the other variables move."""

    n: int
    coordinate: int
    low: float
    high: float
    grid: np.ndarray
    graph: np.ndarray
    path_x: np.ndarray
    path_y: np.ndarray
    iterates: np.ndarray
    frozen: np.ndarray


def iterate(system: systems.System, x0, steps: int, n: int = 1, coordinate: int = 0) -> np.ndarray:
    """``coordinate`` of ``x0, f^n(x0), f^2n(x0), …`` (``steps + 1`` values; ``x0`` a state, or a
    number for a one-dimensional map), NaN after an escape."""
    out = np.full(steps + 1, np.nan)
    x, k = np.array(np.atleast_1d(x0), dtype=float), 0
    out[0] = x[coordinate]
    for step in range(1, steps + 1):
        for _ in range(n):
            x = np.asarray(system.rhs(x, float(k)), dtype=float)
            k += 1
        if not np.all(np.isfinite(x)) or np.abs(x).max() > 1e12:
            break
        out[step] = x[coordinate]
    return out


def _on_the_attractor(system: systems.System) -> np.ndarray:
    """A state on the map's attractor: its initial condition after a transient of iterates."""
    x = integrate.trajectory(system, n=2, transient=1000, postprocess=False).x[-1]
    return x if np.all(np.isfinite(x)) else np.asarray(system.ic, dtype=float)


def cobweb(system: systems.System, start: float, steps: int = 20, n: int = 1, low: float | None = None,
           high: float | None = None, points: int = 600, coordinate: int = 0, *, job=None) -> Cobweb:
    """The cobweb of a map's coordinate (a catalog map or one typed by hand), from ``start``.

    The window defaults to the range a long orbit visits, widened by a tenth and to include
    ``start``. The other coordinates start (and, in the graph, stay) where the map's attractor
    puts them. Raises ``ValueError`` for anything but a map.
    """
    if system.kind != "map":
        raise ArgumentError(f"{system.name} is a {system.kind}: cobwebs are drawn for maps (the logistic, tent, sine "
                         "and Gauss maps, a neuron map's fast variable, or one typed by hand)")
    if not (int(coordinate) == coordinate and 0 <= coordinate < system.state_dim):
        raise ArgumentError(f"coordinate must be 0 … {system.state_dim - 1} for {system.name}, got {coordinate}")
    if not (int(n) == n and 1 <= n <= 16 and int(steps) == steps and 0 <= steps <= 10_000):
        raise ArgumentError(f"n must be 1 … 16 and steps 0 … 10000, got n={n}, steps={steps}")
    if not np.isfinite(start):
        raise ArgumentError(f"the starting point must be a finite number, got {start}")
    n, steps, coordinate = int(n), int(steps), int(coordinate)
    base = np.asarray(system.ic, dtype=float) if system.state_dim == 1 else _on_the_attractor(system)
    if low is None or high is None:
        orbit = iterate(system, base, 2000, coordinate=coordinate)[100:]
        orbit = orbit[np.isfinite(orbit)]
        lo, hi = (float(orbit.min()), float(orbit.max())) if len(orbit) else (0.0, 1.0)
        lo, hi = min(lo, start), max(hi, start)
        pad = 0.1 * (hi - lo or 1.0)
        low, high = lo - pad, hi + pad
    frozen = base.copy()
    frozen[coordinate] = start

    def at(value: float) -> np.ndarray:
        state = frozen.copy()
        state[coordinate] = value
        return state

    grid = np.linspace(low, high, points)
    graph = np.array([iterate(system, at(x), 1, n, coordinate)[1] for x in grid])
    iterates = iterate(system, frozen, steps, n, coordinate)
    # the staircase: (x0, x0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> (x2, x2) -> …
    x = iterates[np.isfinite(iterates)]
    path_x = np.concatenate([x[:1], np.column_stack([x[:-1], x[1:]]).ravel()])
    path_y = np.concatenate([x[:1], np.column_stack([x[1:], x[1:]]).ravel()])
    return Cobweb(n, coordinate, float(low), float(high), grid, graph, path_x, path_y, iterates, frozen)


SECTION_PIXELS = (420, 400)


@dataclass(frozen=True)
class SectionView:
    """A Poincaré section drawn in the plane's other two coordinates ``axes``."""

    raster: raster.Raster
    axes: tuple[int, int]
    labels: tuple[str, str]
    count: int


def section_axes(system: systems.System, coordinate: int) -> tuple[int, int]:
    """The two coordinates that span the plane ``x[coordinate] = value`` of a 3-D flow."""
    others = [i for i in range(system.dim) if i != coordinate]
    return others[0], others[1]


def default_section_value(system: systems.System, coordinate: int) -> float:
    """A plane through the attractor: its mean in that coordinate (dysts's metadata), else a short run's."""
    if system.mean is not None and len(system.mean) == system.dim:
        return float(f"{system.mean[coordinate]:.4g}")
    x = integrate.trajectory(system, n=5000, transient=1000).x
    return float(f"{x[:, coordinate].mean():.4g}")


def section_view(system: systems.System, coordinate: int, value: float, direction: int = 1, crossings: int = 3000,
                 extent=None, *, job=None) -> SectionView:
    """A job: the section's crossings, as a density image in the plane's own coordinates."""
    section = bifurcation.poincare_section(system, coordinate, value, direction, crossings)
    i, j = section_axes(system, coordinate)
    x, y = section.points[:, i], section.points[:, j]
    width, height = SECTION_PIXELS
    image = raster.shade(raster.density(x, y, width, height, False, extent or raster.padded_extent(x, y), spread=1),
                         "fire")
    names = system.coordinate_labels
    return SectionView(image, (i, j), (names[i], names[j]), len(section.times))


def launched_crossings(system: systems.System, coordinate: int, value: float, direction: int, start: tuple,
                       crossings: int = 300, *, job=None) -> np.ndarray:
    """A job: the crossings ``(n, 2)``, in the plane's coordinates, of the orbit started on the
    plane at the clicked point ``start`` (as ``interactive_poincaresos`` does)."""
    i, j = section_axes(system, coordinate)
    x0 = np.array(system.ic, dtype=float)
    x0[coordinate], x0[i], x0[j] = value, start[0], start[1]
    section = bifurcation.poincare_section(system, coordinate, value, direction, crossings, ic=x0, transient=0)
    return section.points[:, [i, j]]


# ---------------------------------------------------------------------------------------------
# The butterfly effect in motion: members started a tiny distance apart, streamed in chunks

BUTTERFLY_PIXELS = (560, 430)
BUTTERFLY_CMAP = "dimgray"  # the attractor behind the members: grey, so the members' colours stand out
MAX_MEMBERS = 10_000
CHUNK_BYTES = 16 * 2**20  # screen points of one chunk of frames (float32): what a job returns at most


@dataclass(frozen=True)
class Camera:
    """How the animation projects states to the screen: the explorer's coordinates and angles,
    rotated about a fixed ``centre`` (the attractor's mean), so members and background agree."""

    coords: tuple[int, ...]
    azimuth: float
    elevation: float
    centre: np.ndarray | None = None

    def points(self, x: np.ndarray) -> np.ndarray:
        """Screen points ``(..., 2)`` of states ``(..., dim)``; a one-dimensional state is paired with
        the next one (the return map), so ``x`` then has one step more along its second-last axis."""
        if x.shape[-1] == 1:
            return np.stack([x[..., :-1, 0], x[..., 1:, 0]], axis=-1)
        flat = x.reshape(-1, x.shape[-1])
        return raster.project(flat, self.coords, self.azimuth, self.elevation, self.centre).reshape(x.shape[:-1] + (2,))


@dataclass(frozen=True)
class ButterflyStart:
    """Where the animation starts: ``members`` states (``states``, raw, as the integrator steps
    them), member 0 on the attractor and the others ``distance`` away from it in random directions;
    the attractor behind them (``background``) and λ1, the slope their separation should grow at."""

    states: np.ndarray
    distance: float
    camera: Camera
    background: raster.Raster
    diameter: float  # the attractor's size in state space: where the separation saturates
    step: float  # time between frames (1 for a map)
    lyapunov: float | None
    lyapunov_note: str


@dataclass(frozen=True)
class Frames:
    """A stretch of the animation: ``positions[k, i]`` is member ``i``'s screen point at ``t[k]``;
    ``separation[k]`` the members' typical distance from member 0 there (state space); ``states``
    where the next stretch starts; ``lost`` members that diverged (NaN from then on)."""

    t: np.ndarray
    positions: np.ndarray
    separation: np.ndarray
    states: np.ndarray
    lost: int


def separation(x: np.ndarray) -> np.ndarray:
    """The typical distance of members ``1…`` from member 0, per time: ``x`` is ``(member, time, dim)``.

    The geometric mean of the distances: its logarithm is the mean of the members' log distances,
    which grows at λ1 once the perturbations have turned into the most unstable direction (the
    quantity Benettin's method averages); for two members it is simply their distance."""
    d = np.linalg.norm(x[1:] - x[:1], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(np.where(d > 0, d, np.nan))
    return np.exp(np.nanmean(logs, axis=0)) if np.isfinite(logs).any() else np.full(x.shape[1], np.nan)


def _check_butterfly(system: systems.System, members: int, distance: float) -> None:
    if system.kind == "delay":
        raise ArgumentError(f"{system.name} is a delay system: its state is a whole history, so the animation "
                         "is drawn for flows and maps")
    if not (int(members) == members and 2 <= members <= MAX_MEMBERS):
        raise ArgumentError(f"members must be a whole number from 2 to {MAX_MEMBERS}, got {members}")
    if not (np.isfinite(distance) and 0 < distance <= 1):
        raise ArgumentError(f"the initial distance must be a number in (0, 1], got {distance}")


def butterfly_start(system: systems.System, members: int = 2, distance: float = 1e-5,
                    coords: tuple[int, ...] = (0, 1, 2), azimuth: float = 30.0, elevation: float = 20.0,
                    seed: int = 0, *, job=None) -> ButterflyStart:
    """A job: a point on the attractor after a transient, ``members - 1`` others ``distance``
    away from it (random directions), the attractor's density behind them, and λ1 (the lab's
    spectrum; None with a note where the system is not chaotic)."""
    _check_butterfly(system, members, distance)
    coords = tuple(c for c in coords if c < system.dim)[:3] or (0,)
    orbit = integrate.trajectory(system, n=40_000, transient=2_000, postprocess=False)
    seen = system.postprocess(orbit.x)
    centre = np.nanmean(seen[:, list(coords)], axis=0) if len(coords) == 3 else None
    camera = Camera(coords, float(azimuth), float(elevation), centre)
    screen = camera.points(seen)
    width, height = BUTTERFLY_PIXELS
    background = raster.shade(raster.density(screen[:, 0], screen[:, 1], width, height, system.kind == "flow",
                                             raster.padded_extent(screen[:, 0], screen[:, 1], 0.06)), "dimgray")
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((members - 1, system.state_dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    reference = orbit.x[-1]
    states = np.vstack([reference, reference + distance * directions])
    try:
        lam, note = lyapunov.largest(system).value, ""
    except LyapunovError as exc:
        lam, note = None, str(exc)
    finite = seen[np.isfinite(seen).all(axis=1)]
    diameter = float(np.linalg.norm(finite.max(axis=0) - finite.min(axis=0))) if len(finite) else 1.0
    step = 1.0 if system.kind == "map" else float(system.dt)
    return ButterflyStart(states, float(distance), camera, background, diameter, step, lam, note)


def chunk_frames(members: int, wanted: int) -> int:
    """How many frames one job computes for ``members`` (CHUNK_BYTES of screen points at most)."""
    return int(max(2, min(wanted, CHUNK_BYTES // (8 * members))))


def butterfly_frames(system: systems.System, states: np.ndarray, t0: float, frames: int, step: float,
                     camera: Camera, *, job=None) -> Frames:
    """A job: the next ``frames`` frames of the members from ``states`` at time ``t0``, their screen
    points and their separation (members that diverge are NaN and counted, never drawn)."""
    frames = chunk_frames(len(states), frames)
    if system.kind == "map":
        x = integrate.ensemble(system, states, n=frames + 1, on_divergence="nan", postprocess=False)
    else:
        # adaptive DOP853, tight enough for separations of 1e-12: 0.5 s for 10^4 Lorenz members x 209
        # frames, where fixed-step RK4 at the catalog's stable step (dt/50) takes 2.5 s
        x = integrate.ensemble(system, states, n=frames + 1, dt=step, method="dop853", rtol=1e-10, atol=1e-12,
                               on_divergence="nan", postprocess=False)
    seen = system.postprocess(x)
    positions = camera.points(seen) if system.dim == 1 else camera.points(seen[:, :frames])
    positions = np.ascontiguousarray(np.moveaxis(positions, 0, 1), dtype=np.float32)  # (frame, member, 2)
    lost = int(np.count_nonzero(~np.isfinite(x[:, -1]).all(axis=1)))
    return Frames(t0 + step * np.arange(frames), positions, separation(seen[:, :frames]), x[:, frames], lost)
