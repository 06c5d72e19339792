"""Lyapunov diagnostics: spectra from tangent dynamics, Kaplan–Yorke dimension, Lyapunov time.

``spectrum`` integrates the variational equations ``dQ/dt = J(x) Q`` beside the trajectory and
re-orthonormalises ``Q`` periodically (Benettin et al. 1980, Meccanica 15:9; Shimada & Nagashima
1979, Prog. Theor. Phys. 61:1605). Jacobian–vector products are central differences of the
compiled right-hand side along each tangent vector, so every catalog system is supported, with a
relative step ``eps``; the exponents are the time averages of ``log R_ii`` of the QR steps.
A delay system's tangent space is infinite-dimensional: its leading exponents come from the
method of steps on a grid of N points per delay (Farmer 1982, Physica D 4:366), the integrator's
own Runge–Kutta steps and their linearisation (``delay_grid``, ``_delay_tangent``).

``covariant_vectors`` keeps the same run's Q and R factors and adds Ginelli et al.'s (2007, PRL 99,
130601) backward pass: the directions themselves, carried onto each other by the tangent dynamics.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from core.dynamics import integrate
from core.dynamics.integrate import _hermite_at
from core.dynamics.runge_kutta import RK4, call_rhs, data_pointer, row_pointer, scratch
from core.errors import IntegrationError, LyapunovError, NotChaotic, Stopped
from core.systems import System, compiled

log = logging.getLogger("chaoslab.lyapunov")


@dataclass(frozen=True)
class LyapunovResult:
    """``exponents`` (descending), their running estimates ``history[k]`` at times ``t[k]``."""

    exponents: np.ndarray
    history: np.ndarray
    t: np.ndarray
    wall_time: float = 0.0
    mean_trace: float | None = None  # time average of trace J (= div f) along the orbit
    jacobian: str = ""
    step: float | None = None
    grid_points: int | None = None  # a delay system's: method-of-steps points per delay

    @property
    def max(self) -> float:
        return float(self.exponents[0])


@njit(cache=True, nogil=True)
def _jv(f, x, v, p, t, eps, out, xp, fp):
    """Directional derivative ``J(x) v`` by central differences, into ``out``."""
    d = x.shape[0]
    along, norm_v = 0.0, 0.0
    for i in range(d):
        along += x[i] * v[i]
        norm_v += v[i] * v[i]
    norm_v = max(math.sqrt(norm_v), 1e-300)
    # scale by the state's size *along v*: a large unbounded coordinate (a phase, a clock)
    # must not coarsen the difference in the others
    step = eps * max(1.0, abs(along) / norm_v) / norm_v
    for i in range(d):
        xp[i] = x[i] + step * v[i]
    f(t, xp.ctypes, p.ctypes, out.ctypes)
    for i in range(d):
        xp[i] = x[i] - step * v[i]
    f(t, xp.ctypes, p.ctypes, fp.ctypes)
    for i in range(d):
        out[i] = (out[i] - fp[i]) / (2.0 * step)


@njit(cache=True, nogil=True)
def _gram_schmidt(Q, logs, R):
    """Orthonormalise the rows of ``Q`` in place (modified Gram–Schmidt); add log norms to ``logs``.

    With a ``(k, k)`` array ``R`` (an empty one records nothing) the triangular factor is kept:
    row ``a`` of the old ``Q`` is ``sum_{b <= a} R[b, a]`` times row ``b`` of the new one, i.e.
    ``Q_old.T = Q_new.T @ R`` with ``R`` upper triangular, what Ginelli's backward pass needs."""
    k, d = Q.shape
    record = R.shape[0] > 0
    for a in range(k):
        for b in range(a):
            dot = 0.0
            for i in range(d):
                dot += Q[a, i] * Q[b, i]
            for i in range(d):
                Q[a, i] -= dot * Q[b, i]
            if record:
                R[b, a] = dot
        norm = 0.0
        for i in range(d):
            norm += Q[a, i] * Q[a, i]
        norm = math.sqrt(norm)
        logs[a] += math.log(norm)
        for i in range(d):
            Q[a, i] /= norm
        if record:
            R[a, a] = norm
            for b in range(a + 1, k):
                R[b, a] = 0.0


@njit(inline="always", nogil=True)
def _jacobian_columns(f, t, x, p, d, eps, J, plus, minus, xp):
    """J(x) into the flattened ``J`` (row-major) by central differences, one column per pair of
    right-hand-side calls; each coordinate's step is relative to its own size (a large unbounded
    coordinate, a phase or a clock, must not coarsen the difference in the others)."""
    for i in range(d):
        xp[i] = x[i]
    for j in range(d):
        step = eps * max(1.0, abs(x[j]))
        xp[j] = x[j] + step
        f(t, data_pointer(xp), data_pointer(p), data_pointer(plus))
        xp[j] = x[j] - step
        f(t, data_pointer(xp), data_pointer(p), data_pointer(minus))
        xp[j] = x[j]
        for i in range(d):
            J[i * d + j] = (plus[i] - minus[i]) / (2.0 * step)


@njit(inline="always", nogil=True)
def _tangent_stage(f, jac, use_jac, d, k, eps, t, x, p, K, s, J, plus, minus, xp):
    """Row ``s`` of ``K`` = the tangent field at ``x = (x, Q, v)``: ``f(x)``, ``J(x) Q`` (Q's ``k``
    rows), ``trace J(x)``. Flat indices and raw pointers throughout: a view, a reshape or a
    ``.ctypes`` per stage cost more than the arithmetic."""
    f(t, data_pointer(x), data_pointer(p), row_pointer(K, s))
    if use_jac:
        jac(t, data_pointer(x), data_pointer(p), data_pointer(J))
    else:
        _jacobian_columns(f, t, x, p, d, eps, J, plus, minus, xp)
    trace = 0.0
    for i in range(d):
        trace += J[i * d + i]
    for a in range(k):
        row = d + a * d
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += J[i * d + j] * x[row + j]
            K[s, row + i] = acc
    K[s, d + k * d] = trace


@njit(inline="always", nogil=True)
def _tangent_steps(f, jac, use_jac, d, k, eps, z, p, t, h, count, K, y, J, plus, minus, xp):
    """``count`` classical RK4 steps of the tangent field on ``z`` (length ``n = d (k + 1) + 1``).
    Inlined where ``d`` and ``k`` are constants, the loops over them unroll."""
    n, half, sixth = d * (k + 1) + 1, 0.5 * h, h / 6.0
    for _ in range(count):
        _tangent_stage(f, jac, use_jac, d, k, eps, t, z, p, K, 0, J, plus, minus, xp)
        for i in range(n):
            y[i] = z[i] + half * K[0, i]
        _tangent_stage(f, jac, use_jac, d, k, eps, t + half, y, p, K, 1, J, plus, minus, xp)
        for i in range(n):
            y[i] = z[i] + half * K[1, i]
        _tangent_stage(f, jac, use_jac, d, k, eps, t + half, y, p, K, 2, J, plus, minus, xp)
        for i in range(n):
            y[i] = z[i] + h * K[2, i]
        _tangent_stage(f, jac, use_jac, d, k, eps, t + h, y, p, K, 3, J, plus, minus, xp)
        for i in range(n):
            z[i] += sixth * (K[0, i] + 2.0 * K[1, i] + 2.0 * K[2, i] + K[3, i])
        t += h
    return t


