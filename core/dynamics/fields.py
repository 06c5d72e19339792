"""Integrating fields, and their Lyapunov spectra.

The PDEs are stiff (the fourth derivative of Kuramoto–Sivashinsky damps short waves at a rate
q⁴), so they are stepped by ETDRK4 (Cox & Matthews 2002, J. Comput. Phys. 176, 430), the linear
part exactly in Fourier space and the nonlinear part by a fourth-order exponential Runge–Kutta
scheme whose φ-function coefficients are computed on a contour in the complex plane, which avoids
their cancellation error for small |hL| (Kassam & Trefethen 2005, SIAM J. Sci. Comput. 26, 1214).

The Lyapunov spectrum follows Benettin et al. (1980): k tangent vectors ride along, each stepped
by the *derivative of the same ETDRK4 step* (the scheme applied to the variational equation
w_t = Lw + N'(u)w with every stage's N' taken at that stage's state), so the exponents are those
of the discrete map the simulation iterates; the vectors are re-orthonormalised by QR in physical
space every few steps. Lorenz-96 is an ODE and goes through the catalog's ``Lorenz96N`` and the
lab's Runge–Kutta engine and tangent dynamics (``core.dynamics.lyapunov``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from core import systems
from core.dynamics import integrate, lyapunov
from core.dynamics.lyapunov import LyapunovResult
from core.errors import ArgumentError, IntegrationError, Stopped
from core.systems.fields import Field

CHUNK_STEPS = 2000  # compiled steps between two checks for divergence, progress and Stop
BOUND = 1e4  # a field whose values exceed this has left any attractor: reported as diverged
MAX_VALUES = 60_000_000  # a simulation returns at most this many numbers (≈ 240 MB as float32)
# points on the contour of the φ-functions: a full circle, since the λ–ω field's L is complex
# (Kassam & Trefethen's half circle of 32 and its real part hold for a real L only)
CONTOUR_POINTS = 64
DEFAULT_TRANSIENT = {"KuramotoSivashinsky": 200.0, "LambdaOmega": 0.0, "Lorenz96": 20.0}
# a spectrum starts on the attractor: the spiral takes about this long to form and settle
SPECTRUM_TRANSIENT = {**DEFAULT_TRANSIENT, "LambdaOmega": 200.0}
# a spectrum's default averaging time (after the transient), in the field's time units
DEFAULT_T_MAX = {"KuramotoSivashinsky": 20_000.0, "LambdaOmega": 200.0, "Lorenz96": 1000.0}


@dataclass(frozen=True)
class FieldRun:
    """``u[i]`` is the field at time ``t[i]`` on the grid ``x`` (``(time, grid)`` in 1-D,
    ``(time, grid, grid)`` in 2-D, whose first axis is y); ``state`` is where the run ended,
    in the integrator's own variables, so a run can be continued (``simulate(..., ic=state)``)."""

    field: Field
    t: np.ndarray
    x: np.ndarray
    u: np.ndarray
    state: np.ndarray
    wall_time: float


KS, LAMBDA_OMEGA = 0, 1  # which nonlinearity a compiled kernel applies (``_nonlinear``)


@njit(cache=True, nogil=True)
def _nonlinear(kind, v, p):
    """N(v) in spectral space; ``v`` is 2-D for both fields (Kuramoto–Sivashinsky's one row of
    modes), so one compiled kernel, cached on disk, serves both (numba does not cache kernels
    that take functions as arguments: they compiled again in every process, 3 s)."""
    if kind == KS:  # −(iq/2) FFT(u²), p = −iq/2
        u = np.fft.irfft(v, 2 * (v.shape[1] - 1))
        return p * np.fft.rfft(u * u)
    a = np.fft.ifft2(v)  # λ–ω: −c|A|²A, p[0] = c = 1 + iβ
    return -p[0] * np.fft.fft2(np.abs(a) ** 2 * a)


