"""Networks of coupled maps: the compiled step against the papers' sums written out over an
adjacency matrix and every triangle, sizes and radii refused with a message, synchrony where
the master stability function says so."""

import itertools

import numpy as np
import pytest

from core import systems
from core.dynamics import complexity, integrate, lyapunov
from core.systems import networks


def _adjacency(topology, n, r):
    first = 1 if topology in ("star", "ring-star") else 0
    m = networks.ring_size(topology, n)
    a = np.zeros((n, n), bool)
    for p, q in itertools.combinations(range(m), 2):
        gap = q - p if topology == "chain" else min(q - p, m - (q - p))
        a[first + p, first + q] = a[first + q, first + p] = gap <= r and topology != "star"
    if first:
        a[0, 1:] = a[1:, 0] = True
    return a, first


def _reference_step(system, x):
    """One step of ``system`` written out: the node maps, then the papers' diffusive sums (of the
    mapped values for Kaneko's lattices) over
    the adjacency matrix (ring/chain σ/(2R), hub μ) and over every triangle of the graph (σ₂)."""
    net, p = system.network, system.params
    n, r, d = int(p["N"]), int(p["R"]), net.node_dim
    node = systems.get(net.node)
    out = np.empty_like(x)
    xi = networks.mismatch(n)
    for i in range(n):
        local = systems.vary(node, **{net.heterogeneous: p[net.heterogeneous] * (1 + p["spread"] * xi[i])})
        out[i * d:(i + 1) * d] = local.rhs(x[i * d:(i + 1) * d])
    a, first = _adjacency(net.topology, n, r)
    u = (out if net.after_map else x)[::d].copy()
    for i in range(n):
        pulls = 0.0
        for j in range(n):
            if a[i, j]:
                hubbed = first and (i == 0 or j == 0)
                pulls += (p["hub"] if hubbed else p["coupling"] / (2 * r)) * (u[j] - u[i])
        for j, k in itertools.combinations(range(n), 2):
            if i not in (j, k) and a[i, j] and a[i, k] and a[j, k]:
                pulls += p["triadic"] * (u[j] + u[k] - 2 * u[i])
        out[i * d] += pulls
    return out


@pytest.mark.parametrize("topology", networks.TOPOLOGIES)
@pytest.mark.parametrize("node", ["Chialvo", "Logistic"])
def test_the_compiled_step_is_the_papers_sums(node, topology):
    settings = dict(N=9.0, R=2.0, coupling=0.07, hub=0.03, triadic=0.02, spread=0.1)
    if topology == "ring-star":
        settings["N"] = 10.0  # a ring of 9 around the hub
    system = systems.get(networks.network_name(node, topology), **settings)
    x = np.random.default_rng(1).uniform(0.1, 0.9, system.dim)
    np.testing.assert_allclose(system.rhs(x), _reference_step(system, x), rtol=1e-12, atol=1e-14)


def test_the_smallest_ring_star_is_the_complete_graph():
    # Nair et al. 2024: a hub and three ring nodes, every pair joined, every triple a triangle
    system = systems.get("ChialvoRingStar", N=4.0, R=1.0, triadic=0.01, coupling=0.02, hub=0.02)
    a, _ = _adjacency("ring-star", 4, 1)
    assert a.sum() == 12
    assert len(system.network.edges(4, 1)) == 6
    x = np.random.default_rng(2).uniform(0.0, 2.0, 8)
    np.testing.assert_allclose(system.rhs(x), _reference_step(system, x), rtol=1e-12)


def test_a_network_resizes_like_any_system():
    net = systems.get("ChialvoRingStar", N=1000.0)
    assert net.dim == 2000 and net.ic.shape == (2000,)
    assert net.coordinate_labels[:4] == ("x0", "y0", "x1", "y1")
    assert len(net.coordinate_labels) == 2000
    run = integrate.trajectory(net, n=200)
    assert run.x.shape == (200, 2000) and np.all(np.isfinite(run.x))
    assert systems.get("ChialvoRingStar") is systems.get("ChialvoRingStar", N=100.0)


@pytest.mark.parametrize("settings, words", [
    (dict(N=2.5), "must be an integer >= 4"),
    (dict(N=3.0), "must be an integer >= 4"),
    (dict(N=5000.0), "to 4096"),
    (dict(R=0.0), "radius R must be a whole number"),
    (dict(N=10.0, R=5.0), "radius 4 at most"),
])
def test_bad_sizes_are_refused_with_the_limit(settings, words):
    with pytest.raises(ValueError, match=words):
        systems.get("ChialvoRingStar", **settings)


def test_a_network_of_a_flow_is_refused():
    with pytest.raises(ValueError, match="catalog maps"):
        networks.build(systems.get("Lorenz"), "ring")


def _transverse_exponent(strength, n=5000):
    """The master stability function (Pecora & Carroll 1998) of Chialvo maps coupled on x:
    the exponent of J(s) − strength · diag(1, 0) along one map's orbit s."""
    a, b, c, k = (systems.get("Chialvo").params[p] for p in "abck")
    x, y, v, total = 0.0, 0.8, np.array([1.0, 0.3]), 0.0
    for i in range(n + 1000):
        e = np.exp(y - x)
        if i >= 1000:
            v = np.array([[(2 * x - x * x) * e - strength, x * x * e], [-b, a]]) @ v
            total += np.log(np.linalg.norm(v))
            v /= np.linalg.norm(v)
        x, y = x * x * e + k, a * y - b * x + c
    return total / n


@pytest.mark.parametrize("sigma, synchronous", [(0.1, False), (0.5, True), (0.9, True)])
def test_identical_maps_synchronise_where_the_master_stability_function_says(sigma, synchronous):
    # a ring of 6 Chialvo neurons, nearest neighbours (R = 1): the coupling's Laplacian modes are
    # 1 − cos(2πk/6), and the synchronous state is stable where every mode's exponent is negative
    modes = {round(1 - np.cos(2 * np.pi * k / 6), 12) for k in range(1, 6)}
    stable = max(_transverse_exponent(sigma * mode) for mode in modes) < 0
    system = systems.get("ChialvoRing", N=6.0, R=1.0, coupling=sigma)
    run = integrate.trajectory(system, n=1000, transient=5000)
    error = complexity.synchronization_error(system.network.coupled(run.x)).mean()
    assert stable == synchronous
    assert (error < 1e-9) if synchronous else (error > 0.05)


def test_a_networks_leading_exponents_by_default():
    net = systems.get("LogisticRing", N=50.0, R=1.0, coupling=0.0, r=4.0)
    result = lyapunov.spectrum(net, t_max=5000)
    assert len(result.exponents) == lyapunov.MAX_DEFAULT_EXPONENTS
    # uncoupled logistic maps at r = 4: every exponent is ln 2
    np.testing.assert_allclose(result.exponents, np.log(2), atol=0.03)