@njit(cache=True, nogil=True)
def _flow_tangent(f, jac, use_jac, k, eps, z0, p, t, h, steps_per_qr, n_qr, history, xs_out, qs_out, rs_out):
    """Classical RK4 steps of the variational equations from ``z0 = (x, Q, v)``; QR every
    ``steps_per_qr`` steps.

    The variational equations are one right-hand side on ``z``: ``x' = f(x)``, ``Q' = J(x) Q``
    for the ``k`` tangent vectors (rows of Q), and ``v' = trace J(x)``, whose integral, taken by
    the same steps as ``log |det Q|``, checks Liouville's formula. ``J`` is the analytic Jacobian
    ``jac`` when ``use_jac``, else central differences of ``f``. ``history[r]`` gets the running
    sums of log R_ii and ``xs_out[r]`` the state at each QR, and ``qs_out[r]``, ``rs_out[r]`` its
    Q and R unless they are empty (``covariant_vectors``); ``z0[-1]`` accumulates the integral of
    trace J (its time average should equal the sum of all exponents). ``z0`` is left where the
    steps stopped. Returns ``(QRs done, t)``; fewer QRs than asked means the state left the reals.

    Speed (``benchmarks/lyapunov_speed``): the state lives on the stack, and the full spectrum
    of a 3-dimensional flow (104 of the catalog's 130) gets its own copy of the step loop with the
    dimensions constant, which unrolls the small loops over them: Lorenz's full spectrum costs
    2.3x a hand-written loop with its tangent map inlined (one vector, through the general copy,
    3.4x). A copy for 4-dimensional flows would add 4 s to the one compile per machine (now 11 s)
    for 19 systems.
    """
    n = z0.shape[0]
    d = (n - 1) // (k + 1)
    work = scratch(4, d * d)  # rows: J flattened, f(x + step), f(x - step), the probe
    J, plus, minus, xp = work[0], work[1, :d], work[2, :d], work[3, :d]
    K, state = scratch(4, n), scratch(2, n)
    z, y = state[0], state[1]
    for i in range(n):
        z[i] = z0[i]
    logs = np.zeros(k)
    Q = z[d:d + k * d].reshape((k, d))
    record = rs_out.shape[0] > 0
    done = 0
    for r in range(n_qr):
        if d == 3 and k == 3:
            t = _tangent_steps(f, jac, use_jac, 3, 3, eps, z, p, t, h, steps_per_qr, K, y, J, plus, minus, xp)
        else:
            t = _tangent_steps(f, jac, use_jac, d, k, eps, z, p, t, h, steps_per_qr, K, y, J, plus, minus, xp)
        finite = True
        for i in range(d):
            finite = finite and np.isfinite(z[i])
        if not finite:
            break
        _gram_schmidt(Q, logs, rs_out[r] if record else rs_out.reshape((0, 0)))
        for j in range(k):
            history[r, j] = logs[j]
        for i in range(d):
            xs_out[r, i] = z[i]
        if record:
            qs_out[r] = Q
        done += 1
    for i in range(n):
        z0[i] = z[i]
    return done, t


@njit(cache=True, nogil=True)
def _map_tangent(f, x, Q, p, n_qr, steps_per_qr, eps, history, xs_out, qs_out, rs_out):
    """Iterate the map and its tangent map ``Q <- J(x) Q``; QR every ``steps_per_qr`` iterates
    (Q and R kept in ``qs_out``, ``rs_out`` unless they are empty, as for flows)."""
    k, d = Q.shape
    y = np.empty(d)
    out, xp, fp = np.empty(d), np.empty(d), np.empty(d)
    logs = np.zeros(k)
    n = 0
    for r in range(n_qr):
        for _ in range(steps_per_qr):
            for a in range(k):
                _jv(f, x, Q[a], p, float(n), eps, y, xp, fp)
                for i in range(d):
                    Q[a, i] = y[i]
            f(float(n), x.ctypes, p.ctypes, out.ctypes)
            for i in range(d):
                x[i] = out[i]
            n += 1
        for i in range(d):
            if not np.isfinite(x[i]):
                return r
        record = rs_out.shape[0] > 0
        _gram_schmidt(Q, logs, rs_out[r] if record else rs_out.reshape((0, 0)))
        for a in range(k):
            history[r, a] = logs[a]
        xs_out[r] = x
        if record:
            qs_out[r] = Q
    return n_qr


@njit(cache=True, nogil=True)
def _partials(f, t, u, w, p, probe, eps):
    """``(∂f/∂x, ∂f/∂x_tau)`` of a delay system's scalar right-hand side at ``(u, w)``, by
    central differences (``probe``, (2, 2) scratch: the state, then the output)."""
    state, out = probe[0], probe[1:2]
    du = eps * max(1.0, abs(u))
    state[0], state[1] = u + du, w
    call_rhs(f, t, state, p, out, 0)
    plus = out[0, 0]
    state[0] = u - du
    call_rhs(f, t, state, p, out, 0)
    fx = (plus - out[0, 0]) / (2.0 * du)
    dw = eps * max(1.0, abs(w))
    state[0], state[1] = u, w + dw
    call_rhs(f, t, state, p, out, 0)
    plus = out[0, 0]
    state[1] = w - dw
    call_rhs(f, t, state, p, out, 0)
    return fx, (plus - out[0, 0]) / (2.0 * dw)


