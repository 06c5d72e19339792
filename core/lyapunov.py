"""Lyapunov diagnostics: spectra from tangent dynamics, Kaplan–Yorke dimension, Lyapunov time.

``spectrum`` integrates the variational equations ``dQ/dt = J(x) Q`` beside the trajectory and
re-orthonormalises ``Q`` periodically (Benettin et al. 1980, Meccanica 15:9; Shimada & Nagashima
1979, Prog. Theor. Phys. 61:1605). Jacobian–vector products are central differences of the
compiled right-hand side along each tangent vector, so every catalog system is supported, with a
relative step ``eps``; the exponents are the time averages of ``log R_ii`` of the QR steps.
Delay systems are not supported yet (their tangent space is infinite-dimensional).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from core import integrate
from core.systems import System


class LyapunovError(ValueError):
    """A Lyapunov computation that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class LyapunovResult:
    """``exponents`` (descending), their running estimates ``history[k]`` at times ``t[k]``."""

    exponents: np.ndarray
    history: np.ndarray
    t: np.ndarray
    wall_time: float = 0.0

    @property
    def max(self) -> float:
        return float(self.exponents[0])


@njit(cache=True, nogil=True)
def _jv(f, x, v, p, t, eps, out, xp, fp):
    """Directional derivative ``J(x) v`` by central differences, into ``out``."""
    d = x.shape[0]
    norm_x, norm_v = 0.0, 0.0
    for i in range(d):
        norm_x += x[i] * x[i]
        norm_v += v[i] * v[i]
    step = eps * max(1.0, math.sqrt(norm_x)) / max(math.sqrt(norm_v), 1e-300)
    for i in range(d):
        xp[i] = x[i] + step * v[i]
    f(t, xp.ctypes, p.ctypes, out.ctypes)
    for i in range(d):
        xp[i] = x[i] - step * v[i]
    f(t, xp.ctypes, p.ctypes, fp.ctypes)
    for i in range(d):
        out[i] = (out[i] - fp[i]) / (2.0 * step)


@njit(cache=True, nogil=True)
def _gram_schmidt(Q, logs):
    """Orthonormalise the rows of ``Q`` in place (modified Gram–Schmidt); add log norms to ``logs``."""
    k, d = Q.shape
    for a in range(k):
        for b in range(a):
            dot = 0.0
            for i in range(d):
                dot += Q[a, i] * Q[b, i]
            for i in range(d):
                Q[a, i] -= dot * Q[b, i]
        norm = 0.0
        for i in range(d):
            norm += Q[a, i] * Q[a, i]
        norm = math.sqrt(norm)
        logs[a] += math.log(norm)
        for i in range(d):
            Q[a, i] /= norm


@njit(cache=True, nogil=True)
def _flow_tangent(f, x, Q, p, t, h, steps_per_qr, n_qr, eps, history):
    """RK4 for (x, Q) together; QR every ``steps_per_qr`` steps; running sums in ``history``."""
    k, d = Q.shape
    kx = np.empty((4, d))
    kq = np.empty((4, k, d))
    y = np.empty(d)
    Y = np.empty((k, d))
    out, xp, fp = np.empty(d), np.empty(d), np.empty(d)
    logs = np.zeros(k)
    coef = np.array([0.0, 0.5, 0.5, 1.0])
    for r in range(n_qr):
        for _ in range(steps_per_qr):
            for s in range(4):
                c = coef[s] * h
                for i in range(d):
                    y[i] = x[i] + (c * kx[s - 1, i] if s > 0 else 0.0)
                for a in range(k):
                    for i in range(d):
                        Y[a, i] = Q[a, i] + (c * kq[s - 1, a, i] if s > 0 else 0.0)
                f(t + c, y.ctypes, p.ctypes, out.ctypes)
                for i in range(d):
                    kx[s, i] = out[i]
                for a in range(k):
                    _jv(f, y, Y[a], p, t + c, eps, kq[s, a], xp, fp)
            for i in range(d):
                x[i] += h / 6.0 * (kx[0, i] + 2 * kx[1, i] + 2 * kx[2, i] + kx[3, i])
            for a in range(k):
                for i in range(d):
                    Q[a, i] += h / 6.0 * (kq[0, a, i] + 2 * kq[1, a, i] + 2 * kq[2, a, i] + kq[3, a, i])
            t += h
        for i in range(d):
            if not np.isfinite(x[i]):
                return r, t
        _gram_schmidt(Q, logs)
        for a in range(k):
            history[r, a] = logs[a]
    return n_qr, t


@njit(cache=True, nogil=True)
def _map_tangent(f, x, Q, p, n_qr, steps_per_qr, eps, history):
    """Iterate the map and its tangent map ``Q <- J(x) Q``; QR every ``steps_per_qr`` iterates."""
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
        _gram_schmidt(Q, logs)
        for a in range(k):
            history[r, a] = logs[a]
    return n_qr


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
) -> LyapunovResult:
    """The Lyapunov spectrum of a flow or map by tangent dynamics with periodic QR.

    For flows ``t_max`` (default 3000 dominant periods, at most 10^4 time units) is the averaging
    time after ``transient`` (default 10 % of it); ``h`` the RK4 step (default period / 200) and
    ``qr_interval`` the time between re-orthonormalisations (default 10 steps). For maps
    ``t_max`` counts iterates (default 10^5) and QR is done every iterate. Returns the exponents in descending order with
    their running estimates.
    """
    if system.kind == "delay":
        raise LyapunovError(f"{system.name} is a delay system: its Lyapunov spectrum is not supported yet")
    d = system.state_dim
    k = d if n_exponents is None else int(n_exponents)
    if not 1 <= k <= d:
        raise LyapunovError(f"n_exponents must be between 1 and {d}, got {n_exponents}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((d, k)))[0].T.copy()
    f, p = system.rhs_kernel, system.param_vector
    if system.kind == "map":
        n = int(t_max or 100_000)
        skip = int(transient if transient is not None else n // 10)
        x = integrate.trajectory(system, n=1, ic=ic, transient=skip, postprocess=False).x[-1].copy()
        history = np.zeros((n, k))
        done = _map_tangent(f, x, Q, p, n, 1, eps, history)
        times = np.arange(1, n + 1, dtype=float)
    else:
        period = system.period or 1.0
        t_max = float(t_max or min(10_000.0, 3000 * period))
        h = float(h or period / 200)
        every = max(1, round((qr_interval or 10 * h) / h))
        n = max(1, int(round(t_max / (every * h))))
        skip = float(transient if transient is not None else 0.1 * t_max)
        warm = max(2, int(skip / system.dt) + 1)
        x = integrate.trajectory(system, n=warm, ic=ic, postprocess=False).x[-1].copy()
        history = np.zeros((n, k))
        done, _ = _flow_tangent(f, x, Q, p, 0.0, h, every, n, eps, history)
        times = np.arange(1, n + 1) * every * h
    if done < n:
        raise integrate.IntegrationError(
            f"{system.name} diverged while computing its Lyapunov spectrum at t={times[max(done - 1, 0)]:.4g}"
        )
    running = history / times[:, None]
    return LyapunovResult(exponents=running[-1].copy(), history=running, t=times,
                          wall_time=time.perf_counter() - start)


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


def lyapunov_time(exponents_or_max) -> float:
    """1 / λ1, the e-folding time of small errors (infinite when λ1 <= 0)."""
    lam = float(np.max(np.atleast_1d(exponents_or_max)))
    return math.inf if lam <= 0 else 1.0 / lam