@njit(cache=True, nogil=True)
def _tangent(kind, v, w, p):
    """N'(v) applied to each of the vectors ``w[j]``."""
    out = np.empty_like(w)
    if kind == KS:
        n = 2 * (v.shape[1] - 1)
        u = np.fft.irfft(v, n)
        for j in range(w.shape[0]):
            out[j] = 2 * p * np.fft.rfft(u * np.fft.irfft(w[j], n))
        return out
    # N(A) = −c|A|²A is real-linear, not complex-linear, in a perturbation δA:
    # N'(A)δA = −c(2|A|²δA + A² conj(δA))
    a = np.fft.ifft2(v)
    for j in range(w.shape[0]):
        d = np.fft.ifft2(w[j])
        out[j] = -p[0] * np.fft.fft2(2 * np.abs(a) ** 2 * d + a * a * np.conj(d))
    return out


@njit(cache=True, nogil=True)
def _advance(v, count, coefficients, kind, p):
    """``count`` ETDRK4 steps of v_t = Lv + N(v) (Cox & Matthews 2002, their eq. 26)."""
    E, E2, Q, f1, f2, f3 = coefficients
    for _ in range(count):
        nv = _nonlinear(kind, v, p)
        a = E2 * v + Q * nv
        na = _nonlinear(kind, a, p)
        b = E2 * v + Q * na
        nb = _nonlinear(kind, b, p)
        c = E2 * a + Q * (2 * nb - nv)
        nc = _nonlinear(kind, c, p)
        v = E * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3
    return v


@njit(cache=True, nogil=True)
def _samples(v, out, per_sample, coefficients, kind, p):
    """``out[0] = v``, then every ``per_sample`` steps the next; returns the state after the last."""
    out[0] = v
    for i in range(1, out.shape[0]):
        v = _advance(v, per_sample, coefficients, kind, p)
        out[i] = v
    return v


@njit(cache=True, nogil=True)
def _advance_tangent(v, w, count, coefficients, kind, p):
    """``count`` steps and their exact derivative applied to the vectors ``w[j]``: the chain rule
    through every stage, which is ETDRK4 applied to w_t = Lw + N'(v)w with N' at each stage's state."""
    E, E2, Q, f1, f2, f3 = coefficients
    for _ in range(count):
        nv, tv = _nonlinear(kind, v, p), _tangent(kind, v, w, p)
        a, wa = E2 * v + Q * nv, E2 * w + Q * tv
        na, ta = _nonlinear(kind, a, p), _tangent(kind, a, wa, p)
        b, wb = E2 * v + Q * na, E2 * w + Q * ta
        nb, tb = _nonlinear(kind, b, p), _tangent(kind, b, wb, p)
        c, wc = E2 * a + Q * (2 * nb - nv), E2 * wa + Q * (2 * tb - tv)
        nc, tc = _nonlinear(kind, c, p), _tangent(kind, c, wc, p)
        v = E * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3
        w = E * w + tv * f1 + 2 * (ta + tb) * f2 + tc * f3
    return v, w


class ETDRK4:
    """ETDRK4 for v_t = L v + N(v) with L diagonal in spectral space: the φ-function coefficients
    of step ``h``, and compiled steps of the field ``kind`` (``KS``, ``LAMBDA_OMEGA``) whose
    nonlinearity's constants are ``p``. States are 2-D spectral arrays (a row of modes in 1-D);
    tangent vectors stack on a leading axis. NumPy's FFT compiles through rocket-fft.
    """

    def __init__(self, linear: np.ndarray, h: float, kind: int, p: np.ndarray):
        hl = h * np.asarray(linear, dtype=complex)
        roots = np.exp(2j * np.pi * (np.arange(1, CONTOUR_POINTS + 1) - 0.5) / CONTOUR_POINTS)
        r = hl.reshape(-1, 1) + roots  # a circle of radius 1 around every hL
        er = np.exp(r)

        def mean(values):
            return values.mean(axis=1).reshape(hl.shape)

        self.coefficients = (
            np.exp(hl), np.exp(hl / 2), h * mean((np.exp(r / 2) - 1) / r),
            h * mean((-4 - r + er * (4 - 3 * r + r**2)) / r**3),
            h * mean((2 + r + er * (r - 2)) / r**3),
            h * mean((-4 - 3 * r - r**2 + er * (4 - r)) / r**3),
        )
        self.kind, self.p = kind, np.asarray(p, dtype=complex)

    def step(self, v: np.ndarray, count: int = 1) -> np.ndarray:
        return _advance(v, count, self.coefficients, self.kind, self.p)

    def samples(self, v: np.ndarray, out: np.ndarray, per_sample: int) -> np.ndarray:
        return _samples(v, out, per_sample, self.coefficients, self.kind, self.p)

    def step_with_tangent(self, v: np.ndarray, w: np.ndarray, count: int = 1) -> tuple[np.ndarray, np.ndarray]:
        return _advance_tangent(v, w, count, self.coefficients, self.kind, self.p)


