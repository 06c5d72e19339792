"""Integration speed and accuracy: ours against dysts (scipy DOP853) and NumPy, in one process.

    .venv/bin/python -m benchmarks.integrate [--flows 25] [--points 1000]

1. DOP853 at rtol = atol = 1e-9 on the same uniform grid (dysts's own sampling: 100 points per
   dominant period) for the first N flows of the catalog: ours versus dysts ``make_trajectory``.
   Accuracy of each is the RMS error against scipy DOP853 at rtol = atol = 1e-13, relative to the
   attractor's size. Timings are the best of three runs after one warm-up (no compilation).
2. Lorenz, 10^6 fixed RK4 steps through ``trajectory`` (target < 0.1 s), with the integrator every
   system shares (the right-hand side called through a function pointer) and with the one
   numba specialises to Lorenz (right-hand side inlined); anchors: a numba loop with Lorenz's
   right-hand side written into it (the fastest a compiled RK4 gets: the ratio to it is the cost
   of one engine for 162 systems; target <= 2x) and the same RK4 in NumPy.
3. Lorenz ensemble, 1000 initial conditions x 10^4 RK4 steps (target < 2 s); anchor: the same
   RK4 vectorised over members in NumPy.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from numba import njit
from scipy.integrate import solve_ivp

from benchmarks.timing import best_of
from core import systems
from core.dynamics import integrate


def dop853_case(name: str, n: int):
    import dysts.flows

    system = systems.get(name)
    model = getattr(dysts.flows, name)()
    t_end = system.period * n / 100  # dysts: tlim = period * n / pts_per_period
    dt = t_end / (n - 1)
    t = np.arange(n) * dt
    ref = solve_ivp(lambda s, x: system.rhs(x, s), (0, t[-1]), system.ic, method="DOP853",
                    rtol=1e-13, atol=1e-13, t_eval=t).y.T
    scale = np.sqrt(np.mean((ref - ref.mean(axis=0)) ** 2))

    def ours():
        return integrate.trajectory(system, n=n, dt=dt, rtol=1e-9, atol=1e-9, postprocess=False).x

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.make_trajectory(n, method="DOP853", rtol=1e-9, atol=1e-9, postprocess=False)

    ours()  # compile (or load from cache) outside the timing
    t_ours, x_ours = best_of(ours)
    t_dysts, x_dysts = best_of(theirs, repeat=1)
    err = lambda x: float(np.sqrt(np.mean((x - ref) ** 2)) / scale)
    return t_ours, t_dysts, err(x_ours), err(np.asarray(x_dysts).reshape(ref.shape))


def numpy_rk4(f, x, h, steps, store=True):
    out = np.empty((steps,) + x.shape) if store else None
    for i in range(steps):
        k1 = f(x)
        k2 = f(x + 0.5 * h * k1)
        k3 = f(x + 0.5 * h * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if store:
            out[i] = x
    return out if store else x


@njit(nogil=True)
def lorenz_rk4_inlined(x0, h, n, sigma=10.0, rho=28.0, beta=2.667):
    """RK4 for Lorenz with the right-hand side written into the loop: scalars, no calls."""
    out = np.empty((n, 3))
    x, y, z = x0[0], x0[1], x0[2]
    out[0] = x0
    for r in range(1, n):
        k1x, k1y, k1z = sigma * (y - x), x * (rho - z) - y, x * y - beta * z
        ax, ay, az = x + 0.5 * h * k1x, y + 0.5 * h * k1y, z + 0.5 * h * k1z
        k2x, k2y, k2z = sigma * (ay - ax), ax * (rho - az) - ay, ax * ay - beta * az
        ax, ay, az = x + 0.5 * h * k2x, y + 0.5 * h * k2y, z + 0.5 * h * k2z
        k3x, k3y, k3z = sigma * (ay - ax), ax * (rho - az) - ay, ax * ay - beta * az
        ax, ay, az = x + h * k3x, y + h * k3y, z + h * k3z
        k4x, k4y, k4z = sigma * (ay - ax), ax * (rho - az) - ay, ax * ay - beta * az
        x += h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        y += h / 6 * (k1y + 2 * k2y + 2 * k3y + k4y)
        z += h / 6 * (k1z + 2 * k2z + 2 * k3z + k4z)
        out[r, 0], out[r, 1], out[r, 2] = x, y, z
    return out


def lorenz_numpy(x, sigma=10.0, rho=28.0, beta=2.667):
    return np.stack([sigma * (x[..., 1] - x[..., 0]), x[..., 0] * (rho - x[..., 2]) - x[..., 1],
                     x[..., 0] * x[..., 1] - beta * x[..., 2]], axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=25)
    parser.add_argument("--points", type=int, default=1000)
    args = parser.parse_args()

    names = [n for n in systems.names("flow") if systems.get(n).origin == "dysts"][: args.flows]
    print(f"DOP853, rtol=atol=1e-9, {args.points} points per flow (errors: RMS vs DOP853 at 1e-13, / attractor size)")
    print(f"{'system':26s} {'ours [s]':>9s} {'dysts [s]':>9s} {'speed-up':>9s} {'err ours':>9s} {'err dysts':>9s}")
    ratios, err_ratios = [], []
    for name in names:
        t_o, t_d, e_o, e_d = dop853_case(name, args.points)
        ratios.append(t_d / t_o)
        err_ratios.append(e_o / max(e_d, 1e-300))
        print(f"{name:26s} {t_o:9.4f} {t_d:9.3f} {t_d / t_o:8.0f}x {e_o:9.1e} {e_d:9.1e}", flush=True)
    print(f"median speed-up over {len(names)} flows: {np.median(ratios):.0f}x (target >= 100x); "
          f"median error ours/dysts: {np.median(err_ratios):.2f} (target <= 1)")

    lorenz = systems.get("Lorenz")
    rk4 = lambda kernel: integrate.trajectory(lorenz, n=1_000_000, dt=0.01, h=0.01, method="rk4", kernel=kernel)
    for kernel in ("shared", "specialised"):  # compile outside the timing
        integrate.trajectory(lorenz, n=10, dt=0.01, h=0.01, method="rk4", kernel=kernel)
    lorenz_rk4_inlined(np.array(lorenz.ic), 0.01, 10)
    t_shared, x_shared = best_of(lambda: rk4("shared"))
    t_special, x_special = best_of(lambda: rk4("specialised"))
    t_inlined, x_inlined = best_of(lambda: lorenz_rk4_inlined(np.array(lorenz.ic), 0.01, 1_000_000))
    assert np.array_equal(x_shared.x, x_special.x)  # one engine: the same numbers either way
    t_np, _ = best_of(lambda: numpy_rk4(lorenz_numpy, np.array(lorenz.ic), 0.01, 100_000), repeat=1)
    t_np *= 10  # measured on 10^5 steps, reported for 10^6
    print()
    print(f"{'case':52s} {'ours [s]':>9s} {'anchor [s]':>10s} {'ours/anchor':>11s}")
    for label, ours in (("shared integrator", t_shared), ("specialised to Lorenz", t_special)):
        print(f"{'Lorenz 1e6 RK4 steps, ' + label:52s} {ours:9.3f} {t_inlined:10.3f} {ours / t_inlined:10.1f}x"
              "   anchor: numba loop, rhs inlined (target <= 2x)")
    print(f"{'Lorenz 1e6 RK4 steps, specialised (target < 0.1 s)':52s} {t_special:9.3f} {t_np:10.2f} "
          f"{t_special / t_np:10.3f}x   anchor: NumPy RK4 (1e5 steps x 10)")

    ics = lorenz.ic + np.random.default_rng(0).normal(size=(1000, 3))
    integrate.ensemble(lorenz, ics[:2], n=3, dt=0.01, h=0.01)
    t_ens, _ = best_of(lambda: integrate.ensemble(lorenz, ics, n=10_000, dt=0.01, h=0.01))
    t_np_ens, _ = best_of(lambda: numpy_rk4(lorenz_numpy, ics, 0.01, 10_000), repeat=1)
    print(f"{'Lorenz ensemble 1000 x 1e4 RK4 (target < 2 s)':52s} {t_ens:9.3f} {t_np_ens:10.2f} "
          f"{t_ens / t_np_ens:10.3f}x   anchor: NumPy RK4 vectorised over members")


if __name__ == "__main__":
    main()
