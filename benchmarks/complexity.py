"""Sample entropy and the 0–1 test: ours beside nolds on the same series.

    .venv/bin/python -W ignore -m benchmarks.complexity

Sample entropy (m = 2, r = 0.2σ) of white noise (analytic value −ln erf(0.1) = 2.185), of the
logistic map at r = 4 (ln 2 = 0.693, one bit an iterate) and of Lorenz's x sampled every 0.1,
5000 points each: ``core.dynamics.complexity.sample_entropy`` (compiled pair count) against
``nolds.sampen`` (NumPy), value and time. The 0–1 test (no library anchor on PyPI that installs
here) is printed for chaotic and regular series with its time.
"""

from __future__ import annotations

import time

import nolds
import numpy as np
from scipy.special import erf

from benchmarks.timing import best_of
from core import systems
from core.dynamics import complexity, integrate

N = 5000


def logistic(r: float, n: int = N) -> np.ndarray:
    """The catalog's logistic map at ``r`` after a transient of 1000 iterates."""
    return integrate.trajectory(systems.get("Logistic", r=r), n=n, transient=1000).x[:, 0]


def main() -> None:
    lorenz_x = integrate.trajectory(systems.get("Lorenz"), n=N, dt=0.1, transient=100).x[:, 0]
    series = {
        "white noise": (np.random.default_rng(0).standard_normal(N), -np.log(erf(0.1))),
        "logistic map, r = 4": (logistic(4.0), np.log(2)),
        "Lorenz x, Δt = 0.1": (lorenz_x, None),
    }
    print(f"sample entropy, m = 2, r = 0.2σ, {N} points")
    print(f"{'series':<24}{'exact':>8}{'ours':>8}{'nolds':>8}{'ours s':>9}{'nolds s':>9}{'ratio':>8}")
    for name, (x, exact) in series.items():
        t_ours, ours = best_of(lambda: complexity.sample_entropy(x))
        t_nolds, theirs = best_of(lambda: nolds.sampen(x, emb_dim=2, tolerance=0.2 * np.std(x)), repeat=1)
        shown = f"{exact:.3f}" if exact is not None else "–"
        print(f"{name:<24}{shown:>8}{ours:>8.3f}{theirs:>8.3f}{t_ours:>9.3f}{t_nolds:>9.3f}{t_nolds / t_ours:>8.1f}")
    print("\nthe 0–1 test (K ≈ 1 chaos, ≈ 0 regular), 5000 points")
    cases = {"logistic r = 4": logistic(4.0), "logistic r = 3.5 (period 4)": logistic(3.5),
             "logistic r = 3.83 (period 3)": logistic(3.83), "Lorenz x, Δt = 0.3":
             integrate.trajectory(systems.get("Lorenz"), n=N, dt=0.3, transient=100).x[:, 0]}
    for name, x in cases.items():
        start = time.perf_counter()
        k = complexity.zero_one_test(x)
        print(f"{name:<32} K = {k:6.3f}   {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