# -- the two PDEs: grids, operators, initial conditions ------------------------------------------
def grid_points(field: Field) -> np.ndarray:
    """Positions of the grid: [0, L) for Kuramoto–Sivashinsky and Lorenz-96's sites, centred
    [−L/2, L/2) for the 2-D field (its spiral sits at the centre)."""
    x = np.arange(field.grid) * field.spacing
    return x - field.length / 2 if field.space_dims == 2 else x


class _KuramotoSivashinsky:
    """û_t = (q² − q⁴) û − (iq/2) FFT(u²), on the real FFT's N/2 + 1 modes."""

    def __init__(self, field: Field):
        n = field.grid
        q = 2 * np.pi / field.length * np.arange(n // 2 + 1)
        g = -0.5j * q
        g[-1] = 0.0  # the Nyquist mode has no derivative on an even grid
        self.n, self.real_size = n, n
        self.scheme = ETDRK4((q**2 - q**4)[None, :], field.step, KS, g)

    def to_spectral(self, u):
        """Spectral states are rows (1, N/2 + 1); a stack of fields (k, N) gives (k, 1, N/2 + 1)."""
        return np.fft.rfft(u, axis=-1)[..., None, :]

    def to_physical(self, v):
        return np.fft.irfft(v, self.n, axis=-1)[..., 0, :]

    def picture(self, v):
        return self.to_physical(v)

    def initial(self, field: Field, seed: int):
        # Kassam & Trefethen's u0 = cos(x/16)(1 + sin(x/16)) on [0, 32π), rescaled to the domain,
        # plus a seeded perturbation of the longest waves so that two seeds give two orbits
        x = grid_points(field)
        s = 2 * np.pi * x / field.length
        rng = np.random.default_rng(seed)
        modes = np.arange(1, 4)
        kick = (rng.normal(size=(3, 1)) * np.cos(modes[:, None] * s + rng.uniform(0, 2 * np.pi, (3, 1)))).sum(0)
        return np.cos(s) * (1 + np.sin(s)) + 0.1 * kick

    def real_vectors(self, w):
        return self.to_physical(w)

    def from_real(self, q):
        # the mean of u is conserved (its mode has neither growth nor coupling), so a perturbation
        # of the mean is neutral forever: the tangent space is the zero-mean one, as in the literature
        w = self.to_spectral(q)
        w[..., 0] = 0.0
        return w


class _LambdaOmega:
    """Â_t = (1 − d(1 + iα)|k|²) Â − FFT((1 + iβ)|A|²A) for the complex field A = u + iv."""

    def __init__(self, field: Field):
        n, p = field.grid, field.params
        k = 2 * np.pi * np.fft.fftfreq(n, d=field.spacing)
        k2 = k[:, None] ** 2 + k[None, :] ** 2
        self.n, self.real_size = n, 2 * n * n
        self.scheme = ETDRK4(1 - p["d"] * (1 + 1j * p["alpha"]) * k2, field.step, LAMBDA_OMEGA,
                             np.array([1 + 1j * p["beta"]]))

    def to_spectral(self, a):
        return np.fft.fft2(a, axes=(-2, -1))

    def to_physical(self, v):
        return np.fft.ifft2(v, axes=(-2, -1))

    def picture(self, v):
        return self.to_physical(v).real  # the species u

    def initial(self, field: Field, seed: int):
        # the rd-spiral data set's one-armed spiral, A = tanh(r) e^{i(θ − r)}, seeded by a
        # small perturbation so that two seeds give two orbits
        x = grid_points(field)
        X, Y = np.meshgrid(x, x)
        r = np.hypot(X, Y)
        rng = np.random.default_rng(seed)
        return np.tanh(r) * np.exp(1j * (np.angle(X + 1j * Y) - r)) + 1e-3 * rng.normal(size=X.shape)

    def real_vectors(self, w):
        z = self.to_physical(w).reshape(len(w), -1)
        return np.concatenate([z.real, z.imag], axis=1)

    def from_real(self, q):
        half = q.shape[1] // 2
        return self.to_spectral((q[:, :half] + 1j * q[:, half:]).reshape(len(q), self.n, self.n))


_PDES = {"KuramotoSivashinsky": _KuramotoSivashinsky, "LambdaOmega": _LambdaOmega}


def _lorenz96(field: Field):
    return systems.get("Lorenz96N", N=float(field.grid), f=field.params["F"])


def _transient(field: Field, transient, defaults=DEFAULT_TRANSIENT) -> float:
    value = defaults[field.name] if transient is None else float(transient)
    if not value >= 0:
        raise ArgumentError(f"transient must be a time ≥ 0, got {transient!r}")
    return value


def _diverged(field: Field, t: float) -> IntegrationError:
    return IntegrationError(f"{field.title} diverged at t = {t:.4g} (values beyond {BOUND:g}): lower the step "
                            f"(now {field.step:g}) or refine the grid (now {field.grid})")


def simulate(field: Field, n: int = 1000, transient: float | None = None, ic=None, seed: int = 0,
             progress=None, stop=None) -> FieldRun:
    """``n`` snapshots of ``field`` every ``field.dt`` after ``transient`` time units (defaults in
    ``DEFAULT_TRANSIENT``), from ``ic`` (a state in the integrator's variables, e.g. a previous
    run's ``state``) or from the field's seeded initial condition. ``progress(fraction)`` is
    called as it goes; the ``stop`` event ends the run early with the snapshots so far, as
    ``integrate.trajectory`` does. Raises ``IntegrationError`` when the field diverges and
    ``ArgumentError`` for a run too long to hold."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ArgumentError(f"n must be a whole number of snapshots ≥ 1, got {n!r}")
    per_snapshot = field.grid ** field.space_dims
    if n * per_snapshot > MAX_VALUES:
        raise ArgumentError(f"{n} snapshots of {per_snapshot} values exceed the {MAX_VALUES:,} a run may hold: "
                            f"ask for at most {MAX_VALUES // per_snapshot} or use a coarser grid")
    transient = _transient(field, transient)
    start = time.perf_counter()
    if field.name == "Lorenz96":
        skip = int(round(transient / field.dt))
        try:
            run = integrate.trajectory(_lorenz96(field), n=n, dt=field.dt, ic=ic, transient=skip, method="rk4",
                                       h=field.step, seed=seed, progress=progress, stop=stop)
        except IntegrationError as error:
            raise IntegrationError(f"{field.title} diverged ({error}): lower the step (now {field.step:g}) "
                                   f"or F (now {field.params['F']:g})") from error
        return FieldRun(field, run.t, grid_points(field), run.x, run.x[-1].copy(), time.perf_counter() - start)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging field is caught and reported below
        return _simulate_pde(field, n, transient, ic, seed, progress, stop, start)


def _run_in(pde, v, steps: int, field: Field, t0: float, stop=None):
    """``steps`` steps of ``v`` in chunks, each checked for divergence (and ``stop``): the state,
    and whether it was stopped."""
    done = 0
    while done < steps:
        count = min(CHUNK_STEPS, steps - done)
        v = pde.scheme.step(v, count)
        done += count
        if not np.all(np.isfinite(v)):
            raise _diverged(field, t0 + done * field.step)
        if stop is not None and stop.is_set():
            return v, True
    return v, False


def _simulate_pde(field, n, transient, ic, seed, progress, stop, start) -> FieldRun:
    pde = _PDES[field.name](field)
    v = pde.to_spectral(np.asarray(ic) if ic is not None else pde.initial(field, seed)).astype(complex)
    per_sample = int(round(field.dt / field.step))
    v, stopped = _run_in(pde, v, int(round(transient / field.step)), field, 0.0, stop)
    u = np.empty((n, *([field.grid] * field.space_dims)), dtype=np.float32 if field.space_dims == 2 else float)
    buffer = np.empty((min(n, max(1, CHUNK_STEPS // per_sample)), *v.shape), dtype=complex)
    rows = 0
    while rows < n and not stopped:
        m = min(len(buffer), n - rows)
        if rows:
            v = pde.scheme.step(v, per_sample)
        v = pde.scheme.samples(v, buffer[:m], per_sample)
        pictures = pde.picture(buffer[:m])
        bad = ~np.all(np.abs(pictures.reshape(m, -1)) < BOUND, axis=1)
        if bad.any():
            raise _diverged(field, transient + (rows + int(np.argmax(bad))) * field.dt)
        u[rows:rows + m] = pictures
        rows += m
        if progress is not None:
            progress(rows / n)
        stopped = stop is not None and stop.is_set()
    t = transient + np.arange(rows) * field.dt
    return FieldRun(field, t, grid_points(field), u[:rows], pde.to_physical(v), time.perf_counter() - start)


def spectrum(field: Field, n_exponents: int = 8, t_max: float | None = None, transient: float | None = None,
             qr_every: int = 4, seed: int = 0, progress=None, stop=None) -> LyapunovResult:
    """The ``n_exponents`` leading Lyapunov exponents of ``field`` over ``t_max`` time units
    (defaults in ``DEFAULT_T_MAX``) after ``transient``, by tangent ETDRK4 with QR every
    ``qr_every`` steps (Lorenz-96: ``lyapunov.spectrum`` on ``Lorenz96N``). ``stop`` raises
    ``errors.Stopped``."""
    k = int(n_exponents)
    if not 1 <= k <= field.state_dim:
        raise ArgumentError(f"n_exponents must be from 1 to the state's dimension {field.state_dim}, got {n_exponents!r}")
    t_max = DEFAULT_T_MAX[field.name] if t_max is None else float(t_max)
    if not t_max > 0:
        raise ArgumentError(f"t_max must be a positive time, got {t_max!r}")
    transient = _transient(field, transient, SPECTRUM_TRANSIENT)
    if field.name == "Lorenz96":
        return lyapunov.spectrum(_lorenz96(field), k, t_max=t_max, transient=transient, h=field.step,
                                 seed=seed, progress=progress, stop=stop)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging field is caught and reported below
        return _pde_spectrum(field, k, t_max, transient, qr_every, seed, progress, stop)


def _pde_spectrum(field, k, t_max, transient, qr_every, seed, progress, stop) -> LyapunovResult:
    start = time.perf_counter()
    pde = _PDES[field.name](field)
    v, _ = _run_in(pde, pde.to_spectral(pde.initial(field, seed)).astype(complex),
                   int(round(transient / field.step)), field, 0.0)
    rng = np.random.default_rng(seed)
    w = pde.from_real(rng.normal(size=(k, pde.real_size)))
    n_qr = max(1, int(round(t_max / (field.step * qr_every))))
    logs = np.zeros(k)
    history = np.empty((n_qr, k))
    times = (np.arange(1, n_qr + 1) * qr_every) * field.step
    for i in range(n_qr):
        v, w = pde.scheme.step_with_tangent(v, w, qr_every)
        q, r = np.linalg.qr(pde.real_vectors(w).T)
        d = np.diag(r)
        if not np.all(np.isfinite(d)) or np.any(d == 0):
            raise _diverged(field, transient + times[i])
        logs += np.log(np.abs(d))
        history[i] = logs / times[i]
        w = pde.from_real(q.T)
        if i % 100 == 0:
            if stop is not None and stop.is_set():
                raise Stopped(f"{field.title}'s spectrum stopped at t = {times[i]:.4g}")
            if progress is not None:
                progress(i / n_qr)
    order = np.argsort(history[-1])[::-1]
    return LyapunovResult(exponents=history[-1][order].copy(), history=history[:, order], t=times,
                          wall_time=time.perf_counter() - start, jacobian="ETDRK4 tangent", step=field.step)
