"""Where a spectrum's time goes: the lab's Lorenz spectrum beside a hand-written loop on the same work.

    .venv/bin/python -m benchmarks.lyapunov_speed

The anchor is the fastest honest code for this one system: a numba loop with Lorenz's right-hand
side and tangent map inlined, RK4 at the lab's own step (period / 200), Gram–Schmidt every 10
steps, no allocation. Both cover 2000 time units after 100 of transient (DynamicalSystems.jl's
documented ``lyapunovspectrum(lorenz, 2000; Ttr = 100)``). Then the lab's time taken apart: the
compiled kernel alone with dysts's analytic Jacobian and with central differences, one vector
instead of three (the kernel's general copy, whose loops over the dimensions do not unroll), QR
ten times rarer, the set-up around the kernel, and the price of one call of the right-hand side
and of the Jacobian through their pointers, the Jacobian as the lab compiles it (rows as tuples)
and as dysts wrote it (rows as lists, each a heap allocation) (issue 23, item 6: target ≤ 2× the
loop for the path a user gets, ≤ 4× for the shared kernel).
"""

from __future__ import annotations

import numpy as np
from dysts.flows import Lorenz as DystsLorenz
from numba import njit

from benchmarks.timing import best_of
from core import systems
from core.dynamics import integrate, lyapunov

SPAN, TRANSIENT = 2000.0, 100.0


@njit(cache=True, nogil=True)
def _lorenz_field(z, out, sigma, rho, beta):
    x, y, w = z[0], z[1], z[2]
    out[0], out[1], out[2] = sigma * (y - x), x * (rho - w) - y, x * y - beta * w
    for a in range(3):
        u, v, s = z[3 + 3 * a], z[4 + 3 * a], z[5 + 3 * a]
        out[3 + 3 * a] = sigma * (v - u)
        out[4 + 3 * a] = (rho - w) * u - v - x * s
        out[5 + 3 * a] = y * u + x * v - beta * s


