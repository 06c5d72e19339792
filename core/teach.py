"""The Teach tab's jobs: an orbit diagram as an image (recomputed, not re-binned, on zoom).

Like ``core.explore`` for the explorer: the numerics of ``core.bifurcation`` and the aggregation
of ``core.raster``, run where the work is (a Dask worker), returning images and a few numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import bifurcation, integrate, raster, systems

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
        raise ValueError(f"the parameter window must be two finite numbers, low < high; got {low:g} … {high:g}")
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
    """A cobweb diagram of a one-dimensional map ``f``: the graph of ``f^n`` over ``[low, high]``
    (``grid``, ``graph``), the staircase from ``start`` (``path_x``, ``path_y``: vertical to the
    graph, horizontal to the diagonal, …) and the iterates themselves (``iterates[k] = f^(nk)(x0)``)."""

    n: int
    low: float
    high: float
    grid: np.ndarray
    graph: np.ndarray
    path_x: np.ndarray
    path_y: np.ndarray
    iterates: np.ndarray


def iterate(system: systems.System, x0: float, steps: int, n: int = 1) -> np.ndarray:
    """``x0, f^n(x0), f^2n(x0), …`` (``steps + 1`` values) of a one-dimensional map, NaN after an escape."""
    out = np.full(steps + 1, np.nan)
    x, k = float(x0), 0
    out[0] = x
    for step in range(1, steps + 1):
        for _ in range(n):
            x = float(system.rhs([x], float(k))[0])
            k += 1
        if not np.isfinite(x) or abs(x) > 1e12:
            break
        out[step] = x
    return out


def cobweb(system: systems.System, start: float, steps: int = 20, n: int = 1, low: float | None = None,
           high: float | None = None, points: int = 600) -> Cobweb:
    """The cobweb of a one-dimensional map (a catalog map or one typed by hand), from ``start``.

    The window defaults to the range a long orbit visits, widened by a tenth and to include
    ``start``. Raises ``ValueError`` for anything but a one-dimensional map.
    """
    if system.kind != "map" or system.dim != 1:
        raise ValueError(f"{system.name} is a {system.dim}-dimensional {system.kind}: cobwebs are drawn for "
                         "one-dimensional maps (the logistic, tent, sine and Gauss maps, or one typed by hand)")
    if not (int(n) == n and 1 <= n <= 16 and int(steps) == steps and 0 <= steps <= 10_000):
        raise ValueError(f"n must be 1 … 16 and steps 0 … 10000, got n={n}, steps={steps}")
    if not np.isfinite(start):
        raise ValueError(f"the starting point must be a finite number, got {start}")
    n, steps = int(n), int(steps)
    if low is None or high is None:
        orbit = iterate(system, float(system.ic[0]), 2000)[100:]
        orbit = orbit[np.isfinite(orbit)]
        lo, hi = (float(orbit.min()), float(orbit.max())) if len(orbit) else (0.0, 1.0)
        lo, hi = min(lo, start), max(hi, start)
        pad = 0.1 * (hi - lo or 1.0)
        low, high = lo - pad, hi + pad
    grid = np.linspace(low, high, points)
    graph = np.array([iterate(system, x, 1, n)[1] for x in grid])
    iterates = iterate(system, start, steps, n)
    # the staircase: (x0, x0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> (x2, x2) -> …
    x = iterates[np.isfinite(iterates)]
    path_x = np.concatenate([x[:1], np.column_stack([x[:-1], x[1:]]).ravel()])
    path_y = np.concatenate([x[:1], np.column_stack([x[1:], x[1:]]).ravel()])
    return Cobweb(n, float(low), float(high), grid, graph, path_x, path_y, iterates)


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
