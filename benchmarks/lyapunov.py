"""Lyapunov exponents: ours against dysts and nolds on the same work, in one process.

    .venv/bin/python -m benchmarks.lyapunov

1. Lorenz (sigma=10, rho=28, beta=8/3) spectrum: ours (tangent dynamics + QR, compiled) and
   dysts ``find_lyapunov_exponents`` over the same trajectory length (the same span of time),
   and ours at its defaults (target: lambda_1 within 1 % in < 1 s). Literature: (0.9056, 0,
   -14.5723), Sprott (2003), Chaos and Time-Series Analysis, Table A.1.
2. Largest exponent from 10^4 points of Lorenz x at dt = 0.01: ours (Rosenstein, automatic
   delay/dimension/Theiler window/fit) against nolds ``lyap_r`` with its automatic settings.
Timings are the best of three after one warm-up (no compilation), except dysts (one run).
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.timing import best_of
from core import systems
from core.dynamics import integrate, lyapunov

LITERATURE = np.array(lyapunov.LITERATURE["Lorenz"][1])  # Sprott (2003)


def main() -> None:
    import dysts.flows
    import nolds
    from dysts.analysis import find_lyapunov_exponents

    lorenz = systems.get("Lorenz", sigma=10, rho=28, beta=8 / 3)
    points, per_period = 10_000, 500  # dysts's default sampling; 20 periods
    span = points / per_period * lorenz.period  # dysts's trajectory: points x period / pts_per_period

    def ours_same():
        return lyapunov.spectrum(lorenz, t_max=span, transient=0).exponents

    def ours_default():
        return lyapunov.spectrum(lorenz).exponents

    def theirs():
        model = dysts.flows.Lorenz()
        model.params.update(sigma=10.0, rho=28.0, beta=8 / 3)
        model.param_list = [model.params[k] for k in sorted(model.params)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.sort(find_lyapunov_exponents(model, points, pts_per_period=per_period))[::-1]

    ours_same(), ours_default()
    rows = [
        (f"ours, same span ({span:.0f} time units)", *best_of(ours_same)),
        (f"dysts find_lyapunov_exponents ({points} pts)", *best_of(theirs, repeat=1)),
        ("ours, defaults (target: 1 % in < 1 s)", *best_of(ours_default)),
    ]
    print(f"Lorenz spectrum; error of lambda_1 against {LITERATURE[0]} (Sprott 2003)")
    print(f"{'method':46s} {'time [s]':>9s} {'lambda_1':>9s} {'lambda_2':>9s} {'lambda_3':>9s} {'err l1':>8s}")
    for label, seconds, lam in rows:
        lam = np.resize(np.asarray(lam, dtype=float), 3)
        err = abs(lam[0] / LITERATURE[0] - 1)
        print(f"{label:46s} {seconds:9.3f} {lam[0]:9.4f} {lam[1]:9.4f} {lam[2]:9.3f} {100 * err:7.2f}%")
    print(f"speed-up over dysts at the same span: {rows[1][1] / rows[0][1]:.0f}x")

    dt = 0.01
    x = integrate.trajectory(lorenz, n=10_000, dt=dt, transient=2000).x[:, 0]
    ours_time, ours = best_of(lambda: lyapunov.max_exponent_from_data(x, dt).exponent)
    nolds_time, per_step = best_of(lambda: nolds.lyap_r(x), repeat=1)
    theirs_value = per_step / dt
    print()
    print("largest exponent from 10^4 points of Lorenz x, dt = 0.01")
    print(f"{'method':46s} {'time [s]':>9s} {'lambda_1':>9s} {'err':>8s}")
    print(f"{'ours (Rosenstein, automatic settings)':46s} {ours_time:9.3f} {ours:9.4f} {100 * abs(ours / LITERATURE[0] - 1):7.2f}%")
    print(f"{'nolds lyap_r (automatic settings)':46s} {nolds_time:9.3f} {theirs_value:9.4f} "
          f"{100 * abs(theirs_value / LITERATURE[0] - 1):7.2f}%")
    print(f"speed-up over nolds: {nolds_time / ours_time:.1f}x")


if __name__ == "__main__":
    main()
