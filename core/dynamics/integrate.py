"""Compiled integrators for every system: DOP853, RK4, stochastic Heun, maps, delay equations.

Each integrator is a loop around the steps of ``core.dynamics.runge_kutta`` (a tableau, one step, the
error, step-size and interpolation helpers), compiled twice: once, and cached on disk, against
the function-pointer type of ``core.systems.compiled`` (a new system brings only its right-hand side), and
per system against its own jitted right-hand side, which numba inlines (``kernel="specialised"``;
``"auto"`` takes it for long runs). Kernels release the GIL, so ensembles run on all cores through
threads and a long integration never blocks a web server.

Methods
-------
``"dop853"``  Dormand–Prince 8(5,3) with step-size control and 7th-order dense output onto the
              uniform output grid (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.5 and II.10;
              tableau typed from Hairer's dop853.f: ``core.dynamics.runge_kutta.DOP853``).
``"rk4"``     classical fixed-step Runge–Kutta; ``h`` is the internal step.
noise > 0     additive noise by the stochastic Heun scheme (strong order 1 for additive noise;
              Kloeden & Platen 1992), amplitude ``noise × std`` of each coordinate.
maps          iteration, ``x_{k+1} = f(x_k) + noise``.
delay         fixed-step RK4 for ``x' = f(x(t), x(t - tau))`` with the delay on the grid
              (``tau = m h``) and cubic Hermite interpolation of the history at each stage's
              time; constant history ``x(t <= 0) = x0``, as dysts assumes.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum

import numba
import numpy as np
from numba import njit

from core.dynamics.runge_kutta import (DOP853, HEUN, RK4, call_rhs, dense_coefficients, error_ratio,
                                       initial_step, interpolate, runge_kutta_step, scratch, step_factor)
from core.errors import IntegrationError
from core.systems import System

METHODS = ("dop853", "rk4")

_OK, _NONFINITE, _BOUND, _STEP_UNDERFLOW, _MAX_STEPS = 0, 1, 2, 3, 4
_CHUNK = 1 << 16  # output points per kernel call: the granularity of progress and stop
_MAX_DELAY_GRID = 50_000_000  # fine-grid points a delay integration may hold (400 MB)


@dataclass(frozen=True)
class Trajectory:
    """Samples ``x[k] = x(t[k])`` on a uniform grid; ``x`` is ``(time, dim)``. ``method`` is the
    scheme that ran: ``"dop853"``, ``"rk4"``, ``"heun"`` (a noisy flow), ``"map"`` or ``"delay-rk4"``."""

    t: np.ndarray
    x: np.ndarray
    system: System | None = None
    method: str = ""
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


# ---------------------------------------------------------------------------------------------
# Kernels


@njit(inline="always", nogil=True)
def _check(x, bound):
    for i in range(x.shape[0]):
        if not np.isfinite(x[i]):
            return _NONFINITE
        if abs(x[i]) > bound[i]:
            return _BOUND
    return _OK


class Scheme(IntEnum):
    """How an ensemble's members advance: fixed steps, DOP853's adaptive steps, or a map."""

    FIXED = 0
    ADAPTIVE = 1
    MAP = 2


class _Kernel:
    """One integrator compiled two ways: cached on disk for the function pointer every system
    shares, and in memory for a system's own jitted right-hand side (numba cannot cache a kernel
    keyed on a function, and compiles one per system)."""

    def __init__(self, fn):
        self.shared = njit(cache=True, nogil=True)(fn)
        self.specialised = njit(nogil=True)(fn)

    def __call__(self, f, *args):
        kernel = self.shared if isinstance(f, numba.core.ccallback.CFunc) else self.specialised
        return kernel(f, *args)


@njit(inline="always", nogil=True)
def _fixed_steps(f, tab, x, p, t, h, substeps, noise, seed, bound, out, work):
    """Advance ``x`` (in place) by ``substeps`` steps of ``h`` per output row of ``out``; additive
    noise of amplitude ``noise`` per coordinate enters as Brownian increments (with ``HEUN``:
    stochastic Heun). ``work`` is scratch of at least ``len(tab.a) + 2`` rows. Returns
    ``(status, rows_done, t)``."""
    d, a, b, c = x.shape[0], tab.a, tab.b, tab.c
    K, y, dw = work[: a.shape[0]], work[a.shape[0]], work[a.shape[0] + 1]
    dw[:] = 0.0
    noisy = False
    for i in range(d):
        if noise[i] != 0.0:
            noisy = True
    if noisy:
        np.random.seed(seed)
    sqrt_h = math.sqrt(h)
    for row in range(out.shape[0]):
        for _ in range(substeps):
            if noisy:
                for i in range(d):
                    dw[i] = noise[i] * sqrt_h * np.random.standard_normal()
            call_rhs(f, t, x, p, K, 0)
            # into x itself: a fixed step is never taken back (and a copy costs a third of the step)
            runge_kutta_step(f, a, b, c, x, p, t, h, K, y, x, dw, noisy)
            t += h
        status = _check(x, bound)
        if status != _OK:
            return status, row, t
        for i in range(d):
            out[row, i] = x[i]
    return _OK, out.shape[0], t


@njit(inline="always", nogil=True)
def _adaptive_steps(f, tab, x, p, t, h, rejected_last, first, dt_out, rtol, atol, bound, max_steps, out, work):
    """Adaptive steps of an embedded pair with dense output (DOP853) from ``(t, x)``;
    ``out[k] = x((first + k) dt_out)`` by interpolation.

    ``x`` is advanced in place past the last output time (steps never depend on the output
    grid, so chunked calls that pass back ``h`` and ``rejected_last`` give the same trajectory).
    ``h <= 0`` asks for an initial guess. ``work`` is scratch of at least
    ``len(tab.a) + len(tab.dense) + 5`` rows. Returns
    ``(status, rows_done, t, h, rejected_last, steps, rejected)``.
    """
    d, a, b, c, e3, e5, dense = x.shape[0], tab.a, tab.b, tab.c, tab.e3, tab.e5, tab.dense
    s, stages_, rows = b.shape[0], a.shape[0], 3 + dense.shape[0]
    K, F = work[:stages_], work[stages_: stages_ + rows]
    y, x_new = work[stages_ + rows], work[stages_ + rows + 1]
    call_rhs(f, t, x, p, K, 0)
    for i in range(d):
        if not np.isfinite(K[0, i]):
            return _NONFINITE, 0, t, h, rejected_last, 0, 0
    if h <= 0.0:
        h = initial_step(f, tab.order, x, p, t, K, y, rtol, atol)
    n_out = out.shape[0]
    row = 0
    while row < n_out and (first + row) * dt_out <= t:
        out[row] = x
        row += 1
    steps, rejected = 0, 0
    while row < n_out:
        if steps >= max_steps:
            return _MAX_STEPS, row, t, h, rejected_last, steps, rejected
        if h < 1e-13 * max(1.0, abs(t)):
            return _STEP_UNDERFLOW, row, t, h, rejected_last, steps, rejected
        steps += 1
        runge_kutta_step(f, a, b, c, x, p, t, h, K, y, x_new, y, False)
        call_rhs(f, t + h, x_new, p, K, s)
        error = error_ratio(e3, e5, K, x, x_new, h, rtol, atol)
        if error >= 1.0:
            h *= step_factor(error, tab.order, rejected_last)
            rejected += 1
            rejected_last = True
            continue
        t_new = t + h
        if row < n_out and (first + row) * dt_out <= t_new:
            dense_coefficients(f, a, c, s, dense, x, x_new, p, t, h, K, y, F)
            while row < n_out and (first + row) * dt_out <= t_new:
                interpolate(F, x, ((first + row) * dt_out - t) / h, out[row])
                row += 1
            if row == n_out and (first + row) * dt_out <= t_new:
                # this step also covers the next call's first rows: leave it uncommitted, the
                # next call redoes it from the same (t, x, h) and interpolates those rows
                return _OK, row, t, h, rejected_last, steps, rejected
        status = _check(x_new, bound)
        if status != _OK:
            return status, row, t_new, h, rejected_last, steps, rejected
        t = t_new
        for i in range(d):
            x[i] = x_new[i]
            K[0, i] = K[s, i]
        h *= step_factor(error, tab.order, rejected_last)
        rejected_last = False
    return _OK, row, t, h, rejected_last, steps, rejected


@njit(inline="always", nogil=True)
def _iterate_map(f, x, p, k, noise, seed, bound, out, work):
    """Iterate ``x`` (in place) from iteration ``k``, one output row per iterate (``work``: one
    row of scratch)."""
    d = x.shape[0]
    Y = work[:1]
    noisy = False
    for i in range(d):
        if noise[i] != 0.0:
            noisy = True
    if noisy:
        np.random.seed(seed)
    for row in range(out.shape[0]):
        call_rhs(f, float(k), x, p, Y, 0)
        for i in range(d):
            x[i] = Y[0, i] + (noise[i] * np.random.standard_normal() if noisy else 0.0)
        k += 1
        status = _check(x, bound)
        if status != _OK:
            return status, row, float(k)
        out[row] = x
    return _OK, out.shape[0], float(k)


@njit(inline="always", nogil=True)
def _work_rows(tab):
    """Rows of scratch any integrator needs with ``tab``: stages, dense output, three vectors."""
    return tab.a.shape[0] + 3 + tab.dense.shape[0] + 2


def _fixed_call(f, tab, x, p, t, h, substeps, noise, seed, bound, out):
    return _fixed_steps(f, tab, x, p, t, h, substeps, noise, seed, bound, out, scratch(_work_rows(tab), x.shape[0]))


def _adaptive_call(f, tab, x, p, t, h, rejected_last, first, dt_out, rtol, atol, bound, max_steps, out):
    return _adaptive_steps(f, tab, x, p, t, h, rejected_last, first, dt_out, rtol, atol, bound, max_steps, out,
                           scratch(_work_rows(tab), x.shape[0]))


def _map_call(f, x, p, k, noise, seed, bound, out):
    return _iterate_map(f, x, p, k, noise, seed, bound, out, scratch(1, x.shape[0]))


_fixed = _Kernel(_fixed_call)
_adaptive = _Kernel(_adaptive_call)
_map = _Kernel(_map_call)


def _hermite_formula(x0, x1, f0, f1, h, u):
    """Cubic Hermite interpolation between grid values ``x0``, ``x1`` (derivatives ``f0``, ``f1``)
    at fraction ``u`` of the step ``h``: 4th order. Scalars in the compiled delay stages
    (``_hermite_at``), NumPy arrays when the history is sampled (``_hermite``)."""
    u2, u3 = u * u, u * u * u
    return (2 * u3 - 3 * u2 + 1) * x0 + (u3 - 2 * u2 + u) * h * f0 + (-2 * u3 + 3 * u2) * x1 + (u3 - u2) * h * f1


_hermite_at = njit(inline="always", nogil=True)(_hermite_formula)


def _delay_steps(f, tab, xs, fs, m, h, p, noise, seed, bound):
    """Fill ``xs[1:]`` for ``x' = f(x(t), x(t - m h))``, one ``tab`` step per grid interval, each
    stage reading the history at its own time (Hermite between grid points); ``fs`` holds ``x'``."""
    n, a, b, c = xs.shape[0], tab.a, tab.b, tab.c
    S = b.shape[0]
    state, K = scratch(1, 2)[0], scratch(S, 1)
    x0 = xs[0]
    if noise != 0.0:
        np.random.seed(seed)
    for j in range(n - 1):
        ja, jb = j - m, j - m + 1  # the history interval [t - tau, t - tau + h]
        xa, fa = (x0, 0.0) if ja < 0 else (xs[ja], fs[ja])
        xb, fb = (x0, 0.0) if jb < 0 else (xs[jb], fs[jb])
        x = xs[j]
        for s in range(S):
            acc = 0.0
            for i in range(s):
                acc += a[s, i] * K[i, 0]
            state[0], state[1] = x + h * acc, _hermite_at(xa, xb, fa, fb, h, c[s])
            call_rhs(f, j * h + c[s] * h, state, p, K, s)
        fs[j] = K[0, 0]
        acc = 0.0
        for s in range(S):
            acc += b[s] * K[s, 0]
        xn = x + h * acc
        if noise != 0.0:
            xn += noise * math.sqrt(h) * np.random.standard_normal()
        if not np.isfinite(xn):
            return _NONFINITE, j + 1
        if abs(xn) > bound:
            return _BOUND, j + 1
        xs[j + 1] = xn
    ja = n - 1 - m
    state[0], state[1] = xs[n - 1], (x0 if ja < 0 else xs[ja])
    call_rhs(f, (n - 1) * h, state, p, K, 0)
    fs[n - 1] = K[0, 0]
    return _OK, n


