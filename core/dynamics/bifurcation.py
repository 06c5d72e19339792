"""Orbit (bifurcation) diagrams: where a system settles, against one of its parameters.

For a map, the iterates of one coordinate after a transient, for each parameter value; for a flow,
the successive maxima of one coordinate (Lorenz's own return map, 1963), located to the dense
output's accuracy. Beside them, the largest Lyapunov exponent against the same parameter (maps:
tangent iteration along the same orbits). Every parameter value is an independent orbit, so the
work is split over numba's threads, with the compiled kernel every system shares
(``core.systems.compiled``). Cf. DynamicalSystems.jl's ``orbitdiagram`` and ``interactive_orbitdiagram``.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit

from core import systems
from core.dynamics import integrate
from core.dynamics.runge_kutta import call_rhs, scratch
from core.errors import ArgumentError

MAX_CELLS = 50_000_000  # parameter values x kept points one diagram may hold (400 MB)


@dataclass(frozen=True)
class OrbitDiagram:
    """``points[k]`` are the long-time values of coordinate ``coordinate`` at ``values[k]`` of
    ``parameter`` (NaN-padded: flows have as many maxima as they have); ``lyapunov[k]`` the largest
    exponent there (maps; None for flows)."""

    system: str
    parameter: str
    values: np.ndarray
    points: np.ndarray
    coordinate: int
    method: str  # "iterates" or "maxima"
    lyapunov: np.ndarray | None
    seconds: float

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The diagram as points ``(parameter value, state)``, NaNs dropped: what is drawn."""
        p = np.repeat(self.values, self.points.shape[1])
        x = self.points.ravel()
        keep = np.isfinite(x)
        return p[keep], x[keep]


@njit(cache=True, nogil=True)
def _map_orbits(f, P, X0, transient, coordinate, eps, out, lam):
    """For each row of ``P``: iterate from ``X0[m]``, drop ``transient`` iterates, keep
    ``out.shape[1]`` values of ``coordinate``, and the mean log growth of a tangent vector over
    them (central differences along it); a diverging orbit is NaN from there on."""
    m_count, d = X0.shape
    work = scratch(5, d)
    x, y, v, xp, fx = work[0], work[1], work[2], work[3], work[4]
    Y = work[1:2]
    for m in range(m_count):
        p = P[m]
        for i in range(d):
            x[i] = X0[m, i]
            v[i] = 1.0 / math.sqrt(d)
        growth, ok = 0.0, True
        for k in range(transient + out.shape[1]):
            if k >= transient:
                # J(x) v by central differences, then x <- f(x)
                size = 0.0
                for i in range(d):
                    size += x[i] * x[i]
                step = eps * max(1.0, math.sqrt(size))
                for i in range(d):
                    xp[i] = x[i] + step * v[i]
                call_rhs(f, float(k), xp, p, Y, 0)
                for i in range(d):
                    fx[i] = y[i]
                    xp[i] = x[i] - step * v[i]
                call_rhs(f, float(k), xp, p, Y, 0)
                norm = 0.0
                for i in range(d):
                    v[i] = (fx[i] - y[i]) / (2.0 * step)
                    norm += v[i] * v[i]
                norm = math.sqrt(norm)
                if norm > 0.0 and np.isfinite(norm):
                    growth += math.log(norm)
                    for i in range(d):
                        v[i] /= norm
            call_rhs(f, float(k), x, p, Y, 0)
            for i in range(d):
                x[i] = y[i]
                if not np.isfinite(x[i]) or abs(x[i]) > 1e12:
                    ok = False
            if not ok:
                for j in range(max(0, k - transient), out.shape[1]):
                    out[m, j] = np.nan
                lam[m] = np.nan
                break
            if k >= transient:
                out[m, k - transient] = x[coordinate]
        if ok:
            lam[m] = growth / out.shape[1]


def _parameter_matrix(system: systems.System, parameter: str, values: np.ndarray) -> np.ndarray:
    """One packed parameter vector per value (the system's own order), ``parameter`` varied."""
    names = [name for name, _ in system.source.param_shapes]
    if parameter not in names or np.ndim(system.params[parameter]) != 0:
        scalars = [n for n in names if np.ndim(system.params[n]) == 0]
        raise ArgumentError(f"{system.name} has no scalar parameter {parameter!r}; its parameters: {', '.join(scalars)}")
    base = system.param_vector
    offset = 0
    for name, shape in system.source.param_shapes:
        if name == parameter:
            break
        offset += int(np.prod(shape)) if shape else 1
    P = np.tile(base, (len(values), 1))
    P[:, offset] = values
    return np.ascontiguousarray(P)


