"""Delay systems' Lyapunov spectra: ours beside Farmer (1982) and a NumPy method of steps.

    .venv/bin/python -m benchmarks.lyapunov_delay

1. Speed, on the same work: Mackey–Glass (beta 0.2, gamma 0.1, n 10, tau 17), N = 100 points per
   delay, its 4 leading exponents over 2000 time units. Ours (``lyapunov.spectrum``: compiled
   Runge–Kutta method of steps and its linearisation, QR every 10 steps) against the textbook
   method in NumPy (Farmer 1982; Sprott 2006, "Lyapunov exponents for delay differential
   equations": Euler steps of the N + 1 dimensional delay map and its Jacobian, QR every 10 steps).
2. Farmer's Mackey–Glass attractors at tau = 17, 23, 30: our leading exponents over 4·10^5 time
   units and the Kaplan–Yorke dimension beside Farmer's Lyapunov dimension.
3. The grid: the same at tau = 17 with N = 50, 100, 200, 400 points per delay.
4. Every catalog delay system at its published parameters, at the defaults (the Lyapunov tab's).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import best_of
from core import systems
from core.dynamics import lyapunov

FARMER_DIMENSION = {17: 2.10, 23: 2.82, 30: 3.58}  # Farmer (1982), Physica D 4, 366


def mackey_glass(tau: float):
    return systems.get("MackeyGlass", beta=0.2, gamma=0.1, n=10.0, tau=tau)


def numpy_method_of_steps(tau: float, points: int, t_max: float, k: int = 4, every: int = 10,
                          seed: int = 0) -> np.ndarray:
    """The textbook method: the Euler delay map x0 <- x0 + h F(x0, xN) on the state
    (x(t), x(t - h), …, x(t - tau)), its tangent map on k vectors, QR every ``every`` steps."""
    h = tau / points
    beta, gamma, n = 0.2, 0.1, 10.0
    x = np.full(points + 1, 1.2)
    for _ in range(int(0.1 * t_max / h)):  # transient
        x = np.concatenate([[x[0] + h * (beta * x[-1] / (1 + x[-1] ** n) - gamma * x[0])], x[:-1]])
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((points + 1, k)))[0]
    logs = np.zeros(k)
    steps = int(t_max / h)
    for step in range(1, steps + 1):
        dfdy = beta * (1 + (1 - n) * x[-1] ** n) / (1 + x[-1] ** n) ** 2
        head = (1 - h * gamma) * Q[0] + h * dfdy * Q[-1]
        Q = np.vstack([head, Q[:-1]])
        x = np.concatenate([[x[0] + h * (beta * x[-1] / (1 + x[-1] ** n) - gamma * x[0])], x[:-1]])
        if step % every == 0:
            Q, R = np.linalg.qr(Q)
            logs += np.log(np.abs(np.diag(R)))
    return np.sort(logs / (steps * h))[::-1]


def main() -> None:
    tau, points, span = 17.0, 100, 2000.0
    system = mackey_glass(tau)

    def ours():
        return lyapunov.spectrum(system, n_exponents=4, h=tau / points, t_max=span).exponents

    def numpy_loop():
        return numpy_method_of_steps(tau, points, span)

    ours()
    seconds, lam = best_of(ours)
    anchor_seconds, anchor = best_of(numpy_loop, repeat=1)
    print(f"1. Mackey-Glass tau = 17, N = {points}, 4 exponents over {span:g} time units (same work)")
    print(f"   ours (compiled RK4 method of steps)   {seconds:8.3f} s   {np.round(lam, 4)}")
    print(f"   NumPy Euler method of steps (anchor)   {anchor_seconds:8.3f} s   {np.round(anchor, 4)}")
    print(f"   ratio anchor / ours: {anchor_seconds / seconds:.0f}x\n")

    print("2. Farmer's Mackey-Glass attractors: ours over 4e5 time units, N = 100")
    print(f"   {'tau':>4s} {'time [s]':>9s} {'l1':>8s} {'l2':>8s} {'l3':>8s} {'l4':>8s} {'D_KY':>6s} {'Farmer':>7s} {'err':>6s}")
    for tau, farmer in FARMER_DIMENSION.items():
        start = time.perf_counter()
        lam = lyapunov.spectrum(mackey_glass(tau), t_max=400_000).exponents
        dimension = lyapunov.kaplan_yorke_dimension(lam)
        print(f"   {tau:4d} {time.perf_counter() - start:9.2f} " + " ".join(f"{v:8.5f}" for v in lam[:4])
              + f" {dimension:6.3f} {farmer:7.2f} {abs(dimension / farmer - 1):6.1%}")

    print("\n3. The grid: tau = 17 over 4e5 time units")
    for points in (50, 100, 200, 400):
        start = time.perf_counter()
        lam = lyapunov.spectrum(mackey_glass(17), h=17 / points, t_max=400_000).exponents
        print(f"   N = {points:3d} {time.perf_counter() - start:7.2f} s  l1 = {lam[0]:.5f}  l2 = {lam[1]:+.5f}  "
              f"D_KY = {lyapunov.kaplan_yorke_dimension(lam):.3f}")

    print("\n4. The catalog's delay systems at published parameters, defaults")
    for name in systems.names(kind="delay"):
        system = systems.get(name)
        start = time.perf_counter()
        result = lyapunov.spectrum(system)
        lam = result.exponents
        dimension = lyapunov.kaplan_yorke_text(lam, partial=True).replace(" (more exponents needed)", "")
        print(f"   {name:17s} {time.perf_counter() - start:6.2f} s  N = {result.grid_points:3d}  "
              f"T = {result.t[-1]:8.3g}  l1 = {lam[0]:+.5f}  D_KY {dimension:>6s}  "
              f"(dysts: l_max {system.lyapunov_max:.4f})  {lyapunov.verdict(lam, 'delay').split(':')[0]}")


if __name__ == "__main__":
    main()
