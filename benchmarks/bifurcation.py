"""Orbit diagram speed: the logistic map, 2000 parameter values x 1000 kept iterates, ours
(``core.dynamics.bifurcation``: compiled, over numba's threads, the exponent computed along) against the
textbook NumPy loop vectorised over the parameter values (iterates only), in one process.

    .venv/bin/python -m benchmarks.bifurcation

Target (issue 11): well under a second. Also Rössler's x maxima, 200 values of c.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import best_of
from core import systems
from core.dynamics import bifurcation


def numpy_logistic(r: np.ndarray, transient: int, keep: int) -> np.ndarray:
    x = np.full_like(r, 0.51)
    out = np.empty((keep, len(r)))
    for k in range(transient + keep):
        x = r * x * (1 - x)
        if k >= transient:
            out[k - transient] = x
    return out.T


def main() -> None:
    logistic = systems.get("Logistic")
    r = np.linspace(2.5, 4.0, 2000)
    bifurcation.orbit_diagram(logistic, "r", r[:2], keep=5)  # compiled or loaded outside the timing
    ours, diagram = best_of(lambda: bifurcation.orbit_diagram(logistic, "r", r, keep=1000, transient=1000))
    anchor, reference = best_of(lambda: numpy_logistic(r, 1000, 1000))
    same = np.allclose(diagram.points[r < 3.0], reference[r < 3.0], atol=1e-6)  # the converged part
    rossler = systems.get("Rossler")
    t_flow, _ = best_of(lambda: bifurcation.orbit_diagram(rossler, "c", np.linspace(2, 6, 200), keep=50,
                                                          transient=5000), repeat=1)
    print(f"{'case':58s} {'ours [s]':>9s} {'anchor [s]':>10s} {'ratio':>7s}")
    print(f"{'logistic, 2000 r x 1000 iterates (+1000 transient), with λ1':58s} {ours:9.3f} {anchor:10.3f} "
          f"{anchor / ours:6.1f}x   anchor: NumPy vectorised over r, no λ1 (target < 1 s; same points: {same})")
    print(f"{'Rössler x maxima, 200 values of c x 50 maxima':58s} {t_flow:9.3f}")


if __name__ == "__main__":
    main()