def _values(values) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ArgumentError("values must be numbers") from None
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ArgumentError("values must be a non-empty set of finite numbers")
    return v


def orbit_diagram(system: systems.System, parameter: str, values, coordinate: int = 0, keep: int = 1000,
                  transient: int = 1000, ic=None, *, job=None) -> OrbitDiagram:
    """The orbit diagram of ``system`` over ``values`` of ``parameter`` (see the module's docstring).

    Maps: ``keep`` iterates after ``transient``, with λ1 from the same orbits. Flows: the maxima of
    ``coordinate`` over ``keep`` dominant periods after ``transient`` sample steps, at most
    ``keep`` of them per value. A job (``job.progress``) or a plain call.
    """
    start = time.perf_counter()
    values = _values(values)
    keep, transient = int(keep), int(transient)
    if keep < 1 or transient < 0:
        raise ArgumentError(f"keep must be >= 1 and transient >= 0, got {keep} and {transient}")
    if not 0 <= int(coordinate) < system.dim:
        raise ArgumentError(f"coordinate must be between 0 and {system.dim - 1}, got {coordinate}")
    if len(values) * keep > MAX_CELLS:
        raise ArgumentError(f"{len(values)} values x {keep} points exceed {MAX_CELLS:.0e}; ask for fewer")
    if system.kind == "map":
        points, lam = _map_diagram(system, parameter, values, int(coordinate), keep, transient, ic)
        method = "iterates"
    elif system.kind == "flow":
        points, lam, method = _flow_diagram(system, parameter, values, int(coordinate), keep, transient, ic, job), \
            None, "maxima"
    else:
        raise ArgumentError(f"{system.name} is a delay system: its orbit diagram is not supported yet")
    return OrbitDiagram(system.name, parameter, values, points, int(coordinate), method, lam,
                        time.perf_counter() - start)


def _map_diagram(system, parameter, values, coordinate, keep, transient, ic):
    P = _parameter_matrix(system, parameter, values)
    x0 = np.asarray(system.ic if ic is None else ic, dtype=float).ravel()
    X0 = np.ascontiguousarray(np.tile(x0, (len(values), 1)))
    out = np.empty((len(values), keep))
    lam = np.empty(len(values))
    f = system.rhs_kernel
    n_threads = min(numba.config.NUMBA_NUM_THREADS, len(values))
    cuts = np.linspace(0, len(values), n_threads + 1).astype(int)
    with ThreadPoolExecutor(max_workers=n_threads) as threads:  # the kernel releases the GIL
        for part in [threads.submit(_map_orbits, f, P[a:b], X0[a:b], transient, coordinate, 1e-7, out[a:b], lam[a:b])
                     for a, b in zip(cuts[:-1], cuts[1:]) if b > a]:
            part.result()
    return out, lam