_delay = _Kernel(_delay_steps)


def _ensemble_members(f, X0, p, scheme, fixed, adaptive, dt, step, substeps, rtol, atol, noise, seed, bound, max_steps, out, status):
    """Each member of ``X0`` in turn on this thread (by ``scheme``, with the ``fixed`` or the
    ``adaptive`` tableau); a diverged member is NaN from then on."""
    d = X0.shape[1]
    work = scratch(max(_work_rows(fixed), _work_rows(adaptive)), d)  # once: members reuse it
    x = scratch(1, d)[0]
    for m in range(X0.shape[0]):
        x[:] = X0[m]
        out[m, 0] = x
        if scheme == Scheme.MAP:
            st, done, _ = _iterate_map(f, x, p, 0, noise, seed + m, bound, out[m, 1:], work)
        elif scheme == Scheme.FIXED:
            st, done, _ = _fixed_steps(f, fixed, x, p, 0.0, step, substeps, noise, seed + m, bound, out[m, 1:], work)
        else:
            st, done, _, _, _, _, _ = _adaptive_steps(f, adaptive, x, p, 0.0, -1.0, False, 1, dt, rtol, atol, bound,
                                                      max_steps, out[m, 1:], work)
        status[m] = st
        if st != _OK:
            out[m, 1 + done:] = np.nan


