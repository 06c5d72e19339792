"""Compiled integrators shared by every system: DOP853, RK4, stochastic Heun, maps, delay equations.

Each integrator is a numba kernel compiled once (and cached on disk) against the function-pointer
type of ``core.compiled``; a system brings only its right-hand side. Kernels release the GIL, so
ensembles run on all cores through threads and a long integration never blocks a web server.

Methods
-------
``"dop853"``  Dormand–Prince 8(5,3) with step-size control and 7th-order dense output onto the
              uniform output grid (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.5 and II.10;
              tableau as in scipy's DOP853).
``"rk4"``     classical fixed-step Runge–Kutta; ``h`` is the internal step.
noise > 0     additive noise by the stochastic Heun scheme (strong order 1 for additive noise;
              Kloeden & Platen 1992), amplitude ``noise × std`` of each coordinate.
maps          iteration, ``x_{k+1} = f(x_k) + noise``.
delay         fixed-step RK4 for ``x' = f(x(t), x(t - tau))`` with the delay on the grid
              (``tau = m h``) and cubic Hermite interpolation of the history at half steps;
              constant history ``x(t <= 0) = x0``, as dysts assumes.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np
from numba import njit
from scipy.integrate._ivp import dop853_coefficients as _tableau

from core.systems import System

METHODS = ("dop853", "rk4")

# Butcher tableau of DOP853, as data (16 stages: 12 for the step and 3 more for dense output)
_A = np.ascontiguousarray(_tableau.A, dtype=np.float64)
_B = np.ascontiguousarray(_tableau.B, dtype=np.float64)
_C = np.ascontiguousarray(_tableau.C, dtype=np.float64)
_E3 = np.ascontiguousarray(_tableau.E3, dtype=np.float64)
_E5 = np.ascontiguousarray(_tableau.E5, dtype=np.float64)
_D = np.ascontiguousarray(_tableau.D, dtype=np.float64)

_OK, _NONFINITE, _BOUND, _STEP_UNDERFLOW, _MAX_STEPS = 0, 1, 2, 3, 4
_CHUNK = 1 << 16  # output points per kernel call: the granularity of progress and stop
_MAX_DELAY_GRID = 50_000_000  # fine-grid points a delay integration may hold (400 MB)


class IntegrationError(RuntimeError):
    """An integration that diverged or could not proceed; the message says what to change."""


@dataclass(frozen=True)
class Trajectory:
    """Samples ``x[k] = x(t[k])`` on a uniform grid; ``x`` is ``(time, dim)``."""

    t: np.ndarray
    x: np.ndarray
    system: System | None = None
    method: str = ""
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


# ---------------------------------------------------------------------------------------------
# Kernels


@njit(cache=True, nogil=True)
def _check(x, bound):
    for i in range(x.shape[0]):
        if not np.isfinite(x[i]):
            return _NONFINITE
        if abs(x[i]) > bound[i]:
            return _BOUND
    return _OK


@njit(cache=True, nogil=True)
def _eval_rhs(f, x, p, t, out):
    f(t, x.ctypes, p.ctypes, out.ctypes)


@njit(cache=True, nogil=True)
def _fixed_step(f, x, p, t, h, substeps, noise, seed, bound, out):
    """Advance ``x`` (in place) by ``substeps`` steps of ``h`` per output row of ``out``.

    RK4 without noise, stochastic Heun with it. Returns ``(status, rows_done, t)``.
    """
    d = x.shape[0]
    k1, k2, k3, k4, y = np.empty(d), np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    dw = np.empty(d)
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
                f(t, x.ctypes, p.ctypes, k1.ctypes)
                for i in range(d):
                    dw[i] = noise[i] * sqrt_h * np.random.standard_normal()
                    y[i] = x[i] + h * k1[i] + dw[i]
                f(t + h, y.ctypes, p.ctypes, k2.ctypes)
                for i in range(d):
                    x[i] += 0.5 * h * (k1[i] + k2[i]) + dw[i]
            else:
                f(t, x.ctypes, p.ctypes, k1.ctypes)
                for i in range(d):
                    y[i] = x[i] + 0.5 * h * k1[i]
                f(t + 0.5 * h, y.ctypes, p.ctypes, k2.ctypes)
                for i in range(d):
                    y[i] = x[i] + 0.5 * h * k2[i]
                f(t + 0.5 * h, y.ctypes, p.ctypes, k3.ctypes)
                for i in range(d):
                    y[i] = x[i] + h * k3[i]
                f(t + h, y.ctypes, p.ctypes, k4.ctypes)
                for i in range(d):
                    x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            t += h
        status = _check(x, bound)
        if status != _OK:
            return status, row, t
        out[row] = x
    return _OK, out.shape[0], t


@njit(cache=True, nogil=True)
def _rms(v, scale):
    s = 0.0
    for i in range(v.shape[0]):
        s += (v[i] / scale[i]) ** 2
    return math.sqrt(s / v.shape[0])


@njit(cache=True, nogil=True)
def _initial_step(f, x, p, t, f0, rtol, atol):
    # Hairer, Nørsett & Wanner (1993), Sec. II.4, with the error order of DOP853
    d = x.shape[0]
    scale = np.empty(d)
    for i in range(d):
        scale[i] = atol + abs(x[i]) * rtol
    d0, d1 = _rms(x, scale), _rms(f0, scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    y1, f1 = np.empty(d), np.empty(d)
    for i in range(d):
        y1[i] = x[i] + h0 * f0[i]
    f(t + h0, y1.ctypes, p.ctypes, f1.ctypes)
    for i in range(d):
        y1[i] = f1[i] - f0[i]
    d2 = _rms(y1, scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
    return min(100.0 * h0, h1)


@njit(cache=True, nogil=True)
def _stages(f, x, p, t, h, K, A, C, y, first, last):
    """Runge–Kutta stages ``K[first:last]`` from the rows before them (``y`` is scratch)."""
    for s in range(first, last):
        for i in range(x.shape[0]):
            acc = 0.0
            for j in range(s):
                acc += A[s, j] * K[j, i]
            y[i] = x[i] + h * acc
        f(t + C[s] * h, y.ctypes, p.ctypes, K[s].ctypes)


@njit(cache=True, nogil=True)
def _dop853(f, x, p, t, h, rejected_last, first, dt_out, rtol, atol, bound, max_steps, out, A, B, C, E3, E5, D):
    """Adaptive DOP853 from ``(t, x)``; ``out[k] = x((first + k) dt_out)`` by dense output.

    ``x`` is advanced in place past the last output time (steps never depend on the output
    grid, so chunked calls that pass back ``h`` and ``rejected_last`` give the same trajectory).
    ``h <= 0`` asks for an initial guess. Returns
    ``(status, rows_done, t, h, rejected_last, steps, rejected)``.
    """
    d = x.shape[0]
    K = np.empty((16, d))
    y, x_new, scale, err3, err5 = np.empty(d), np.empty(d), np.empty(d), np.empty(d), np.empty(d)
    F = np.empty((7, d))
    f(t, x.ctypes, p.ctypes, K[0].ctypes)
    if h <= 0.0:
        h = _initial_step(f, x, p, t, K[0], rtol, atol)
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
        _stages(f, x, p, t, h, K, A, C, y, 1, 12)
        for i in range(d):
            acc = 0.0
            for j in range(12):
                acc += B[j] * K[j, i]
            x_new[i] = x[i] + h * acc
        f(t + h, x_new.ctypes, p.ctypes, K[12].ctypes)
        for i in range(d):
            scale[i] = atol + max(abs(x[i]), abs(x_new[i])) * rtol
            a3, a5 = 0.0, 0.0
            for j in range(13):
                a3 += E3[j] * K[j, i]
                a5 += E5[j] * K[j, i]
            err3[i] = a3 / scale[i]
            err5[i] = a5 / scale[i]
        e5, e3 = 0.0, 0.0
        for i in range(d):
            e5 += err5[i] ** 2
            e3 += err3[i] ** 2
        if e5 == 0.0 and e3 == 0.0:
            error = 0.0
        else:
            error = abs(h) * e5 / math.sqrt((e5 + 0.01 * e3) * d)
        if not np.isfinite(error):
            error = 1e10
        if error >= 1.0:
            h *= max(0.2, 0.9 * error ** (-1.0 / 8.0))
            rejected += 1
            rejected_last = True
            continue
        # accepted: the extra stages of the 7th-order interpolant, then the output rows
        t_new = t + h
        if row < n_out and (first + row) * dt_out <= t_new:
            _stages(f, x, p, t, h, K, A, C, y, 13, 16)
            for i in range(d):
                dy = x_new[i] - x[i]
                F[0, i] = dy
                F[1, i] = h * K[0, i] - dy
                F[2, i] = 2.0 * dy - h * (K[12, i] + K[0, i])
                for r in range(4):
                    acc = 0.0
                    for j in range(16):
                        acc += D[r, j] * K[j, i]
                    F[3 + r, i] = h * acc
            while row < n_out and (first + row) * dt_out <= t_new:
                theta = ((first + row) * dt_out - t) / h
                for i in range(d):
                    v = 0.0
                    for r in range(6, -1, -1):
                        v += F[r, i]
                        v *= theta if (6 - r) % 2 == 0 else 1.0 - theta
                    out[row, i] = x[i] + v
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
            K[0, i] = K[12, i]
        factor = 10.0 if error == 0.0 else min(10.0, 0.9 * error ** (-1.0 / 8.0))
        if rejected_last:
            factor = min(1.0, factor)
        rejected_last = False
        h *= factor
    return _OK, row, t, h, rejected_last, steps, rejected


@njit(cache=True, nogil=True)
def _iterate_map(f, x, p, k, noise, seed, bound, out):
    """Iterate ``x`` (in place) from iteration ``k``, one output row per iterate."""
    d = x.shape[0]
    y = np.empty(d)
    noisy = False
    for i in range(d):
        if noise[i] != 0.0:
            noisy = True
    if noisy:
        np.random.seed(seed)
    for row in range(out.shape[0]):
        f(float(k), x.ctypes, p.ctypes, y.ctypes)
        for i in range(d):
            x[i] = y[i] + (noise[i] * np.random.standard_normal() if noisy else 0.0)
        k += 1
        status = _check(x, bound)
        if status != _OK:
            return status, row, float(k)
        out[row] = x
    return _OK, out.shape[0], float(k)


@njit(cache=True, nogil=True)
def _hermite_mid(x0, x1, f0, f1, h):
    return 0.5 * (x0 + x1) + h * (f0 - f1) / 8.0


@njit(cache=True, nogil=True)
def _delay_rk4(f, xs, fs, m, h, p, noise, seed, bound):
    """Fill ``xs[1:]`` for ``x' = f(x(t), x(t - m h))`` with RK4; ``fs`` holds ``x'`` on the grid."""
    n = xs.shape[0]
    state, out = np.empty(2), np.empty(1)
    x0 = xs[0]
    if noise != 0.0:
        np.random.seed(seed)

    def lagged(j):
        return (x0, 0.0) if j < 0 else (xs[j], fs[j])

    for j in range(n - 1):
        t = j * h
        xa, fa = lagged(j - m)
        xb, fb = lagged(j - m + 1)
        xmid = _hermite_mid(xa, xb, fa, fb, h)
        x = xs[j]
        state[0], state[1] = x, xa
        f(t, state.ctypes, p.ctypes, out.ctypes)
        k1 = out[0]
        fs[j] = k1
        state[0], state[1] = x + 0.5 * h * k1, xmid
        f(t + 0.5 * h, state.ctypes, p.ctypes, out.ctypes)
        k2 = out[0]
        state[0] = x + 0.5 * h * k2
        f(t + 0.5 * h, state.ctypes, p.ctypes, out.ctypes)
        k3 = out[0]
        state[0], state[1] = x + h * k3, xb
        f(t + h, state.ctypes, p.ctypes, out.ctypes)
        k4 = out[0]
        xn = x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if noise != 0.0:
            xn += noise * math.sqrt(h) * np.random.standard_normal()
        if not np.isfinite(xn):
            return _NONFINITE, j + 1
        if abs(xn) > bound:
            return _BOUND, j + 1
        xs[j + 1] = xn
    xa, fa = lagged(n - 1 - m)
    state[0], state[1] = xs[n - 1], xa
    f((n - 1) * h, state.ctypes, p.ctypes, out.ctypes)
    fs[n - 1] = out[0]
    return _OK, n


# ---------------------------------------------------------------------------------------------
# Python front end


def evaluate_rhs(system: System, x: np.ndarray, t: float = 0.0) -> np.ndarray:
    """The system's right-hand side (or map) at state ``x``."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.shape != (system.source.dim if system.source.delay else system.state_dim,):
        raise ValueError(f"{system.name}: state must have shape ({system.state_dim},), got {x.shape}")
    out = np.empty(1 if system.kind == "delay" else system.state_dim)
    _eval_rhs(system.rhs_kernel, x, system.param_vector, float(t), out)
    return out


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
        _MAX_STEPS: "needed too many steps (the problem is stiff or the tolerance too tight)",
    }[status]
    fixes = []
    changed = system.changed_params()
    if changed:
        fixes.append(
            "return "
            + ", ".join(f"{k} towards its published {system.published_params[k]:g}" for k in changed if np.ndim(changed[k]) == 0)
        )
    if method == "rk4" and h is not None:
        fixes.append(f"use a smaller step than h={h:g} or method='dop853'")
    elif method == "dop853" and status in (_STEP_UNDERFLOW, _MAX_STEPS):
        fixes.append("loosen rtol/atol")
    if not fixes:
        fixes.append("check the initial condition")
    return IntegrationError(f"{system.name} {what} at t={t:.4g}; {' or '.join(fixes)}")


