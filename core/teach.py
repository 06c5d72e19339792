"""The Teach tab's jobs: an orbit diagram as an image (recomputed, not re-binned, on zoom).

Like ``core.explore`` for the explorer: the numerics of ``core.bifurcation`` and the aggregation
of ``core.raster``, run where the work is (a Dask worker), returning images and a few numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import bifurcation, raster, systems

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
