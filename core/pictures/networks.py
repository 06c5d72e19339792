"""Pictures of networks of maps (``core.systems.networks``), made where the data is: the nodes'
coupled variable as a space–time image (node × time), the nodes' states on the topology, their
correlation matrix and synchrony measures, and a measure against a coupling strength.

The space–time image is resampled to the view's pixels by Datashader's ``Canvas.raster`` (the
mean of the iterates behind each pixel), like a field's. The diagram iterates the network once
per value of the parameter, each from the same start, and measures the iterates kept after the
transient: the papers' figures of a measure against the coupling strength (Nair et al. 2024,
arXiv:2405.06000, figures of the cross-correlation coefficient and the Kuramoto order parameter
against the couplings).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core import systems
from core.dynamics import complexity, integrate
from core.errors import ArgumentError, IntegrationError, Stopped
from core.pictures import raster
from core.pictures.raster import Raster

SPACE_TIME_PIXELS = (760, 260)
CMAP = "bmy"  # colorcet's perceptually uniform blue–magenta–yellow
MAX_CORRELATION_NODES = 400  # the correlation matrix drawn up to this many nodes (N² cells)
MAX_DIAGRAM_VALUES = 400
MAX_DIAGRAM_WORK = 3e8  # node-iterates a diagram may take (values × iterates × nodes)


def _mean_correlation(x: np.ndarray) -> float:
    corr = complexity.cross_correlation(x)
    n = corr.shape[0]
    return float((corr.sum() - n) / (n * (n - 1)))


# a measure of the coupled variables (time, nodes), and what it means
MEASURES = {
    "synchronization error": (lambda x: float(np.mean(complexity.synchronization_error(x))),
                              "the nodes' spread about their mean, averaged over time: 0 in complete synchrony"),
    "cross-correlation": (_mean_correlation,
                          "the mean Pearson correlation of every pair of nodes: 1 in complete synchrony"),
    "order parameter": (lambda x: float(np.mean(complexity.order_parameter(x))),
                        "the Kuramoto order parameter of the nodes' phases (Hilbert transform), averaged over time"),
    "0–1 test": (lambda x: complexity.zero_one_test(x[:, 0]),
                 "Gottwald & Melbourne's K of node 0's series: 1 chaotic, 0 regular"),
    "sample entropy": (lambda x: complexity.sample_entropy(x[:, 0]),
                       "node 0's sample entropy (m = 2, r = 0.2 σ): higher is less predictable"),
}


def measure(name: str, coupled: np.ndarray) -> float:
    """The measure ``name`` of ``MEASURES`` on the coupled variables (time, nodes); NaN where it is
    undefined there (a sample entropy with no matching template, a phase of a resting node)."""
    if name not in MEASURES:
        raise ArgumentError(f"unknown measure {name!r}; choose one of {', '.join(MEASURES)}")
    if not np.all(np.isfinite(coupled)):
        return float("nan")
    try:
        return float(MEASURES[name][0](coupled))
    except ArgumentError:
        return float("nan")


@dataclass(frozen=True)
class NetworkPicture:
    """One run of a network as the page shows it."""

    system_name: str
    image: Raster  # node × time, iterates on x
    span: tuple[float, float]
    positions: np.ndarray  # (nodes, 2)
    edges: np.ndarray  # (edges, 2) node indices
    last: np.ndarray  # the coupled variable of every node at the last iterate
    correlation: np.ndarray | None  # (nodes, nodes), None past MAX_CORRELATION_NODES
    measures: dict
    seconds: float


def _network(system: systems.System):
    if system.network is None:
        raise ArgumentError(f"{system.name} is not a network of maps: choose one of the group 'Networks of maps'")
    return system.network


def space_time(coupled: np.ndarray, first: int, span: tuple[float, float],
               pixels: tuple[int, int] = SPACE_TIME_PIXELS) -> Raster:
    """The coupled variables (time, nodes) as an image: iterates on x from ``first``, nodes on y
    (``raster.space_time``), coloured over ``span``."""
    n_t, n_nodes = coupled.shape
    extent = (float(first), float(first + n_t), -0.5, n_nodes - 0.5)
    return raster.space_time(coupled, first + np.arange(n_t) + 0.5, np.arange(n_nodes, dtype=float), extent, span,
                             CMAP, pixels)


def network_picture(system: systems.System, n: int = 1000, transient: int = 1000, *, job=None) -> NetworkPicture:
    """A job: ``n`` iterates of the network after ``transient``, drawn, with its synchrony measures."""
    net = _network(system)
    start = time.perf_counter()
    run = integrate.trajectory(system, n=int(n), transient=int(transient), postprocess=False,
                               progress=job.progress if job is not None else None,
                               stop=job.stop if job is not None else None)
    if len(run.x) < n:
        raise Stopped(f"the run of {system.name} was stopped after {len(run.x)} of {n} iterates")
    coupled = net.coupled(run.x)
    nodes = coupled.shape[1]
    span = (float(coupled.min()), float(coupled.max()))
    image = space_time(coupled, int(transient), span)
    values = {name: measure(name, coupled) for name in MEASURES}
    correlation = complexity.cross_correlation(coupled) if nodes <= MAX_CORRELATION_NODES else None
    return NetworkPicture(system.name, image, span, net.positions(nodes), net.edges(nodes, int(system.params["R"])),
                          coupled[-1].copy(), correlation, values, time.perf_counter() - start)


@dataclass(frozen=True)
class CouplingDiagram:
    """A measure of the network against one parameter's values."""

    system_name: str
    parameter: str
    measure: str
    values: np.ndarray
    results: np.ndarray  # NaN where the measure is undefined or the network diverged
    diverged: int
    seconds: float