@njit(cache=True, nogil=True)
def lorenz_loop(x0, h, n_steps, every, sigma, rho, beta):
    """Lorenz's three exponents: RK4 on (x, Q) with the tangent map inlined, Gram–Schmidt every
    ``every`` steps."""
    z, y = np.zeros(12), np.empty(12)
    k1, k2, k3, k4 = np.empty(12), np.empty(12), np.empty(12), np.empty(12)
    z[:3] = x0
    z[3], z[7], z[11] = 1.0, 1.0, 1.0
    logs = np.zeros(3)
    for step in range(n_steps):
        _lorenz_field(z, k1, sigma, rho, beta)
        for i in range(12):
            y[i] = z[i] + 0.5 * h * k1[i]
        _lorenz_field(y, k2, sigma, rho, beta)
        for i in range(12):
            y[i] = z[i] + 0.5 * h * k2[i]
        _lorenz_field(y, k3, sigma, rho, beta)
        for i in range(12):
            y[i] = z[i] + h * k3[i]
        _lorenz_field(y, k4, sigma, rho, beta)
        for i in range(12):
            z[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        if (step + 1) % every == 0:
            for a in range(3):
                for b in range(a):
                    dot = 0.0
                    for i in range(3):
                        dot += z[3 + 3 * a + i] * z[3 + 3 * b + i]
                    for i in range(3):
                        z[3 + 3 * a + i] -= dot * z[3 + 3 * b + i]
                norm = 0.0
                for i in range(3):
                    norm += z[3 + 3 * a + i] ** 2
                norm = np.sqrt(norm)
                logs[a] += np.log(norm)
                for i in range(3):
                    z[3 + 3 * a + i] /= norm
    return logs / (n_steps * h)


@njit(cache=True, nogil=True)
def _pointer_calls(f, p, size, n):
    """``n`` calls of a compiled ``f(t, x*, p*, out*)`` with an output of ``size`` values."""
    x, out, acc = np.array([1.0, 2.0, 3.0]), np.empty(size), 0.0
    for i in range(n):
        x[0] = 1.0 + i * 1e-12
        f(0.0, x.ctypes, p.ctypes, out.ctypes)
        acc += out[0]
    return acc


@njit(cache=True, nogil=True)
def _dysts_jacobian_calls(jac, n):
    """``n`` calls of dysts's own Lorenz Jacobian, ``_jac(x, y, z, t, beta, rho, sigma)``."""
    acc = 0.0
    for i in range(n):
        rows = jac(1.0 + i * 1e-12, 2.0, 3.0, 0.0, 8 / 3, 28.0, 10.0)
        acc += rows[0][0]
    return acc


def kernel_alone(lorenz, x0, h, k, analytic, every=10):
    """The lab's compiled tangent kernel alone (``lyapunov._flow_tangent``) over the span."""
    f, p, jac = lorenz.rhs_kernel, lorenz.param_vector, lorenz.jacobian_kernel
    n_qr = int(round(SPAN / (every * h)))
    z = np.concatenate([x0, np.eye(3)[:k].ravel(), [0.0]])
    history, states = np.zeros((n_qr, k)), np.zeros((n_qr, 3))
    lyapunov._flow_tangent(f, jac if analytic else f, analytic, k, 1e-7, z, p, 0.0, h, every, n_qr, history,
                           states, np.zeros((0, k, 3)), np.zeros((0, k, k)))
    return history[-1] / (n_qr * every * h)


def main() -> None:
    lorenz = systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3)
    h = lorenz.period / 200
    n_steps = int(round(SPAN / h))
    x0 = integrate.trajectory(lorenz, n=2, dt=TRANSIENT).x[-1].copy()
    lorenz_loop(x0, h, 10, 10, 10.0, 28.0, 8 / 3)
    kernel_alone(lorenz, x0, h, 3, True, every=10)
    kernel_alone(lorenz, x0, h, 3, False, every=10)
    lyapunov.spectrum(lorenz, t_max=20.0, transient=10.0)

    loop_s, loop = best_of(lambda: lorenz_loop(x0, h, n_steps, 10, 10.0, 28.0, 8 / 3))
    rows = [
        ("hand-written numba loop (anchor)", loop_s, loop),
        ("lab: spectrum(lorenz, t_max=2000, transient=100)",
         *best_of(lambda: lyapunov.spectrum(lorenz, t_max=SPAN, transient=TRANSIENT).exponents)),
        ("  its kernel alone, dysts's analytic Jacobian", *best_of(lambda: kernel_alone(lorenz, x0, h, 3, True))),
        ("  its kernel alone, central differences", *best_of(lambda: kernel_alone(lorenz, x0, h, 3, False))),
        ("  its kernel alone, one vector (the general copy)", *best_of(lambda: kernel_alone(lorenz, x0, h, 1, True))),
        ("  its kernel alone, QR every 100 steps", *best_of(lambda: kernel_alone(lorenz, x0, h, 3, True, 100))),
        ("  set-up only (t_max = 2: warm-up, step, Jacobian check)",
         *best_of(lambda: lyapunov.spectrum(lorenz, t_max=2.0, transient=TRANSIENT).exponents)),
    ]
    print(f"Lorenz spectrum over {SPAN:g} time units at h = period/200 = {h:.5f} ({n_steps} RK4 steps)")
    print(f"{'':58s} {'time [ms]':>9s} {'ns/step':>8s} {'x loop':>7s}  lambda")
    for label, seconds, lam in rows:
        lam = np.resize(np.asarray(lam, dtype=float), 3)
        print(f"{label:58s} {1e3 * seconds:9.1f} {1e9 * seconds / n_steps:8.0f} {seconds / loop_s:7.1f}  "
              f"{np.round(lam, 4)}")
    n = 1_000_000
    p = lorenz.param_vector
    dysts_jac = DystsLorenz._jac
    _pointer_calls(lorenz.rhs_kernel, p, 3, 10), _pointer_calls(lorenz.jacobian_kernel, p, 9, 10)
    _dysts_jacobian_calls(dysts_jac, 10)
    rhs_s, _ = best_of(lambda: _pointer_calls(lorenz.rhs_kernel, p, 3, n))
    jac_s, _ = best_of(lambda: _pointer_calls(lorenz.jacobian_kernel, p, 9, n))
    lists_s, _ = best_of(lambda: _dysts_jacobian_calls(dysts_jac, n))
    print(f"\none call through a pointer: right-hand side {1e9 * rhs_s / n:.0f} ns, the Jacobian "
          f"{1e9 * jac_s / n:.0f} ns (dysts's own, its rows built as lists: {1e9 * lists_s / n:.0f} ns); "
          "RK4 makes 4 of each per step")


if __name__ == "__main__":
    main()