_ensemble = _Kernel(_ensemble_members)

# A system's own compiled step inlines its right-hand side (Lorenz: about 3x faster than through
# the shared pointer) but costs a compile per process (about a second): worth it above this many
# right-hand-side evaluations in one call
SPECIALISE_ABOVE = 30_000_000
KERNELS = ("auto", "shared", "specialised")


def _rhs_for(system: System, evaluations: float, kernel: str):
    """The right-hand side an integrator is compiled against: shared pointer or the system's own."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if kernel == "auto":
        kernel = "specialised" if evaluations >= SPECIALISE_ABOVE else "shared"
    return system.rhs_jit if kernel == "specialised" else system.rhs_kernel


# ---------------------------------------------------------------------------------------------
# Python front end


def _bounds(system: System) -> np.ndarray:
    """Divergence threshold per coordinate: far outside the attractor, never for unbounded ones."""
    scale = 1.0
    if system.mean is not None and system.std is not None:
        scale = float(np.max(np.abs(system.mean) + system.std))
    bound = np.full(system.state_dim, max(1e6, 1e4 * scale))
    for i in system.unbounded_indices:
        if i < system.state_dim:
            bound[i] = np.inf
    return bound


def _noise_amplitude(system: System, noise: float) -> np.ndarray:
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}") from None
    if noise < 0 or not np.isfinite(noise):
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    std = system.std if system.std is not None and len(system.std) == system.state_dim else np.ones(system.state_dim)
    return np.ascontiguousarray(noise * np.asarray(std, dtype=float))


def _initial_condition(system: System, ic) -> np.ndarray:
    x0 = np.array(system.ic if ic is None else ic, dtype=np.float64).ravel()
    if system.kind == "delay":
        x0 = x0[:1]
    if x0.shape != (system.state_dim,):
        raise ValueError(f"{system.name}: initial condition must have {system.state_dim} values, got {x0.size}")
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"{system.name}: initial condition must be finite, got {x0}")
    return x0


def _failure(system: System, status: int, t: float, method: str, h: float | None) -> IntegrationError:
    what = {
        _NONFINITE: "produced a non-finite value",
        _BOUND: f"left every plausible range (|x| > {_bounds(system).min():.0e})",
        _STEP_UNDERFLOW: "needed a vanishing step (the solution is singular or stiff there)",
        _MAX_STEPS: "needed too many steps (the problem is stiff, the tolerance too tight or dt too large)",
    }[status]
    fixes = []
    changed = system.changed_params()
    if changed:
        fixes.append(
            "return "
            + ", ".join(f"{k} towards its published {system.published_params[k]:g}" for k in changed if np.ndim(changed[k]) == 0)
        )
    if method in ("rk4", "heun") and h is not None:
        fixes.append(f"use a smaller step than h={h:g}" + (" or method='dop853'" if method == "rk4" else ""))
    elif method == "dop853" and status in (_STEP_UNDERFLOW, _MAX_STEPS):
        fixes.append("loosen rtol/atol")
    if not fixes:
        fixes.append("check the initial condition")
    return IntegrationError(f"{system.name} {what} at t={t:.4g}; {' or '.join(fixes)}")


# adaptive steps one call may take: per point asked for (a well-posed sampling needs a handful;
# Lorenz at dt = 10^12 would otherwise take 18 s to give up), and in all
STEPS_PER_POINT = 10_000
MAX_STEPS = 50_000_000

# the largest output one call may allocate: beyond it numpy would fail (or swap) mid-way
MAX_OUTPUT_BYTES = 4 * 2**30


def _checked(system: System, n, dt, rtol, atol, method: str) -> tuple[int, float, float, float]:
    """The arguments ``trajectory`` and ``ensemble`` share, checked: ``n``, ``dt`` (the system's
    own when None), the tolerances and the method; a ``ValueError`` names the one that is wrong."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    n, dt = _count("n", n, 1), _positive("dt", system.dt if dt is None else dt)
    return (n, dt, *_tolerances(rtol, atol))