def _validate(n: int, dt: float, transient: int) -> None:
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt}")
    if int(transient) != transient or transient < 0:
        raise ValueError(f"transient must be an integer >= 0, got {transient}")


def _substeps(system: System, dt: float, h: float | None) -> tuple[int, float]:
    """Internal fixed steps per output interval, and the step itself (``h`` rounded to fit)."""
    target = h if h is not None else (system.integrator_dt or dt)
    if not (np.isfinite(target) and target > 0):
        raise ValueError(f"h must be a positive number, got {h}")
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
    max_steps: int = 50_000_000,
    progress=None,
    stop=None,
) -> Trajectory:
    """Integrate ``system`` and sample ``n`` points every ``dt`` after ``transient`` discarded points.

    ``dt`` defaults to ``system.dt``; ``h`` is the internal step of fixed-step schemes (RK4,
    stochastic Heun, delay equations), by default the largest step not above
    ``system.integrator_dt`` that divides ``dt``. ``noise`` adds Brownian forcing of amplitude
    ``noise × std`` per coordinate (std from dysts's metadata), integrated by stochastic Heun.
    ``progress(fraction)`` is called between chunks; setting the ``stop`` event ends the
    integration early and returns the points computed so far.

    Raises ``IntegrationError`` when the solution diverges, naming the time and a likely fix.
    """
    dt = float(system.dt if dt is None else dt)
    _validate(n, dt, transient)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    total = int(n) + int(transient)
    x = _initial_condition(system, ic)
    rng = np.random.SeedSequence(seed)
    start = time.perf_counter()

    if system.kind == "delay":
        xs, info = _integrate_delay(system, x, total, dt, h, noise, rng)
    else:
        xs = np.empty((total, system.state_dim))
        xs[0] = x
        info = _integrate_chunks(system, xs, x, dt, method, rtol, atol, noise, rng, h, max_steps, progress, stop)
    xs = xs[int(transient) : info.pop("rows")]
    info["wall_time"] = time.perf_counter() - start
    t = (np.arange(len(xs)) + int(transient)) * dt
    if postprocess:
        xs = system.postprocess(xs)
    return Trajectory(t=t, x=xs, system=system, method=method if system.kind == "flow" else system.kind, info=info)