def local_maxima(x: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of the strict local maxima of a sampled series, each refined by the
    parabola through its three samples (exact to O(dt^3) for a smooth series)."""
    i = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:])) + 1
    a, b, c = x[i - 1], x[i], x[i + 1]
    denom = a - 2 * b + c
    shift = np.where(denom != 0, 0.5 * (a - c) / np.where(denom != 0, denom, 1.0), 0.0)
    return (i + shift) * dt, b - 0.25 * (a - c) * shift


def _flow_diagram(system, parameter, values, coordinate, keep, transient, ic, job):
    points = np.full((len(values), keep), np.nan)
    period = system.period or 1.0
    dt = min(system.dt, period / 100) / 4  # a fine grid from the dense output: maxima to O(dt^3)
    n = int(keep * period / dt) + 1

    def one(k):
        try:
            varied = systems.vary(system, **{parameter: float(values[k])})
            x = integrate.trajectory(varied, n=n, dt=dt, transient=transient * 4, ic=ic, rtol=1e-8, atol=1e-8,
                                     postprocess=False).x[:, coordinate]
        except (integrate.IntegrationError, ValueError):
            return  # a diverging parameter value leaves its column empty
        _, peaks = local_maxima(x, dt)
        points[k, : min(keep, len(peaks))] = peaks[:keep]

    with ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS)) as threads:
        for done, _ in enumerate(threads.map(one, range(len(values)))):
            if job is not None:
                job.progress((done + 1) / len(values))
    return points


# ---------------------------------------------------------------------------------------------
# Poincaré sections


@dataclass(frozen=True)
class Section:
    """Where an orbit crosses the plane ``x[coordinate] = value`` in ``direction`` (+1: increasing,
    -1: decreasing): the states ``points[k]`` at the times ``times[k]``."""

    system: str
    coordinate: int
    value: float
    direction: int
    times: np.ndarray
    points: np.ndarray


def poincare_section(system: systems.System, coordinate: int, value: float, direction: int = 1, crossings: int = 500,
                     ic=None, transient: int = 1000, dt: float | None = None) -> Section:
    """The first ``crossings`` crossings of the plane after ``transient`` samples, from ``ic``.

    Crossings are bracketed on a DOP853 trajectory sampled every ``dt`` (default a fortieth of the
    catalog's sampling), then located on the cubic Hermite interpolant built from the states and
    the right-hand side at both ends of the bracket (fourth order, as the dense output it
    samples), by Newton steps safeguarded by bisection: not by a straight line between samples.
    """
    if system.kind != "flow":
        raise ArgumentError(f"{system.name} is a {system.kind}: Poincaré sections are taken of flows")
    if not 0 <= int(coordinate) < system.dim:
        raise ArgumentError(f"coordinate must be between 0 and {system.dim - 1}, got {coordinate}")
    if direction not in (1, -1) or not np.isfinite(value) or int(crossings) < 1:
        raise ArgumentError("direction must be +1 or -1, value finite and crossings >= 1")
    h = float(dt or system.dt / 40)
    period = system.period or 100 * system.dt
    found_t, found_x = [], []
    start, x0, t0 = 0, ic, 0.0
    chunk = int(max(10, crossings) * period / h * 1.5) + 2
    for _ in range(20):  # longer and longer runs until enough crossings (a slow or sticky section)
        tr = integrate.trajectory(system, n=chunk, dt=h, ic=x0, transient=transient if start == 0 else 0,
                                  postprocess=False)
        s = (tr.x[:, coordinate] - value) * direction
        idx = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))
        for i in idx:
            t, x = _locate(system, tr.x[i], tr.x[i + 1], h, coordinate, value)
            found_t.append(t0 + tr.t[i] - tr.t[0] + t)
            found_x.append(x)
            if len(found_t) == crossings:
                break
        if len(found_t) >= crossings:
            break
        start += 1
        x0, t0 = tr.x[-1], t0 + tr.t[-1] - tr.t[0]
    if not found_t:
        raise ArgumentError(f"{system.name}'s orbit never crosses {system.coordinate_labels[coordinate]} = {value:g} "
                            f"{'upwards' if direction > 0 else 'downwards'}; pick a value inside the attractor")
    return Section(system.name, int(coordinate), float(value), int(direction), np.array(found_t), np.array(found_x))


def _locate(system, xa, xb, h, coordinate, value):
    """The time in ``[0, h]`` and state where the Hermite interpolant crosses the plane."""
    fa, fb = system.rhs(xa), system.rhs(xb)

    def state(u):  # cubic Hermite at t = u h
        h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
        return h00 * xa + h10 * h * fa + h01 * xb + h11 * h * fb

    def slope(u):
        d00, d10, d01, d11 = 6 * u**2 - 6 * u, 3 * u**2 - 4 * u + 1, -6 * u**2 + 6 * u, 3 * u**2 - 2 * u
        return (d00 * xa + d01 * xb) / h + d10 * fa + d11 * fb

    lo, hi = 0.0, 1.0
    g = lambda u: state(u)[coordinate] - value  # noqa: E731
    sign_lo = np.sign(g(lo))
    u = 0.5
    for _ in range(60):
        value_u = g(u)
        if abs(value_u) < 1e-14 * max(1.0, abs(value)):
            break
        if np.sign(value_u) == sign_lo:
            lo = u
        else:
            hi = u
        derivative = slope(u)[coordinate] * h
        step = u - value_u / derivative if derivative != 0 else None
        u = step if step is not None and lo < step < hi else 0.5 * (lo + hi)
        if hi - lo < 1e-15:
            break
    return u * h, state(u)