def _count(name: str, value, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or not np.isfinite(value) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive(name: str, value, minimum: float = 0.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (np.isfinite(value) and value > minimum):
        raise ValueError(f"{name} must be a finite number > {minimum:g}, got {value!r}")
    return value


def _tolerances(rtol, atol) -> tuple[float, float]:
    # below ~100 machine epsilons the error estimate is rounding noise and steps underflow
    rtol = _positive("rtol", rtol, 1e-14) if not (isinstance(rtol, (int, float)) and rtol == 0) else None
    if rtol is None:
        raise ValueError("rtol must be > 1e-14 (relative tolerance; 1e-9 is the default, 1e-6 is quick)")
    atol = float(atol)
    if not (np.isfinite(atol) and atol >= 0):
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")
    return rtol, atol


def _refuse_large(system: System, rows: int, what: str, members: int = 1) -> None:
    size = rows * members * system.dim * 8
    if size > MAX_OUTPUT_BYTES:
        raise ValueError(
            f"{what} of {system.name} would need {size / 2**30:.3g} GiB (limit {MAX_OUTPUT_BYTES / 2**30:g} GiB, "
            "integrate.MAX_OUTPUT_BYTES); ask for fewer points, fewer members or a larger dt")


def _substeps(system: System, dt: float, h: float | None) -> tuple[int, float]:
    """Internal fixed steps per output interval, and the step itself (``h`` rounded to fit)."""
    target = _positive("h", h) if h is not None else (system.integrator_dt or dt)
    m = max(1, math.ceil(dt / target - 1e-9))
    return m, dt / m


def trajectory(
    system: System,
    n: int = 10_000,
    dt: float | None = None,
    ic=None,
    transient: int = 0,
    method: str = "dop853",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    noise: float = 0.0,
    seed: int | None = None,
    h: float | None = None,
    postprocess: bool = True,
    max_steps: int | None = None,
    kernel: str = "auto",
    progress=None,
    stop=None,
) -> Trajectory:
    """Integrate ``system`` and sample ``n`` points every ``dt`` after ``transient`` discarded points.

    ``dt`` defaults to ``system.dt``; ``h`` is the internal step of fixed-step schemes (RK4,
    stochastic Heun, delay equations), by default the largest step not above
    ``system.integrator_dt`` that divides ``dt``. ``noise`` adds Brownian forcing of amplitude
    ``noise × std`` per coordinate (std from dysts's metadata), integrated by stochastic Heun.
    ``progress(fraction)`` is called between chunks; setting the ``stop`` event ends the
    integration early and returns the points computed so far. ``kernel`` picks the compiled
    integrator: ``"shared"`` (one for every system), ``"specialised"`` (compiled for this system,
    faster, a compile per process) or ``"auto"`` (specialised for long runs). ``max_steps``
    bounds the adaptive steps (default ``STEPS_PER_POINT`` per point asked for, within
    ``MAX_STEPS``): an absurd ``dt`` is refused in milliseconds, not after seconds of a worker.

    Raises ``IntegrationError`` when the solution diverges, naming the time and a likely fix, and
    ``ValueError`` for arguments it cannot honour (naming the argument, the limit and the fix).
    """
    n, dt, rtol, atol = _checked(system, n, dt, rtol, atol, method)
    transient = _count("transient", transient, 0)
    total = n + transient
    max_steps = _count("max_steps", max_steps, 1) if max_steps is not None else \
        min(MAX_STEPS, max(100_000, STEPS_PER_POINT * total))
    _refuse_large(system, total, f"{n} points after a transient of {transient}")
    x = _initial_condition(system, ic)
    rng = np.random.SeedSequence(seed)
    start = time.perf_counter()

    if system.kind == "delay":
        xs, info = _integrate_delay(system, x, total, dt, h, noise, rng, kernel)
    else:
        xs = np.empty((total, system.state_dim))
        xs[0] = x
        info = _integrate_chunks(system, xs, x, dt, method, rtol, atol, noise, rng, h, max_steps, kernel, progress, stop)
    xs = xs[transient : info.pop("rows")]
    info["wall_time"] = time.perf_counter() - start
    t = (np.arange(len(xs)) + transient) * dt
    if postprocess:
        xs = system.postprocess(xs)
    return Trajectory(t=t, x=xs, system=system, method=info.pop("method"), info=info)


def _integrate_chunks(system, xs, x, dt, method, rtol, atol, noise, rng, h, max_steps, kernel, progress, stop) -> dict:
    p, bound = system.param_vector, _bounds(system)
    amp = _noise_amplitude(system, noise)
    total = xs.shape[0]
    if system.kind == "flow" and noise > 0:
        method = "heun"  # stochastic Heun: the fixed-step scheme for additive noise
    substeps, step = _substeps(system, dt, h) if system.kind == "flow" else (1, 1.0)
    tableau = {"rk4": RK4, "heun": HEUN, "dop853": DOP853}.get(method, RK4)
    # adaptive steps: about one per output point at the catalog's sampling (100 per period)
    per_row = 1 if system.kind == "map" else tableau.stages * (1 if method == "dop853" else substeps)
    evaluations = total * per_row
    f = _rhs_for(system, evaluations, kernel)
    t, h_adaptive, rejected_last, steps, rejected = 0.0, -1.0, False, 0, 0
    row = 1
    chunk_seeds = iter(rng.generate_state(total // _CHUNK + 2))
    while row < total:
        if stop is not None and stop.is_set():
            break
        end = min(total, row + _CHUNK)
        out = xs[row:end]
        if system.kind == "map":
            status, done, t = _map(f, x, p, int(t), amp, int(next(chunk_seeds)), bound, out)
        elif method == "dop853":
            status, done, t, h_adaptive, rejected_last, s, r = _adaptive(
                f, DOP853, x, p, t, h_adaptive, rejected_last, row, dt, rtol, atol, bound, max_steps - steps, out)
            steps, rejected = steps + s, rejected + r
        else:
            status, done, t = _fixed(f, tableau, x, p, t, step, substeps, amp, int(next(chunk_seeds)), bound, out)
            steps += done * substeps
        row += done
        if status != _OK:
            raise _failure(system, status, t, method, step if method != "dop853" else None)
        if progress is not None:
            progress(row / total)
    info = {"rows": row, "steps": steps, "rejected": rejected, "method": method if system.kind == "flow" else "map"}
    if system.kind == "flow" and method != "dop853":
        info["h"] = step
    return info


def _integrate_delay(system, x0, total, dt, h, noise, rng, kernel):
    tau = system.delay_tau
    if not tau > 0:
        raise ValueError(f"{system.name}: the delay tau must be positive, got {tau}")
    # the fine step divides both tau (history on the grid) and dt (output on the grid)
    target = h if h is not None else min(system.integrator_dt or dt, dt, tau / 20)
    per_out = max(1, math.ceil(dt / target - 1e-9))
    step = dt / per_out
    m = max(1, round(tau / step))
    step_tau = tau / m
    # integrate on the finer of the two grids that puts tau on a node
    step = min(step, step_tau)
    m = max(1, round(tau / step))
    span = (total - 1) * dt + tau
    n_fine = int(math.ceil(span / step)) + 2
    if n_fine > _MAX_DELAY_GRID:
        raise ValueError(
            f"{system.name}: {total} points at dt={dt:g} need {n_fine:.2e} delay steps; "
            f"ask for fewer points or a larger dt (at most {_MAX_DELAY_GRID:.0e} steps)"
        )
    xs = np.empty(n_fine)
    fs = np.empty(n_fine)
    xs[0] = x0[0]
    amp = float(_noise_amplitude(system, noise)[0])
    f = _rhs_for(system, n_fine * RK4.stages, kernel)
    status, done = _delay(f, RK4, xs, fs, m, step, system.param_vector, amp,
                          int(rng.generate_state(1)[0]), float(_bounds(system)[0]))
    if status != _OK:
        raise _failure(system, status, done * step, "rk4", step)
    # sample the delay embedding x(t - k tau/(dim-1)) on the output grid, starting at t = tau
    t_out = tau + np.arange(total) * dt
    lags = np.linspace(0.0, tau, system.dim)
    emb = np.stack([_hermite(xs, fs, step, t_out - lag) for lag in lags], axis=1)
    return emb, {"rows": total, "steps": n_fine - 1, "h": step, "method": "delay-rk4"}


def _hermite(xs: np.ndarray, fs: np.ndarray, step: float, t: np.ndarray) -> np.ndarray:
    """The grid values ``xs`` (derivatives ``fs``, spacing ``step``) interpolated at times ``t``."""
    i = np.clip(np.floor(t / step).astype(np.int64), 0, len(xs) - 2)
    return _hermite_formula(xs[i], xs[i + 1], fs[i], fs[i + 1], step, t / step - i)


# ---------------------------------------------------------------------------------------------
# Ensembles


def ensemble(
    system: System,
    ics,
    n: int = 1000,
    dt: float | None = None,
    method: str = "rk4",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    noise: float = 0.0,
    seed: int | None = None,
    h: float | None = None,
    postprocess: bool = True,
    on_divergence: str = "raise",
    max_steps: int = 10_000_000,
    kernel: str = "auto",
) -> np.ndarray:
    """Integrate many initial conditions at once: ``(n_ics, n, dim)``, split across numba's
    threads (``NUMBA_NUM_THREADS``: all cores in a notebook, one per job on the lab's workers,
    where the cluster, not this function, spreads work over the cores).

    ``method`` defaults to RK4 (the same number of steps per member balances the cores). With
    ``on_divergence="nan"`` members that diverge are NaN from the point of divergence on;
    with ``"raise"`` (default) an ``IntegrationError`` says how many diverged.
    """
    if system.kind == "delay":
        raise ValueError(f"{system.name} is a delay system: integrate its members with trajectory()")
    n, dt, rtol, atol = _checked(system, n, dt, rtol, atol, method)
    max_steps = _count("max_steps", max_steps, 1)
    if on_divergence not in ("raise", "nan"):
        raise ValueError("on_divergence must be 'raise' or 'nan'")
    try:
        X0 = np.ascontiguousarray(np.atleast_2d(np.asarray(ics, dtype=np.float64)))
    except (TypeError, ValueError):
        raise ValueError(f"{system.name}: initial conditions must be numbers, shaped (n_ics, {system.state_dim})") from None
    if X0.ndim != 2 or X0.shape[1] != system.state_dim or X0.shape[0] == 0:
        raise ValueError(f"{system.name}: initial conditions must be (n_ics, {system.state_dim}), got {X0.shape}")
    if not np.all(np.isfinite(X0)):
        raise ValueError(f"{system.name}: initial conditions must be finite")
    _refuse_large(system, n, f"{X0.shape[0]} members of {n} points", members=X0.shape[0])
    out = np.empty((X0.shape[0], n, system.state_dim))
    status = np.zeros(X0.shape[0], dtype=np.int64)
    if system.kind == "map":
        scheme, tableau = Scheme.MAP, RK4
    elif method == "dop853" and noise == 0:
        scheme, tableau = Scheme.ADAPTIVE, DOP853
    else:
        scheme, tableau = Scheme.FIXED, (HEUN if noise > 0 else RK4)
    substeps, step = _substeps(system, dt, h) if system.kind == "flow" else (1, 1.0)
    amp, bound = _noise_amplitude(system, noise), _bounds(system)
    base_seed = int(np.random.SeedSequence(seed).generate_state(1)[0] % (2**31))
    per_row = 1 if scheme == Scheme.MAP else tableau.stages * (1 if scheme == Scheme.ADAPTIVE else substeps)
    evaluations = out.shape[0] * n * per_row
    f, p = _rhs_for(system, evaluations, kernel), system.param_vector
    n_threads = min(numba.config.NUMBA_NUM_THREADS, X0.shape[0])  # read, not launched
    bounds = np.linspace(0, X0.shape[0], n_threads + 1).astype(int)
    with ThreadPoolExecutor(max_workers=n_threads) as threads:  # the kernel releases the GIL
        for part in [threads.submit(_ensemble, f, X0[a:b], p, scheme, tableau if tableau is not DOP853 else RK4, DOP853, dt, step, substeps, rtol, atol, amp,
                                    base_seed + a, bound, max_steps, out[a:b], status[a:b])
                     for a, b in zip(bounds[:-1], bounds[1:]) if b > a]:
            part.result()
    failed = int(np.count_nonzero(status))
    if failed and on_divergence == "raise":
        first = int(np.flatnonzero(status)[0])
        raise IntegrationError(
            f"{system.name}: {failed} of {len(status)} ensemble members diverged (first: member {first}); "
            "start them closer to the attractor, lower the step, or pass on_divergence='nan'"
        )
    return system.postprocess(out) if postprocess else out