def _integrate_chunks(system, xs, x, dt, method, rtol, atol, noise, rng, h, max_steps, progress, stop) -> dict:
    f, p, bound = system.rhs_kernel, system.param_vector, _bounds(system)
    amp = _noise_amplitude(system, noise)
    total = xs.shape[0]
    if system.kind == "flow" and noise > 0:
        method = "rk4"  # stochastic Heun is the fixed-step scheme with noise
    substeps, step = _substeps(system, dt, h) if system.kind == "flow" else (1, 1.0)
    t, h_adaptive, rejected_last, steps, rejected = 0.0, -1.0, False, 0, 0
    row = 1
    chunk_seeds = iter(rng.generate_state(total // _CHUNK + 2))
    while row < total:
        if stop is not None and stop.is_set():
            break
        end = min(total, row + _CHUNK)
        out = xs[row:end]
        if system.kind == "map":
            status, done, t = _iterate_map(f, x, p, int(t), amp, int(next(chunk_seeds)), bound, out)
        elif method == "rk4":
            status, done, t = _fixed_step(f, x, p, t, step, substeps, amp, int(next(chunk_seeds)), bound, out)
            steps += done * substeps
        else:
            status, done, t, h_adaptive, rejected_last, s, r = _dop853(
                f, x, p, t, h_adaptive, rejected_last, row, dt, rtol, atol, bound, max_steps - steps, out,
                _A, _B, _C, _E3, _E5, _D,
            )
            steps, rejected = steps + s, rejected + r
        row += done
        if status != _OK:
            raise _failure(system, status, t, method, step if method == "rk4" else None)
        if progress is not None:
            progress(row / total)
    info = {"rows": row, "steps": steps, "rejected": rejected}
    if system.kind == "flow" and method == "rk4":
        info["h"] = step
    return info


def _integrate_delay(system, x0, total, dt, h, noise, rng):
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
    status, done = _delay_rk4(system.rhs_kernel, xs, fs, m, step, system.param_vector, amp,
                              int(rng.generate_state(1)[0]), float(_bounds(system)[0]))
    if status != _OK:
        raise _failure(system, status, done * step, "rk4", step)
    # sample the delay embedding x(t - k tau/(dim-1)) on the output grid, starting at t = tau
    t_out = tau + np.arange(total) * dt
    lags = np.linspace(0.0, tau, system.dim)
    emb = np.stack([_hermite(xs, fs, step, t_out - lag) for lag in lags], axis=1)
    return emb, {"rows": total, "steps": n_fine - 1, "h": step}


def _hermite(xs: np.ndarray, fs: np.ndarray, step: float, t: np.ndarray) -> np.ndarray:
    """Cubic Hermite interpolation of grid values ``xs`` with derivatives ``fs`` (4th order)."""
    i = np.clip(np.floor(t / step).astype(np.int64), 0, len(xs) - 2)
    u = t / step - i
    u2, u3 = u * u, u * u * u
    return (
        (2 * u3 - 3 * u2 + 1) * xs[i]
        + (u3 - 2 * u2 + u) * step * fs[i]
        + (-2 * u3 + 3 * u2) * xs[i + 1]
        + (u3 - u2) * step * fs[i + 1]
    )


# ---------------------------------------------------------------------------------------------
# Ensembles


@njit(cache=True, nogil=True)
def _ensemble_kernel(f, X0, p, kind, dt, step, substeps, rtol, atol, noise, seed, bound, max_steps, out, status,
                     A, B, C, E3, E5, D):
    # kind: 0 rk4/Heun, 1 dop853, 2 map; one member after another on this thread
    for m in range(X0.shape[0]):
        x = X0[m].copy()
        out[m, 0] = x
        if kind == 2:
            st, done, _ = _iterate_map(f, x, p, 0, noise, seed + m, bound, out[m, 1:])
        elif kind == 0:
            st, done, _ = _fixed_step(f, x, p, 0.0, step, substeps, noise, seed + m, bound, out[m, 1:])
        else:
            st, done, _, _, _, _, _ = _dop853(f, x, p, 0.0, -1.0, False, 1, dt, rtol, atol, bound, max_steps, out[m, 1:],
                                           A, B, C, E3, E5, D)
        status[m] = st
        if st != _OK:
            out[m, 1 + done:] = np.nan


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
) -> np.ndarray:
    """Integrate many initial conditions at once: ``(n_ics, n, dim)``, split across numba's
    threads (``NUMBA_NUM_THREADS``: all cores in a notebook, one per job on the lab's workers,
    where the cluster, not this function, spreads work over the cores).

    ``method`` defaults to RK4 (the same number of steps per member balances the cores). With
    ``on_divergence="nan"`` members that diverge are NaN from the point of divergence on;
    with ``"raise"`` (default) an ``IntegrationError`` says how many diverged.
    """
    dt = float(system.dt if dt is None else dt)
    _validate(n, dt, 0)
    if system.kind == "delay":
        raise ValueError(f"{system.name} is a delay system: integrate its members with trajectory()")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if on_divergence not in ("raise", "nan"):
        raise ValueError("on_divergence must be 'raise' or 'nan'")
    X0 = np.ascontiguousarray(np.atleast_2d(np.asarray(ics, dtype=np.float64)))
    if X0.shape[1] != system.state_dim:
        raise ValueError(f"{system.name}: initial conditions must be (n_ics, {system.state_dim}), got {X0.shape}")
    if not np.all(np.isfinite(X0)):
        raise ValueError(f"{system.name}: initial conditions must be finite")
    out = np.empty((X0.shape[0], int(n), system.state_dim))
    status = np.zeros(X0.shape[0], dtype=np.int64)
    kind = 2 if system.kind == "map" else (0 if method == "rk4" or noise > 0 else 1)
    substeps, step = _substeps(system, dt, h) if system.kind == "flow" else (1, 1.0)
    amp, bound = _noise_amplitude(system, noise), _bounds(system)
    base_seed = int(np.random.SeedSequence(seed).generate_state(1)[0] % (2**31))
    f, p = system.rhs_kernel, system.param_vector
    n_threads = min(numba.config.NUMBA_NUM_THREADS, X0.shape[0])  # read, not launched
    bounds = np.linspace(0, X0.shape[0], n_threads + 1).astype(int)
    with ThreadPoolExecutor(max_workers=n_threads) as threads:  # the kernel releases the GIL
        for part in [threads.submit(_ensemble_kernel, f, X0[a:b], p, kind, dt, step, substeps, rtol, atol, amp,
                                    base_seed + a, bound, max_steps, out[a:b], status[a:b], _A, _B, _C, _E3, _E5, _D)
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