@njit(cache=True, nogil=True)
def _delay_tangent(f, tab, xs, fs, Q, m, J, h, p, eps, skip, n_qr, steps_per_qr, lags, history, xs_out):
    """The method of steps for ``x' = f(x(t), x(t - m h))`` and its linearisation.

    The state is the history on the grid: ``x`` and ``x'`` at the ``m + 1`` points of ``[t - tau, t]``,
    held in the rings ``xs``, ``fs`` (slot ``i % (m + 1)`` for grid point ``i``; the newest is point
    ``J``). Each step is the integrator's own (``integrate._delay_steps``: a Runge–Kutta
    ``tab`` step whose stages read the history by cubic Hermite interpolation), and each tangent
    vector, a row of ``Q`` (first ``m + 1`` entries ``δx``, then ``h δx'`` on the same slots), takes
    that step's derivative: the same stages applied to ``δx' = f_x δx + f_y δx(t - tau)`` with the
    partials of ``f`` at each stage. ``skip`` steps settle the orbit and the vectors first (QR
    every ``steps_per_qr`` steps, logs dropped); then ``n_qr`` QRs record the running log sums in
    ``history`` and the delay embedding at ``lags`` (grid steps back, fractional allowed) in
    ``xs_out``. Returns the QRs done (fewer: the state left the reals) and the newest point."""
    k = Q.shape[0]
    L = m + 1
    a, b, c = tab.a, tab.b, tab.c
    S = b.shape[0]
    K, dK = scratch(S, 1), scratch(k, S)
    probe = scratch(2, 2)
    state, out = probe[0], probe[1:2]
    logs, settling = np.zeros(k), np.zeros(k)  # the transient's log sums are dropped
    empty = np.zeros((0, 0))
    total = skip + n_qr * steps_per_qr
    for n in range(total):
        now, old, older = J % L, (J + 1) % L, (J + 2) % L  # points J, J - m and J - m + 1
        x, xa, xb, fa, fb = xs[now], xs[old], xs[older], fs[old], fs[older]
        K[0, 0] = fs[now]
        for v in range(k):
            dK[v, 0] = Q[v, L + now] / h
        for s in range(1, S):
            acc = 0.0
            for i in range(s):
                acc += a[s, i] * K[i, 0]
            u, w = x + h * acc, _hermite_at(xa, xb, fa, fb, h, c[s])
            state[0], state[1] = u, w
            call_rhs(f, J * h + c[s] * h, state, p, K, s)
            fx, fy = _partials(f, J * h + c[s] * h, u, w, p, probe, eps)
            state[0], state[1] = u, w  # _partials used it
            for v in range(k):
                dacc = 0.0
                for i in range(s):
                    dacc += a[s, i] * dK[v, i]
                delayed = _hermite_at(Q[v, old], Q[v, older], Q[v, L + old] / h, Q[v, L + older] / h, h, c[s])
                dK[v, s] = fx * (Q[v, now] + h * dacc) + fy * delayed
        acc = 0.0
        for s in range(S):
            acc += b[s] * K[s, 0]
        xn = x + h * acc
        if not np.isfinite(xn):
            return max(0, (n - skip) // steps_per_qr), J
        # point J + 1 takes the slot of J - m, no longer part of the history
        xs[old] = xn
        state[0], state[1] = xn, xb
        call_rhs(f, (J + 1) * h, state, p, out, 0)
        fs[old] = out[0, 0]
        fx, fy = _partials(f, (J + 1) * h, xn, xb, p, probe, eps)
        for v in range(k):
            dacc = 0.0
            for s in range(S):
                dacc += b[s] * dK[v, s]
            dxn = Q[v, now] + h * dacc
            Q[v, old] = dxn
            Q[v, L + old] = h * (fx * dxn + fy * Q[v, older])
        J += 1
        if (n + 1) % steps_per_qr == 0:
            if n < skip:
                _gram_schmidt(Q, settling, empty)
                continue
            _gram_schmidt(Q, logs, empty)
            r = (n + 1 - skip) // steps_per_qr - 1
            for v in range(k):
                history[r, v] = logs[v]
            for i in range(lags.shape[0]):
                back = int(math.floor(lags[i]))
                u = lags[i] - back
                newer = (J - back) % L
                if u == 0.0:
                    xs_out[r, i] = xs[newer]
                else:  # between points J - back - 1 and J - back
                    prev = (J - back - 1) % L
                    xs_out[r, i] = _hermite_at(xs[prev], xs[newer], fs[prev], fs[newer], h, 1.0 - u)
    return n_qr, J


@dataclass(frozen=True)
class _TangentRun:
    times: np.ndarray  # time (or iterate) of each QR
    log_growth: np.ndarray  # running sums of log R_ii, (n_qr, k)
    states: np.ndarray  # state at each QR, (n_qr, d)
    mean_trace: float | None
    jacobian: str
    step: float
    qs: np.ndarray | None = None  # with ``record``: Q after each QR, (n_qr, k, d), rows the vectors
    rs: np.ndarray | None = None  # and its R, (n_qr, k, k): Q_before.T @ propagator = Q.T @ R
    grid_points: int | None = None  # a delay system's: grid points per delay (``delay_grid``)


RECORD_BYTES = 400 * 2**20  # Q and R of every QR step kept for the covariant vectors: at most this


@njit(cache=True, nogil=True)
def _jacobians(f, xs, p, t, eps, out):
    """``out[m]`` = J(xs[m]) flattened, by ``_jacobian_columns``."""
    m, d = xs.shape
    work = scratch(3, d)
    for r in range(m):
        _jacobian_columns(f, t, xs[r], p, d, eps, out[r], work[0], work[1], work[2])


def numerical_jacobians(system: System, xs: np.ndarray, t: float = 0.0, eps: float = 1e-6) -> np.ndarray:
    """J at each row of ``xs``, shape ``(m, d, d)``: central differences of the compiled right-hand
    side, relative step ``eps`` per coordinate, in one compiled call."""
    xs = np.ascontiguousarray(np.atleast_2d(xs), dtype=float)
    m, d = xs.shape
    if d != system.state_dim or system.kind == "delay":
        raise ValueError(f"{system.name}: Jacobians need states of shape (m, {system.state_dim}), got {xs.shape}")
    out = np.empty((m, d * d))
    _jacobians(system.rhs_kernel, xs, system.param_vector, float(t), float(eps), out)
    return out.reshape(m, d, d)


def numerical_jacobian(system: System, x: np.ndarray, t: float = 0.0) -> np.ndarray:
    """J(x) by central differences of the right-hand side, relative step 1e-6 per coordinate."""
    return numerical_jacobians(system, np.asarray(x, dtype=float)[None], t)[0]


def _jacobian_for(system: System, x: np.ndarray, eps: float):
    """The analytic Jacobian if dysts has one that agrees with finite differences at ``x``."""
    jac = system.jacobian_kernel
    if jac is None:
        return None, "finite differences"
    d = system.state_dim
    analytic = np.empty(d * d)
    compiled.evaluate(jac, x, system.param_vector, 0.0, analytic)
    numeric = numerical_jacobian(system, x)
    if np.abs(analytic.reshape(d, d) - numeric).max() > 1e-4 * (np.abs(numeric).max() + 1e-12):
        log.warning("%s: dysts's analytic Jacobian disagrees with finite differences; not used", system.name)
        return None, "finite differences (dysts's analytic Jacobian disagrees)"
    return jac, "analytic (dysts)"


def _stable_step(system: System, states: np.ndarray, samples: int = 40) -> float:
    """An RK4 step resolving the fastest local time scale: 0.2 / max spectral radius of J.

    The spectral radius is sampled at points of the trajectory (finite-difference Jacobians), so
    stiff systems get a small step and gentle ones keep period / 200.
    """
    sample = states[np.linspace(0, len(states) - 1, min(samples, len(states))).astype(int)]
    jacobians = numerical_jacobians(system, sample)
    finite = np.all(np.isfinite(jacobians), axis=(1, 2))
    radius = float(np.abs(np.linalg.eigvals(jacobians[finite])).max()) if finite.any() else 0.0
    return 0.2 / radius if radius > 0 else np.inf


def liouville_holds(exponents: np.ndarray, mean_trace: float) -> bool:
    """Liouville's formula within 1 % of the spectrum's scale: a flow's exponents sum to the time
    average of its divergence, trace J (the check of a full spectrum's step)."""
    scale = 0.01 * (np.abs(exponents).max() + abs(mean_trace))
    return abs(exponents.sum() - mean_trace) <= scale


def _check_record_size(system: System, n_qr: int, k: int) -> None:
    needed = n_qr * k * (k + system.state_dim) * 8
    if needed > RECORD_BYTES:
        raise LyapunovError(f"{system.name}: keeping {n_qr} QR steps of {k} vectors needs {needed / 2**20:.0f} MB "
                            f"(at most {RECORD_BYTES / 2**20:.0f} MB); ask for a shorter time or fewer vectors")


def _recorders(record: bool, n_qr: int, k: int, d: int, system: System) -> tuple[np.ndarray, np.ndarray]:
    if not record:
        return np.zeros((0, k, d)), np.zeros((0, k, k))
    _check_record_size(system, n_qr, k)
    return np.zeros((n_qr, k, d)), np.zeros((n_qr, k, k))


def delay_grid(system: System, h: float | None = None) -> tuple[int, float]:
    """The method of steps' grid for a delay system: ``(N, tau / N)``, ``N`` points per delay.

    By default there are ``DELAY_POINTS`` points per delay, more where a step would exceed a
    twentieth of the dominant period. The tangent dynamics then live in a space of 2 (N + 1)
    dimensions (the history ``x`` and its slope ``x'`` at each grid point, what the Hermite
    interpolation of the stages reads). Why 100: Mackey–Glass at tau = 17 over 4·10^5 time units
    gives λ1 = 0.00523, 0.00513, 0.00515, 0.00506 and Kaplan–Yorke dimension 2.134, 2.132, 2.133,
    2.131 at N = 50, 100, 200, 400: the discretisation's error is already below the averaging's
    (``benchmarks/lyapunov_delay.py`` prints this study)."""
    tau = system.delay_tau
    if not tau or not tau > 0:
        raise LyapunovError(f"{system.name}: the delay tau must be positive, got {tau}")
    if h is None:
        points = max(DELAY_POINTS, math.ceil(tau / ((system.period or tau) / 20) - 1e-9))
    else:
        if not h > 0:
            raise LyapunovError(f"the step h must be positive, got {h}")
        points = max(1, round(tau / h))
    if points > MAX_DELAY_POINTS:
        raise LyapunovError(f"{system.name}: {points} grid points per delay (tau = {tau:g}, h = {tau / points:.3g}) "
                            f"is more than {MAX_DELAY_POINTS}; ask for a larger step h")
    return points, tau / points


# a system of more dimensions (a network of maps, Lorenz-96 of many sites) gives its leading
# exponents by default: each costs a tangent vector, and the full spectrum of 2000 would take hours
MAX_DEFAULT_EXPONENTS = 10
MAX_TANGENT_STEPS = 2_000_000  # a flow's default averaging takes at most this many RK4 steps
DELAY_POINTS = 100  # at least this many grid points per delay in a delay system's spectrum
MAX_DELAY_POINTS = 20_000
DELAY_EXPONENTS = 6  # a delay system's spectrum by default: its leading exponents


def _delay_run(system, k, t_max, transient, h, qr_interval, eps, ic, seed, progress=None, stop=None) -> _TangentRun:
    """A delay system's tangent run (``_delay_tangent``) on the grid of ``delay_grid``: ``k``
    vectors, QR every ``qr_interval`` (default 10 steps), averaged over ``t_max`` (default 10^5
    time units, or 2·10^6 steps where that is less: delay systems' exponents are small, Mackey–
    Glass's λ1 is 0.005) after ``transient`` (default 10 % of it) from a constant history at
    ``ic``'s first coordinate."""
    m, h = delay_grid(system, h)
    size = 2 * (m + 1)
    if not 1 <= k <= size:
        raise LyapunovError(f"n_exponents must be between 1 and {size} (the tangent space of {m} grid points "
                            "per delay)")
    t_max = float(t_max or min(100_000.0, 2_000_000 * h))
    if not t_max > 0:
        raise LyapunovError(f"t_max must be positive, got {t_max}")
    every = max(1, round((qr_interval or 10 * h) / h))
    n_qr = max(1, int(round(t_max / (every * h))))
    skip = every * math.ceil(float(transient if transient is not None else 0.1 * t_max) / (every * h))
    x0 = float(np.atleast_1d(integrate._initial_condition(system, ic))[0])
    f, p = integrate._rhs_for(system, (skip + n_qr * every) * 20, "auto"), system.param_vector
    xs = np.full(m + 1, x0)
    fs = np.zeros(m + 1)
    fs[m] = float(system.rhs(np.array([x0, x0]))[0])  # the newest point, x(0) = x0 = x(-tau)
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((size, k)))[0].T.copy()
    lags = np.linspace(0.0, m, system.dim)
    history, states = np.zeros((n_qr, k)), np.zeros((n_qr, system.dim))
    done, J, chunk = 0, m, max(1, n_qr // 20)
    skip_now = skip
    while done < n_qr:  # in chunks: progress is reported and a stop request honoured
        if stop is not None and stop.is_set():
            raise Stopped(f"{system.name}: the Lyapunov computation was stopped")
        ask = min(chunk, n_qr - done)
        ok, J = _delay_tangent(f, RK4, xs, fs, Q, m, J, h, p, eps, skip_now, ask, every, lags,
                               history[done:done + ask], states[done:done + ask])
        skip_now = 0
        if done:  # each call restarts its running sums at zero
            history[done:done + ok] += history[done - 1]
        done += ok
        if ok < ask:
            raise IntegrationError(f"{system.name} diverged while computing Lyapunov exponents at "
                                   f"t={(done + 1) * every * h:.4g}")
        if progress is not None:
            progress(done / n_qr)
    times = np.arange(1, n_qr + 1) * every * h
    return _TangentRun(times, history, states, None, "finite differences", h, grid_points=m)


def _tangent_run(system, k, t_max, transient, h, qr_interval, eps, ic, seed, progress=None, stop=None,
                 record: bool = False) -> _TangentRun:
    if system.kind == "delay":
        if record:
            raise LyapunovError(f"{system.name} is a delay system: covariant vectors are not supported for delay "
                                "systems yet")
        return _delay_run(system, k, t_max, transient, h, qr_interval, eps, ic, seed, progress, stop)
    d = system.state_dim
    if not 1 <= k <= d:
        raise LyapunovError(f"n_exponents must be between 1 and {d}, got {k}")
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((d, k)))[0].T.copy()
    f, p = system.rhs_kernel, system.param_vector
    if system.kind == "map":
        n = int(t_max or 100_000)
        every = max(1, int(qr_interval or 1))
        n_qr = max(1, n // every)
        skip = int(transient if transient is not None else max(1000, n // 10))
        x = integrate.trajectory(system, n=1, ic=ic, transient=skip, postprocess=False).x[-1].copy()
        history, states = np.zeros((n_qr, k)), np.zeros((n_qr, d))
        qs, rs = _recorders(record, n_qr, k, d, system)
        done = _map_tangent(f, x, Q, p, n_qr, every, eps, history, states, qs, rs)
        times = np.arange(1, n_qr + 1, dtype=float) * every
        mean_trace, how, h = None, "finite differences", 1.0
    else:
        period = system.period or 1.0
        asked = t_max is not None
        t_max = float(t_max or min(10_000.0, 3000 * period))
        skip = float(transient if transient is not None else 0.1 * t_max)
        warm = integrate.trajectory(system, n=max(2, int(skip / system.dt) + 1), ic=ic, postprocess=False).x
        x0 = warm[-1].copy()
        jac, how = _jacobian_for(system, x0, eps)
        h = float(h or min(period / 200, _stable_step(system, warm)))
        for attempt in range(4):
            every = max(1, round((qr_interval or 10 * h) / h))
            # by default at most MAX_TANGENT_STEPS: a stiff spot's tiny step shortens the averaging
            # (which the catalog's convergence check then judges), never minutes of a worker
            span = t_max if asked else min(t_max, MAX_TANGENT_STEPS * h)
            n_qr = max(1, int(round(span / (every * h))))
            z = np.concatenate([x0, Q.ravel(), [0.0]])  # (x, Q, integral of trace J)
            history, states = np.zeros((n_qr, k)), np.zeros((n_qr, d))
            qs, rs = _recorders(record, n_qr, k, d, system)
            done, t, chunk = 0, 0.0, max(1, n_qr // 20)
            while done < n_qr:  # in chunks: progress is reported and a stop request honoured
                if stop is not None and stop.is_set():
                    raise Stopped(f"{system.name}: the Lyapunov computation was stopped")
                m = min(chunk, n_qr - done)
                ok, t = _flow_tangent(f, jac if jac is not None else f, jac is not None, k, eps, z, p, t, h, every, m,
                                      history[done:done + m], states[done:done + m], qs[done:done + m],
                                      rs[done:done + m])  # empty slices when not recording
                if done:  # each call restarts its running sums at zero
                    history[done:done + ok] += history[done - 1]
                done += ok
                if ok < m:
                    break
                if progress is not None:
                    progress((attempt + done / n_qr) / 4 if attempt else done / n_qr)
            times = np.arange(1, n_qr + 1) * every * h
            mean_trace = float(z[-1] / times[-1])
            if done == n_qr and (k < d or liouville_holds(history[-1] / times[-1], mean_trace)):
                break
            # a stiff spot defeated RK4 (the state blew up), or the exponents miss Liouville's formula
            # sum(lambda) = <div f>: the step is too coarse for the tangent dynamics
            h /= 3
    if done < n_qr:
        raise IntegrationError(
            f"{system.name} diverged while computing Lyapunov exponents at t={times[max(done - 1, 0)]:.4g}"
        )
    return _TangentRun(times, history, states, mean_trace, how, h, qs if record else None, rs if record else None)


def spectrum(
    system: System,
    n_exponents: int | None = None,
    t_max: float | None = None,
    transient: float | None = None,
    h: float | None = None,
    qr_interval: float | None = None,
    eps: float = 1e-7,
    ic=None,
    seed: int = 0,
    progress=None,
    stop=None,
) -> LyapunovResult:
    """The Lyapunov spectrum of a flow or map by tangent dynamics with periodic QR.

    For flows ``t_max`` (default 3000 dominant periods, at most 10^4 time units and
    ``MAX_TANGENT_STEPS`` steps) is the averaging time after ``transient`` (default 10 % of it); ``h`` the RK4 step (default period / 200) and
    ``qr_interval`` the time between re-orthonormalisations (default 10 steps). The tangent
    dynamics use dysts's analytic Jacobian where it has one (checked against finite differences),
    otherwise central differences. The full spectrum checks itself against Liouville's formula
    (sum of exponents = time average of trace J, the divergence of the field) and refines the step until it holds. For
    maps ``t_max`` counts iterates (default 10^5) and QR is done every iterate. A system of more
    than ``MAX_DEFAULT_EXPONENTS`` dimensions gives that many leading exponents by default (a
    network of 10³ maps: 2000). A delay system gives its ``DELAY_EXPONENTS`` leading exponents by default, by the method of steps
    (``delay_grid``: ``h`` is then the grid's step, tau / N; ``_delay_run`` for the defaults).
    Returns the
    exponents in descending order with their running estimates. ``progress(fraction)`` is called
    as it goes; setting the ``stop`` event raises ``errors.Stopped``.
    """
    start = time.perf_counter()
    k = (DELAY_EXPONENTS if system.kind == "delay" else min(system.state_dim, MAX_DEFAULT_EXPONENTS)) \
        if n_exponents is None else int(n_exponents)
    run = _tangent_run(system, k, t_max, transient, h, qr_interval, eps, ic, seed, progress, stop)
    running = run.log_growth / run.times[:, None]
    return LyapunovResult(
        exponents=running[-1].copy(), history=running, t=run.times, wall_time=time.perf_counter() - start,
        mean_trace=run.mean_trace, jacobian=run.jacobian, step=run.step, grid_points=run.grid_points,
    )


@njit(cache=True, nogil=True)
def _ginelli_backward(qs, rs, first, last, vectors, rates):
    """Ginelli's backward pass. From the last QR step down to ``first``: ``C <- R^-1 C`` (columns
    renormalised; C starts as the identity, any upper-triangular start converges), and for QR steps
    ``first <= r < last`` the covariant vectors ``Q_r.T @ C`` (unit columns) into ``vectors[r - first]``
    and the log growth of each over the step after it into ``rates[r - first]``."""
    n, k, d = qs.shape
    C = np.eye(k)
    for r in range(n - 2, first - 1, -1):
        R = rs[r + 1]
        for j in range(k):  # back substitution: C[:, j] <- R^-1 C[:, j]; C stays upper triangular
            for i in range(j, -1, -1):
                acc = C[i, j]
                for m in range(i + 1, j + 1):
                    acc -= R[i, m] * C[m, j]
                C[i, j] = acc / R[i, i]
            norm = 0.0
            for i in range(j + 1):
                norm += C[i, j] * C[i, j]
            norm = math.sqrt(norm)
            for i in range(j + 1):
                C[i, j] /= norm
            if r < last:
                rates[r - first, j] = -math.log(norm)  # the vector at r grows by 1 / norm up to r + 1
        if r < last:
            for j in range(k):
                for i in range(d):
                    acc = 0.0
                    for m in range(j + 1):
                        acc += qs[r, m, i] * C[m, j]
                    vectors[r - first, i, j] = acc


@dataclass(frozen=True)
class CovariantVectors:
    """Covariant Lyapunov vectors along an orbit: ``vectors[n, :, j]`` is the unit vector of the
    j-th exponent at ``states[n]`` (time ``t[n]``), carried by the tangent dynamics onto the
    j-th vector at the next point (up to length); ``rates[n, j]`` its log growth per unit time
    over the step to the next point, whose average is the j-th exponent (``exponents``, from the
    same run's QR steps). Signs are arbitrary."""

    t: np.ndarray
    states: np.ndarray
    vectors: np.ndarray
    rates: np.ndarray
    exponents: np.ndarray
    step: float  # time (iterates) between points
    flow: bool = False  # a flow's orbit: one vector is the flow's own direction (exponent zero)

    def angle(self, i: int, j: int) -> np.ndarray:
        """The angle (radians, 0 to π/2) between the i-th and j-th vector at every point."""
        cos = np.abs(np.einsum("nd,nd->n", self.vectors[:, :, i], self.vectors[:, :, j]))
        return np.arccos(np.clip(cos, 0.0, 1.0))

    def subspace_angle(self, first: list[int] | range, second: list[int] | range) -> np.ndarray:
        """The smallest principal angle between the spans of two groups of vectors, at every
        point: zero where the subspaces touch (a homoclinic tangency, no hyperbolicity there)."""
        a = np.linalg.qr(self.vectors[:, :, list(first)])[0]
        b = np.linalg.qr(self.vectors[:, :, list(second)])[0]
        cos = np.linalg.svd(np.einsum("ndi,ndj->nij", a, b), compute_uv=False)[:, 0]
        return np.arccos(np.clip(cos, 0.0, 1.0))

    def directions(self, tolerance: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices of the unstable, neutral and stable vectors. A flow's neutral vector is the one
        whose exponent is nearest zero (the flow's direction: a finite run leaves it a little off
        zero, -0.005 of Halvorsen's 4.9, more than a tolerance would allow); the others are
        unstable above ``tolerance`` × the largest |exponent| and stable below minus that."""
        exponents = self.exponents
        neutral = np.array([int(np.argmin(np.abs(exponents)))] if self.flow else [], dtype=int)
        rest = np.setdiff1d(np.arange(len(exponents)), neutral)
        scale = tolerance * np.abs(exponents).max()
        return rest[exponents[rest] > scale], neutral, rest[exponents[rest] < -scale]

    def unstable_stable_angle(self, tolerance: float = 1e-3) -> np.ndarray:
        """The angle between the unstable subspace (exponents above ``tolerance`` × the largest
        |exponent|) and the stable one (below minus that): the measure of hyperbolicity that
        Ginelli et al. (2007) plot; the neutral direction of a flow is in neither."""
        unstable, _, stable = self.directions(tolerance)
        if not len(unstable) or not len(stable):
            raise LyapunovError("an unstable and a stable direction are both needed for this angle")
        return self.subspace_angle(unstable, stable)

    def expanding_contracting_angle(self, tolerance: float = 1e-3) -> np.ndarray:
        """The angle between the unstable and neutral directions together and the stable ones:
        bounded away from zero on a pseudohyperbolic attractor such as Lorenz's, whose unstable
        and neutral vectors do touch (Kuptsov & Kuznetsov 2018, Regul. Chaotic Dyn. 23, 908)."""
        unstable, neutral, stable = self.directions(tolerance)
        if not len(unstable) or not len(stable):
            raise LyapunovError("an unstable and a stable direction are both needed for this angle")
        return self.subspace_angle(np.concatenate([unstable, neutral]), stable)


TANGENCY = 5.0  # degrees: an angle between subspaces below this counts as a near-tangency


@dataclass(frozen=True)
class Hyperbolicity:
    """What the Lyapunov tab shows of the covariant vectors: the orbit's points, the unstable
    (first) vector at each, and the angles in degrees between the unstable and stable subspaces
    (``angles["unstable–stable"]``) and, for a flow, between the unstable ones and the flow's
    own direction (``"unstable–neutral"``) and between the unstable-plus-neutral and stable ones
    (``"expanding–contracting"``)."""

    states: np.ndarray
    unstable: np.ndarray
    angles: dict[str, np.ndarray]
    flow: bool = False

    def near_tangency(self, name: str = "unstable–stable", below: float = TANGENCY) -> float:
        """The fraction of the orbit's points where the ``name`` angle is below ``below`` degrees."""
        return float(np.mean(self.angles[name] < below))

    def summary(self) -> str:
        """A sentence a student can read: the smallest angles and what they say."""
        parts = []
        for name, angle in self.angles.items():
            parts.append(f"{name} angle ≥ {angle.min():.2g}° (median {np.median(angle):.0f}°, "
                         f"{100 * self.near_tangency(name):.1f} % of points below {TANGENCY:g}°)")
        touch = {name: angle.min() < TANGENCY for name, angle in self.angles.items()}
        if touch["unstable–stable"]:
            verdict = "near-tangencies between the unstable and stable directions: not uniformly hyperbolic"
        elif touch.get("unstable–neutral"):
            verdict = ("the unstable direction nearly touches the flow's own: not hyperbolic (near an "
                       "equilibrium the flow's direction turns unstable)")
        else:
            verdict = "the unstable, neutral and stable directions stay apart on this orbit: no tangency seen"
        if any(touch.values()) and "expanding–contracting" in touch and not touch["expanding–contracting"]:
            verdict += "; the expanding and contracting subspaces stay apart, as on a pseudohyperbolic attractor"
        return "; ".join(parts) + ". " + verdict[0].upper() + verdict[1:] + "."


def hyperbolicity(vectors: CovariantVectors, tolerance: float = 1e-3) -> Hyperbolicity:
    """The covariant vectors reduced to what the tab draws (raises ``LyapunovError`` without an
    unstable and a stable direction)."""
    angles = {"unstable–stable": np.degrees(vectors.unstable_stable_angle(tolerance))}
    unstable, neutral, _ = vectors.directions(tolerance)
    if len(neutral):
        angles["unstable–neutral"] = np.degrees(vectors.subspace_angle(unstable, neutral))
        angles["expanding–contracting"] = np.degrees(vectors.expanding_contracting_angle(tolerance))
    return Hyperbolicity(vectors.states, np.ascontiguousarray(vectors.vectors[:, :, 0]), angles, vectors.flow)


def covariant_vectors(
    system: System,
    t_max: float | None = None,
    forward: float | None = None,
    backward: float | None = None,
    n_vectors: int | None = None,
    h: float | None = None,
    qr_interval: float | None = None,
    eps: float = 1e-7,
    ic=None,
    seed: int = 0,
    progress=None,
    stop=None,
) -> CovariantVectors:
    """Covariant Lyapunov vectors by Ginelli et al. (2007, Phys. Rev. Lett. 99, 130601).

    A forward run of the tangent dynamics with QR steps (as ``spectrum``) keeps every Q and R.
    The first ``forward`` time lets Q settle onto the backward Lyapunov vectors; the last
    ``backward`` time is for the backward pass, which iterates upper-triangular coefficients
    ``C <- R^-1 C`` from the end and settles them onto the covariant vectors' coordinates; the
    vectors ``Q.T C`` are returned at each QR step of the ``t_max`` between. Defaults: flows
    ``t_max`` 100 dominant periods, ``forward`` and ``backward`` 50 each, QR every 10 RK4
    steps; maps 1000 iterates and 200 each, QR every iterate. ``n_vectors`` (default all, at most
    ``MAX_DEFAULT_EXPONENTS``): the first ones only, which need only the first Q vectors
    (Ginelli's triangular structure).
    """
    k = min(system.state_dim, MAX_DEFAULT_EXPONENTS) if n_vectors is None else int(n_vectors)
    if system.kind == "map":
        t_max, forward, backward = int(t_max or 1000), int(forward or 200), int(backward or 200)
        every = max(1, int(qr_interval or 1))
    else:
        period = system.period or 1.0
        t_max = float(t_max or 100 * period)
        forward, backward = float(forward or 50 * period), float(backward or 50 * period)
    for name, value in (("t_max", t_max), ("forward", forward), ("backward", backward)):
        if not value > 0:
            raise LyapunovError(f"{name} must be positive, got {value}")
    if system.kind != "delay":  # before any integration: at least this many QR steps will be kept
        first_guess = every if system.kind == "map" else (qr_interval or 10 * (h or period / 200))
        _check_record_size(system, int((forward + t_max + backward) / first_guess), k)
    run = _tangent_run(system, k, forward + t_max + backward, None, h, qr_interval, eps, ic, seed, progress, stop,
                       record=True)
    step = float(run.times[0])
    first = int(round(forward / step))
    last = min(first + max(1, int(round(t_max / step))), len(run.times) - 1)
    vectors, rates = np.zeros((last - first, system.state_dim, k)), np.zeros((last - first, k))
    _ginelli_backward(run.qs, run.rs, first, last, vectors, rates)
    return CovariantVectors(t=run.times[first:last], states=run.states[first:last], vectors=vectors,
                            rates=rates / step, exponents=run.log_growth[-1] / run.times[-1], step=step,
                            flow=system.kind == "flow")


@dataclass(frozen=True)
class FTLEResult:
    """Finite-time largest exponents ``values[k]`` over windows ending at ``t[k]`` in state ``x[k]``."""

    t: np.ndarray
    x: np.ndarray
    values: np.ndarray
    window: float


def ftle(system: System, trajectory=None, window: float | None = None, t_max: float | None = None,
         samples_per_window: int = 10, eps: float = 1e-7, seed: int = 0, progress=None, stop=None) -> FTLEResult:
    """Finite-time largest Lyapunov exponents along a trajectory: where prediction is hard.

    The leading tangent vector is evolved from the trajectory's first state over its duration
    (or ``t_max``; default 300 windows), re-normalised ``samples_per_window`` times per window.
    The exponent at each of those points is the log-growth over the ``window`` that ends there,
    divided by the window; ``x`` holds the (postprocessed) states. ``window`` defaults to one
    dominant period (10 iterates for maps).
    """
    ic, duration = None, t_max
    if trajectory is not None:
        if trajectory.system is None or trajectory.system.postprocess_with is None:
            ic = trajectory.x[0]
        duration = duration or float(trajectory.t[-1] - trajectory.t[0])
    if system.kind == "map":
        window = float(int(window or 10))
        per = max(1, int(window))
        run = _tangent_run(system, 1, duration or 300 * window, 0 if ic is not None else None, None, 1, eps, ic,
                           seed, progress, stop)
    else:
        window = float(window or system.period or 1.0)
        if not window > 0:
            raise LyapunovError(f"window must be positive, got {window}")
        per = int(samples_per_window)
        run = _tangent_run(system, 1, duration or 300 * window, 0 if ic is not None else None, None,
                           window / per, eps, ic, seed, progress, stop)
    growth = np.concatenate([[0.0], run.log_growth[:, 0]])
    if len(growth) <= per:
        raise LyapunovError(f"the trajectory is shorter than one window ({window:g})")
    span = run.times[per - 1:] - np.concatenate([[0.0], run.times])[: len(run.times) - per + 1]
    values = (growth[per:] - growth[:-per]) / span
    return FTLEResult(t=run.times[per - 1:], x=system.postprocess(run.states[per - 1:]), values=values,
                      window=float(span.mean()))


def kaplan_yorke_dimension(exponents) -> float:
    """Kaplan & Yorke (1979): D = j + (λ1 + … + λj) / |λ_{j+1}|, j the largest with a non-negative sum."""
    lam = np.sort(np.asarray(exponents, dtype=float))[::-1]
    sums = np.cumsum(lam)
    if sums[0] < 0:
        return 0.0
    j = int(np.flatnonzero(sums >= 0)[-1]) + 1
    if j == len(lam):
        return float(j)
    return j + sums[j - 1] / abs(lam[j])


def kaplan_yorke_text(exponents, partial: bool = False) -> str:
    """The Kaplan–Yorke dimension for a page: ``"2.062"``; for ``partial`` (a delay system's leading
    exponents only) whose sum is still non-negative, ``"≥ N (more exponents needed)"``, since the
    dimension then exceeds their number N."""
    lam = np.asarray(exponents, dtype=float)
    if partial and lam.sum() >= 0:
        return f"≥ {len(lam)} (more exponents needed)"
    return f"{kaplan_yorke_dimension(lam):.3f}"


BATCHES = 20  # batch means of a spectrum's standard error


def standard_error(result: LyapunovResult, batches: int = BATCHES) -> float:
    """λ1's batch-means standard error: its rate over each of ``batches`` equal stretches of the
    averaging, their standard deviation / sqrt(batches) (as dysts 1.0 reports its spectra);
    infinite when fewer than two QR steps fall in each batch."""
    sums = result.history[:, 0] * result.t  # running log growth
    if len(sums) < 2 * batches:
        return float("inf")
    ends = np.linspace(0, len(sums), batches + 1).astype(int)[1:] - 1
    growth = np.diff(np.concatenate([[0.0], sums[ends]]))
    spans = np.diff(np.concatenate([[0.0], result.t[ends]]))
    return float(np.std(growth / spans, ddof=1) / math.sqrt(batches))


def lyapunov_time(exponents_or_max) -> float:
    """1 / λ1, the e-folding time of small errors (infinite when λ1 <= 0)."""
    lam = float(np.max(np.atleast_1d(exponents_or_max)))
    return math.inf if lam <= 0 else 1.0 / lam


# ---------------------------------------------------------------------------------------------
# The largest exponent from a time series


@dataclass(frozen=True)
class DataExponent:
    """Largest exponent estimated from data, with the Rosenstein curve and the fit behind it."""

    exponent: float
    delay: int
    dimension: int
    theiler: int
    t: np.ndarray  # k * dt
    log_distance: np.ndarray  # the Rosenstein curve: mean log distance of initially nearest neighbours
    fit: tuple[int, int]  # indices [start, stop) of the linear region used
    intercept: float


def delay_embed(x: np.ndarray, dimension: int, delay: int) -> np.ndarray:
    """Takens delay vectors ``(x[i], x[i + delay], ..., x[i + (dimension-1) delay])``."""
    x = np.asarray(x, dtype=float)
    n = len(x) - (dimension - 1) * delay
    if n < 1:
        raise LyapunovError(f"a series of {len(x)} points is too short to embed in {dimension} dims at delay {delay}")
    return np.stack([x[i * delay : i * delay + n] for i in range(dimension)], axis=1)


def mutual_information_delay(x: np.ndarray, max_lag: int | None = None, bins: int = 32) -> int:
    """First local minimum of the time-delayed mutual information (Fraser & Swinney 1986)."""
    x = np.asarray(x, dtype=float)
    max_lag = max_lag or max(2, len(x) // 20)
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    previous = np.inf
    for lag in range(1, max_lag):
        joint = np.bincount(codes[:-lag] * bins + codes[lag:], minlength=bins * bins).reshape(bins, bins)
        pxy = joint / joint.sum()
        px, py = pxy.sum(axis=1, keepdims=True), pxy.sum(axis=0, keepdims=True)
        nz = pxy > 0
        mi = float(np.sum(pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])))
        if mi > previous:
            return lag - 1
        previous = mi
    return max_lag - 1


def false_nearest_neighbours(x: np.ndarray, delay: int, max_dimension: int = 10, rtol: float = 10.0,
                             atol: float = 2.0, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    """Embedding dimension by false nearest neighbours (Kennel, Brown & Abarbanel 1992).

    Returns the first dimension whose fraction of false neighbours is below ``threshold``, and the
    fractions for dimensions 1..max_dimension-1.
    """
    from scipy.spatial import cKDTree

    x = np.asarray(x, dtype=float)
    spread = np.std(x)
    fractions = []
    for m in range(1, max_dimension):
        emb = delay_embed(x, m + 1, delay)
        low = emb[:, :m]
        dist, idx = cKDTree(low).query(low, k=2)
        dist, idx = dist[:, 1], idx[:, 1]
        extra = np.abs(emb[:, m] - emb[idx, m])
        false = (extra > rtol * np.maximum(dist, 1e-12)) | (np.sqrt(dist**2 + extra**2) > atol * spread)
        fractions.append(float(np.mean(false)))
        if fractions[-1] < threshold:
            return m, np.array(fractions)
    return int(np.argmin(fractions)) + 1, np.array(fractions)


def mean_period(x: np.ndarray) -> float:
    """Mean period in samples: 1 / the power-weighted mean frequency (Rosenstein et al. 1993)."""
    x = np.asarray(x, dtype=float)
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    freqs = np.fft.rfftfreq(len(x))
    mean_frequency = np.sum(freqs[1:] * power[1:]) / np.sum(power[1:])
    return 1.0 / mean_frequency


def _check_series(x) -> np.ndarray:
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise LyapunovError(f"expected a series of numbers, got {type(x).__name__}") from None
    if x.ndim not in (1, 2):
        raise LyapunovError(f"expected a series of shape (n,) or (n, dim), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise LyapunovError("the series contains NaN or infinite values; remove them first")
    if np.all(np.ptp(x, axis=0) == 0):
        raise LyapunovError("the series is constant: it has no exponent to estimate")
    return x


MIN_POINTS = 1000


def max_exponent_from_data(x, dt: float, delay: int | None = None, dimension: int | None = None,
                           theiler: int | None = None, horizon: int | None = None) -> DataExponent:
    """Largest Lyapunov exponent of a scalar or vector series (Rosenstein, Collins & De Luca 1993).

    A scalar series is delay-embedded with ``delay`` (default: first minimum of the mutual
    information) in ``dimension`` (default: false nearest neighbours); a vector series ``(n, dim)``
    is used as the state itself. Each point's nearest neighbour, outside a Theiler window
    (default: one mean period), is followed for ``horizon`` steps (default: four mean periods);
    the mean log distance grows with slope λ1 until it saturates at the attractor's size. The
    slope is fitted where the curve has risen from 20 % to 70 % of the way to its saturation
    (on Lorenz x, 10^4 points at dt = 0.005 ... 0.03: within 8 % of 0.906).
    """
    from scipy.spatial import cKDTree

    x = _check_series(x)
    if len(x) < MIN_POINTS:
        raise LyapunovError(f"the series has {len(x)} points; at least {MIN_POINTS} are needed")
    if not dt > 0:
        raise LyapunovError(f"dt must be positive, got {dt}")
    scalar = x if x.ndim == 1 else x[:, 0]
    period = mean_period(scalar)
    if x.ndim == 1 or x.shape[1] == 1:
        scalar = np.ravel(x)
        delay = int(delay or mutual_information_delay(scalar))
        dimension = int(dimension or false_nearest_neighbours(scalar, delay)[0])
        states = delay_embed(scalar, dimension, delay)
    else:
        delay, dimension = 1, x.shape[1]
        states = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    theiler = int(theiler if theiler is not None else max(1, round(period)))
    horizon = int(horizon or max(20, round(4 * period)))
    n = len(states)
    usable = n - horizon
    if usable < 2 * theiler + 10:
        raise LyapunovError(
            f"the series is too short for this horizon and Theiler window: {n} states, "
            f"need at least {horizon + 2 * theiler + 10}"
        )
    tree = cKDTree(states)
    neighbours = np.full(usable, -1)
    k = min(n, 2 * theiler + 8)
    dist, idx = tree.query(states[:usable], k=k)
    for i in range(usable):
        ok = (np.abs(idx[i] - i) > theiler) & (idx[i] < usable) & (dist[i] > 0)
        if ok.any():
            neighbours[i] = idx[i][np.argmax(ok)]
    pairs = np.flatnonzero(neighbours >= 0)
    if len(pairs) < 10:
        raise LyapunovError("too few neighbour pairs outside the Theiler window; use a longer series")
    j = neighbours[pairs]
    curve = np.empty(horizon)
    for step in range(horizon):
        d = np.linalg.norm(states[pairs + step] - states[j + step], axis=1)
        curve[step] = np.mean(np.log(d[d > 0]))
    start, stop = _linear_region(curve)
    slope, intercept = np.polyfit(np.arange(start, stop), curve[start:stop], 1)
    return DataExponent(
        exponent=float(slope / dt), delay=delay, dimension=dimension, theiler=theiler,
        t=np.arange(horizon) * dt, log_distance=curve, fit=(start, stop), intercept=float(intercept),
    )


def _linear_region(curve: np.ndarray, low: float = 0.2, high: float = 0.7) -> tuple[int, int]:
    """Indices where a log-distance curve rises from ``low`` to ``high`` of its total rise."""
    base, top = curve[0], np.max(curve)
    rise = top - base
    if rise <= 0:
        return 0, max(2, len(curve) // 4)
    start = int(np.argmax(curve >= base + low * rise))
    stop = int(np.argmax(curve >= base + high * rise)) + 1
    if stop - start < 3:
        stop = min(len(curve), start + 3)
    return start, stop


# ---------------------------------------------------------------------------------------------
# Separation of nearby trajectories


@dataclass(frozen=True)
class PairSeparation:
    """Mean log separation of initially close pairs versus time, with its fitted slope."""

    t: np.ndarray
    log_separation: np.ndarray
    saturation: float  # mean log separation once the pairs are uncorrelated
    slope: float  # fitted growth rate in the linear region: an estimate of lambda_1
    fit: tuple[int, int]
    initial_separation: float

    @property
    def intercept(self) -> float:
        """The fitted line's value at t = 0: ``log_separation ≈ intercept + slope t`` over ``fit``."""
        a, b = self.fit
        return float(np.mean(self.log_separation[a:b] - self.slope * self.t[a:b]))

    @property
    def horizon(self) -> float:
        """The predictability horizon: when the fitted growth reaches saturation, the time after
        which the pairs are uncorrelated (NaN when they do not separate)."""
        return (self.saturation - self.intercept) / self.slope if self.slope > 0 else float("nan")


def pair_separation(system: System, n_pairs: int = 200, t_max: float | None = None, dt: float | None = None,
                    separation: float = 1e-8, seed: int = 0) -> PairSeparation:
    """The butterfly effect measured: pairs of trajectories started ``separation`` apart on the attractor.

    Pairs start at ``n_pairs`` points of a long trajectory (so on the attractor), each with a
    random perturbation of relative size ``separation``; the mean log distance grows with slope
    λ1 until it saturates at the attractor's size. ``t_max`` defaults to 30 Lyapunov times
    (from dysts's estimate; 20 periods when unknown).
    """
    if system.kind == "delay":
        raise LyapunovError(f"{system.name} is a delay system: separation of pairs is not supported for delay "
                            "systems yet")
    rng = np.random.default_rng(seed)
    dt = float(dt or system.dt)
    if system.kind == "map":
        t_max = float(t_max or 60)
    else:
        lam = system.lyapunov_max if system.lyapunov_max and system.lyapunov_max > 0 else None
        t_max = float(t_max or (30 / lam if lam else 20 * (system.period or 1.0)))
    n = max(3, int(round(t_max / dt)) + 1)
    base = integrate.trajectory(system, n=n_pairs * 10, dt=dt, transient=1000, postprocess=False).x
    starts = base[rng.choice(len(base), n_pairs, replace=False)]
    scale = np.std(base, axis=0) + 1e-12
    kick = rng.standard_normal(starts.shape)
    kick *= separation * np.linalg.norm(scale) / np.linalg.norm(kick, axis=1, keepdims=True)
    both = integrate.ensemble(system, np.concatenate([starts, starts + kick]), n=n, dt=dt,
                              method="dop853" if system.kind == "flow" else "rk4", postprocess=False,
                              on_divergence="nan")
    a, b = both[:n_pairs], both[n_pairs:]
    distance = np.linalg.norm((a - b) / scale, axis=2)
    with np.errstate(divide="ignore"):
        logs = np.log(distance)
    curve = np.nanmean(np.where(np.isfinite(logs), logs, np.nan), axis=0)
    saturation = float(np.nanmean(curve[-max(2, n // 5):]))
    start, stop = _linear_region(curve)
    slope = np.polyfit(np.arange(start, stop) * dt, curve[start:stop], 1)[0]
    return PairSeparation(t=np.arange(n) * dt, log_separation=curve, saturation=saturation, slope=float(slope),
                      fit=(start, stop), initial_separation=separation)


# ---------------------------------------------------------------------------------------------
# Literature values, for comparison tables (parameters they hold for, and the source)

LITERATURE = {
    "Lorenz": ({"sigma": 10.0, "rho": 28.0, "beta": 8 / 3}, (0.9056, 0.0, -14.5723),
               "Sprott (2003), Chaos and Time-Series Analysis, Table A.1"),
    "Rossler": ({"a": 0.2, "b": 0.2, "c": 5.7}, (0.0714, 0.0, -5.3943),
                "Sprott (2003), Chaos and Time-Series Analysis, Table A.1"),
    "Henon": ({"a": 1.4, "b": 0.3}, (0.4192, -1.6232), "Sprott (2003), Chaos and Time-Series Analysis, Table A.1"),
    "Logistic": ({"r": 4.0}, (math.log(2),), "exact: conjugate to the tent map"),
}


def verdict(exponents: np.ndarray, kind: str, stderr: float | None = None) -> str:
    """Chaotic or not, said plainly (λ1 near 0 is a periodic or quasi-periodic orbit). With λ1's
    standard error (``catalog_spectra.standard_error``), a λ1 five of them above zero is chaotic
    too, however strongly the rest of the spectrum contracts (a stiff system's scale)."""
    lam = float(exponents[0])
    # λ1 of a periodic orbit converges to 0 only as 1/T: judge it against the spectrum's scale; a
    # delay system's exponents are an order smaller (Mackey–Glass: λ1 = 0.005), over 10^5 time units
    floor = 0.0005 if kind == "delay" else 0.005
    settled = stderr is not None and math.isfinite(stderr) and lam > max(floor, 5 * stderr)
    if lam > max(floor, 0.01 * float(np.max(np.abs(exponents)))) or settled:
        return "chaotic: nearby states separate exponentially"
    if lam < -floor:
        return "not chaotic at these parameters: orbits settle onto a stable fixed point or cycle"
    what = "a periodic orbit" if kind == "map" else "a periodic or quasi-periodic orbit"
    return f"not chaotic at these parameters: λ1 ≈ 0, {what}"


def literature_spectrum(system: System) -> tuple[tuple[float, ...], str] | None:
    """A published spectrum for these parameters (to 0.1 %), with its source, or None."""
    entry = LITERATURE.get(system.name)
    if entry is None:
        return None
    params, values, source = entry
    if all(math.isclose(float(system.params[k]), v, rel_tol=1e-3) for k, v in params.items()):
        return values, source
    return None


@dataclass(frozen=True)
class Diagnostics:
    """Everything the Lyapunov tab shows for one system: the spectrum, finite-time exponents on
    the attractor, the separation of nearby pairs, λ1 from the x series and the covariant
    vectors' hyperbolicity (each of the last three: or why not)."""

    spectrum: LyapunovResult
    ftle: FTLEResult
    separation: PairSeparation | str  # or why not
    from_data: DataExponent | str
    vectors: Hyperbolicity | str  # or why not


def diagnostics(system: System, t_max: float | None = None, window: float | None = None, *, job) -> Diagnostics:
    """A job (``job.progress``, ``job.stop``): the tab's diagnostics, FTLE on 500 windows of
    ``window`` (default one period, 10 iterates for maps) with 40 samples each, and the covariant
    vectors' angles over 50 periods (1000 iterates of a map)."""
    def stage(lo, hi):
        return lambda f: job.progress(lo + (hi - lo) * f)

    result = spectrum(system, t_max=t_max, progress=stage(0.0, 0.5), stop=job.stop)
    w = window or (10.0 if system.kind == "map" else system.period or 1.0)
    local = ftle(system, window=w, t_max=500 * w, samples_per_window=40, progress=stage(0.5, 0.7), stop=job.stop)
    try:
        if system.state_dim < 2 and system.kind != "delay":
            raise LyapunovError("a one-dimensional system has one direction: there is no angle to measure")
        short = {} if system.kind == "map" else {"t_max": 50 * (system.period or 1.0),
                                                  "forward": 25 * (system.period or 1.0),
                                                  "backward": 25 * (system.period or 1.0)}
        vectors: Hyperbolicity | str = hyperbolicity(covariant_vectors(
            system, **short, progress=stage(0.7, 0.9), stop=job.stop))
    except LyapunovError as exc:
        vectors = str(exc)
    try:
        pairs: PairSeparation | str = pair_separation(system)
    except LyapunovError as exc:
        pairs = str(exc)
    truth = integrate.trajectory(system, n=10_000, transient=1000)
    try:
        from_data: DataExponent | str = max_exponent_from_data(truth.x[:, 0], float(truth.t[1] - truth.t[0]))
    except LyapunovError as exc:
        from_data = str(exc)
    return Diagnostics(result, local, pairs, from_data, vectors)


class RecentDiagnostics:
    """The diagnostics of the last ``size`` requests, shared by every session of a server: a class
    asks for the same system and settings over and over (the Lyapunov tab's cache). Keyed by the
    system's dynamics (``System.dynamics_key``) and the settings; safe across threads."""

    def __init__(self, size: int = 32):
        self.size = size
        self._held: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, system: System, *settings) -> Diagnostics | None:
        key = (system.dynamics_key, settings)
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
        return None

    def put(self, system: System, *settings, result: Diagnostics) -> None:
        with self._lock:
            self._held[(system.dynamics_key, settings)] = result
            while len(self._held) > self.size:
                self._held.popitem(last=False)


RECENT = RecentDiagnostics()


# ---------------------------------------------------------------------------------------------
# The lab's λ1 of a system: one policy for every Lyapunov time the lab measures in (forecast
# horizons, VPT, the butterfly's clock). Always the lab's own spectrum, never dysts's metadata
# estimate: shipped for published parameters in assets/lyapunov_max.json (rebuilt by
# ``python -m core.dynamics.lyapunov``, about 5 minutes), otherwise computed once per dynamics.

TABLE = Path(__file__).resolve().parents[2] / "assets" / "lyapunov_max.json"
_LARGEST: dict[tuple, "LyapunovMax"] = {}
_LARGEST_LOCK = threading.Lock()


@dataclass(frozen=True)
class LyapunovMax:
    value: float
    source: str

    def __str__(self) -> str:
        return f"λ1 = {self.value:.4g} ({self.source})"


@functools.cache
def shipped_table() -> dict:
    """λ1 at published parameters, by the lab's spectrum: ``{name: λ1}``."""
    try:
        return json.loads(TABLE.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def largest(system: System) -> LyapunovMax:
    """λ1 of ``system`` by the lab's spectrum: shipped for published parameters, else computed once.

    Raises ``NotChaotic`` when λ1 ≤ 0.
    """
    key = system.dynamics_key
    with _LARGEST_LOCK:
        if key in _LARGEST:
            return _LARGEST[key]
    entry = shipped_table().get(system.name) if system.is_published and system.origin != "typed" else None
    if entry is not None:
        found = LyapunovMax(float(entry), "the lab's spectrum, shipped table")
    else:
        found = LyapunovMax(float(spectrum(system, n_exponents=1).max), "the lab's spectrum, computed now")
    if not found.value > 0:
        raise NotChaotic(f"{system.name} is not chaotic at these parameters (λ1 = {found.value:.3g}): "
                         "there is no Lyapunov time to measure forecasts in")
    with _LARGEST_LOCK:
        _LARGEST[key] = found
    return found


def build_table(path: Path = TABLE) -> dict:
    """λ1 of every flow, map and delay system at published parameters by the lab's spectrum
    (about 5 minutes)."""
    from core import systems

    table = {}
    for name in systems.names():
        system = systems.get(name)
        try:
            table[name] = round(float(spectrum(system, n_exponents=1).max), 6)
        except (LyapunovError, IntegrationError) as exc:
            print(f"{name}: no spectrum ({exc})", file=sys.stderr)
            continue
        print(f"{name:28s} λ1 = {table[name]:.5g}", flush=True)
    path.write_text(json.dumps(table, indent=0, sort_keys=True))
    return table


if __name__ == "__main__":
    build_table()
