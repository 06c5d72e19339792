"""Networks of maps: the compiled network against a NumPy loop on the same work, and the smallest
ring-star's synchrony against its couplings.

    .venv/bin/python -W ignore -m benchmarks.networks

Speed: a ring-star of 10³ Chialvo neurons (a hub and a ring of 999, radius R = 4, σ = 0.01,
μ = 0.001), 10⁵ iterates kept in chunks of 1000 (every state of a chunk stored, as a picture
needs): ``core.systems.networks`` through the catalog's map integrator against the same step
written with NumPy arrays (``np.roll`` for the ring, a sum for the hub), storing the same states,
the state of both checked equal after 20 iterates. The NumPy loop is timed on 10⁴ iterates and
scaled.

Synchrony: the smallest ring-star of Nair, Ghosh, Fatoyinbo & Muni (2024, arXiv:2405.06000), a
hub and three ring nodes all joined (the complete graph K4), the mean cross-correlation of the
nodes' x and the Kuramoto order parameter against the higher-order coupling σ₂ (pairwise
couplings off), and against the pairwise coupling to the hub μ (σ₂ off): the diagram of the
Networks tab's defaults for that network.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import best_of
from core import systems
from core.dynamics import integrate
from core.pictures import networks as pictures

N, STEPS, NUMPY_STEPS, CHUNK = 1000, 100_000, 10_000, 1000


def numpy_step(x, y, p, r):
    """One step of the Chialvo ring-star (hub at index 0) with NumPy arrays."""
    a, b, c, k, sigma, mu = p["a"], p["b"], p["c"], p["k"], p["coupling"], p["hub"]
    fx = x * x * np.exp(y - x) + k
    fy = a * y - b * x + c
    ring = x[1:]
    pull = sum(np.roll(ring, o) + np.roll(ring, -o) - 2 * ring for o in range(1, r + 1))
    fx[1:] += sigma / (2 * r) * pull + mu * (x[0] - ring)
    fx[0] += mu * np.sum(ring - x[0])
    return fx, fy


def main() -> None:
    net = systems.get("ChialvoRingStar", N=float(N), R=4.0, coupling=0.01, hub=0.001)
    p, r = net.params, int(net.params["R"])
    xy = net.ic.reshape(N, 2)
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    for _ in range(20):
        x, y = numpy_step(x, y, p, r)
    ours20 = integrate.trajectory(net, n=1, transient=20).x[-1].reshape(N, 2)
    gap = max(np.max(np.abs(ours20[:, 0] - x)), np.max(np.abs(ours20[:, 1] - y)))
    integrate.trajectory(net, n=1, transient=10)  # compiled

    def ours():
        state = net.ic
        for _ in range(STEPS // CHUNK):
            state = integrate.trajectory(net, n=CHUNK + 1, ic=state, postprocess=False).x[-1]

    t_ours, _ = best_of(ours, repeat=2)

    def numpy_loop():
        u, v = xy[:, 0].copy(), xy[:, 1].copy()
        kept = np.empty((CHUNK, N, 2))
        for i in range(NUMPY_STEPS):
            u, v = numpy_step(u, v, p, r)
            kept[i % CHUNK, :, 0], kept[i % CHUNK, :, 1] = u, v

    t_numpy = best_of(numpy_loop, repeat=1)[0] * STEPS / NUMPY_STEPS
    print(f"Chialvo ring-star, {N} nodes (R = {r}), {STEPS:,} iterates; states equal to {gap:.1e} after 20")
    print(f"{'':<28}{'s':>8}{'µs/iterate':>12}{'ratio':>8}")
    print(f"{'ours (compiled kernel)':<28}{t_ours:>8.2f}{1e6 * t_ours / STEPS:>12.1f}{1.0:>8.1f}")
    print(f"{'NumPy loop':<28}{t_numpy:>8.2f}{1e6 * t_numpy / STEPS:>12.1f}{t_numpy / t_ours:>8.1f}")

    smallest = systems.get("ChialvoRingStar", N=4.0, R=1.0, coupling=0.0, hub=0.0)
    print("\nthe smallest ring-star (K4) of Chialvo neurons: synchrony against the couplings "
          "(2000 iterates after 3000)")
    for parameter, high in (("triadic", 0.05), ("hub", 0.3)):
        start = time.perf_counter()
        corr = pictures.coupling_diagram(smallest, parameter, 0.0, high, "cross-correlation", points=11, n=2000,
                                         transient=3000)
        order = pictures.coupling_diagram(smallest, parameter, 0.0, high, "order parameter", points=11, n=2000,
                                          transient=3000)
        print(f"{parameter:>8}  {'cross-corr':>10}  {'order R':>8}   ({time.perf_counter() - start:.1f} s)")
        for value, c, o in zip(corr.values, corr.results, order.results):
            print(f"{value:>8.3f}  {c:>10.3f}  {o:>8.3f}")


if __name__ == "__main__":
    main()