def coupling_diagram(system: systems.System, parameter: str, low: float, high: float, measure_name: str,
                     points: int = 60, n: int = 1000, transient: int = 1000, *, job=None) -> CouplingDiagram:
    """A job: ``measure_name`` of ``n`` iterates after ``transient`` at ``points`` values of
    ``parameter`` from ``low`` to ``high``, every run from the network's initial condition."""
    net = _network(system)
    if parameter not in system.params or np.ndim(system.params[parameter]) != 0 or parameter in ("N", "R"):
        raise ArgumentError(f"{system.name} has no continuous parameter {parameter!r} to vary")
    if measure_name not in MEASURES:
        raise ArgumentError(f"unknown measure {measure_name!r}; choose one of {', '.join(MEASURES)}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ArgumentError(f"the window needs from < to, got from {low:g} to {high:g}")
    points = int(points)
    if not 2 <= points <= MAX_DIAGRAM_VALUES:
        raise ArgumentError(f"a diagram takes 2 to {MAX_DIAGRAM_VALUES} values, got {points}")
    work = points * (n + transient) * net.nodes(system)
    if work > MAX_DIAGRAM_WORK:
        raise ArgumentError(f"{points} values × {n + transient} iterates × {net.nodes(system)} nodes is more than a "
                            f"diagram may take ({MAX_DIAGRAM_WORK:.0e} node-iterates): fewer values or nodes")
    start = time.perf_counter()
    values = np.linspace(low, high, points)
    results = np.full(points, np.nan)
    diverged = 0
    for i, value in enumerate(values):
        if job is not None and job.stop.is_set():
            raise Stopped(f"the {measure_name} diagram of {system.name} was stopped")
        try:
            varied = systems.vary(system, **{parameter: float(value)})
            run = integrate.trajectory(varied, n=int(n), transient=int(transient), postprocess=False)
        except (IntegrationError, ValueError):
            diverged += 1
            continue
        results[i] = measure(measure_name, net.coupled(run.x))
        if job is not None:
            job.progress((i + 1) / points)
    return CouplingDiagram(system.name, parameter, measure_name, values, results, diverged,
                           time.perf_counter() - start)
