"""Networks of coupled maps: a catalog map at every node of a chain, ring, star or ring-star.

Every node iterates the same map (Chialvo, Rulkov, logistic, Hénon, or any catalog map), and
the nodes' first variables are coupled diffusively, as in the neuron-network papers the lab is
built from (Nair, Ghosh, Fatoyinbo & Muni 2024, arXiv:2405.06000: the smallest ring-star of
Chialvo neurons with higher-order coupling; Ghosh, Nair, Fatoyinbo & Muni 2024, EPJ Plus,
arXiv:2405.05675: a small heterogeneous chain of Chialvo and Rulkov neurons; the ring-star of
Muni & Provata 2020, Nonlinear Dyn. 101, 2509). Node i's next state is its map's, plus on its
first variable x (on its map's x for ``AFTER_MAP`` nodes, Kaneko's lattices)

* ``coupling`` σ / (2R) · Σ_{0 < |j − i| ≤ R} (x_j − x_i) over its ring or chain neighbours
  within the radius R (Omelchenko et al. 2011, PRL 106, 234102's non-local ring; a chain drops the neighbours
  past its ends);
* ``hub`` μ: the hub (node 0 of a star or ring-star) gains μ Σ_j (x_j − x_0) over every other
  node, each of which gains μ (x_0 − x_j) (Muni & Provata 2020's ring-star);
* ``triadic`` σ₂ · Σ over the triangles {i, j, k} of the graph of (x_j + x_k − 2 x_i): the
  higher-order (2-simplex) diffusive coupling of Nair et al. 2024, whose four-node ring-star
  is the complete graph K4.

Heterogeneity: one parameter of the node map (``HETEROGENEOUS``: Chialvo's k, Rulkov's α, the
logistic r, Hénon's a) is spread over the nodes, p_i = p · (1 + ``spread`` · ξ_i), with ξ_i the
fixed sequence 2 {i φ} − 1 in [−1, 1] (φ the golden ratio: evenly spread, the same at every N).

A network is a ``System`` like any other (kind "map", dimension N × the node's), with N, R and
the couplings as parameters, so ``systems.vary`` resizes it, every integrator iterates it and
every tab takes it. Its right-hand side is generated Python compiled by numba like a typed
system's (``RhsSource.code``): any process rebuilds it from the text.

    >>> from core import systems
    >>> net = systems.get("ChialvoRingStar", N=1000.0)
    >>> net.dim, net.params["coupling"]
    (2000, 0.01)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.systems.compiled import RhsSource

TOPOLOGIES = ("chain", "ring", "star", "ring-star")
NODES = ("Chialvo", "Rulkov", "Logistic", "Henon")
MAX_NODES = 4096

# the parameter spread over the nodes by ``spread``, per node map (else its first parameter)
HETEROGENEOUS = {"Chialvo": "k", "Rulkov": "alpha", "Logistic": "r", "Henon": "a"}

# maps coupled after the map, Kaneko's coupled map lattice (1984, Prog. Theor. Phys. 72, 480):
# x_i' = f(x_i) + σ/(2R) Σ (f(x_j) − f(x_i)) keeps logistic maps in [0, 1] for σ <= 1, where the
# neuron papers' coupling of the present states throws them out and to infinity
AFTER_MAP = ("Logistic", "Henon")

# the network's own parameters; a node map may not use these names (nor the kernel's arguments)
NETWORK_PARAMS = ("N", "R", "coupling", "hub", "triadic", "spread")
_RESERVED = (*NETWORK_PARAMS, "X", "t", "out", "D")

# defaults per topology: nodes, radius, couplings (σ, μ, σ₂), spread
_DEFAULTS = {
    "chain": dict(N=20.0, R=1.0, coupling=0.1, hub=0.0, triadic=0.0, spread=0.0),
    "ring": dict(N=100.0, R=4.0, coupling=0.1, hub=0.0, triadic=0.0, spread=0.0),
    "star": dict(N=20.0, R=1.0, coupling=0.0, hub=0.01, triadic=0.0, spread=0.0),
    "ring-star": dict(N=100.0, R=4.0, coupling=0.01, hub=0.001, triadic=0.0, spread=0.0),
}
# networks whose defaults show a published picture: Omelchenko et al. 2011's ring of logistic maps
# (r = 3.8, coupling radius 0.32 N): coherent stretches beside incoherent ones at σ ≈ 0.22,
# spatial chaos below, a smooth coherent profile above σ ≈ 0.3
_PRESETS = {("Logistic", "ring"): dict(R=32.0, coupling=0.22, r=3.8)}
_MIN_NODES = {"chain": 2, "ring": 3, "star": 2, "ring-star": 4}
_GOLDEN = 0.6180339887498949

_TOPOLOGY_WORDS = {"chain": "Chain", "ring": "Ring", "star": "Star", "ring-star": "RingStar"}


def network_name(node: str, topology: str) -> str:
    """The catalog name of ``node``'s network on ``topology``: ``ChialvoRingStar``, ``LogisticChain`` …"""
    return f"{node}{_TOPOLOGY_WORDS[topology]}"


def mismatch(n: int) -> np.ndarray:
    """ξ_i = 2 {i φ} − 1, the heterogeneity's fixed pattern over ``n`` nodes (in [−1, 1])."""
    return 2.0 * ((np.arange(n) * _GOLDEN) % 1.0) - 1.0


def ring_size(topology: str, n: int) -> int:
    """The number of nodes on the ring or chain: all of them, less the hub of a ring-star
    (a star has none)."""
    return {"chain": n, "ring": n, "star": 0, "ring-star": n - 1}[topology]


def check(topology: str, params: Mapping) -> None:
    """Raise ``ValueError`` naming the limit when N or R cannot make a ``topology`` network."""
    n, r = params["N"], params["R"]
    if n != int(n) or not _MIN_NODES[topology] <= n <= MAX_NODES:
        raise ValueError(f"a {topology} network needs an integer number of nodes N from "
                         f"{_MIN_NODES[topology]} to {MAX_NODES}, got {n:g}")
    if r != int(r) or r < 1:
        raise ValueError(f"the coupling radius R must be a whole number >= 1, got {r:g}")
    m = ring_size(topology, int(n))
    if topology in ("ring", "ring-star") and 2 * r + 1 > m:
        raise ValueError(f"a ring of {m} nodes has neighbours within radius {(m - 1) // 2} at most "
                         f"(2R + 1 <= {m}), got R = {r:g}")
    if topology == "chain" and r > m - 1:
        raise ValueError(f"a chain of {m} nodes has neighbours within radius {m - 1} at most, got R = {r:g}")


def initial_condition(node_ic, n: int) -> np.ndarray:
    """Every node at the map's own initial condition, each variable moved by up to ±5 % of its
    size (at least ±0.05) by a fixed draw: distinct nodes, the same start at every call."""
    base = np.asarray(node_ic, dtype=float)
    kick = np.random.default_rng(12345).uniform(-1.0, 1.0, (n, base.size))
    return (base + kick * np.maximum(0.05 * np.abs(base), 0.05)).ravel()


def generate(node_source: RhsSource, node_params: Mapping, topology: str, heterogeneous: str,
             after_map: bool = False) -> str:
    """The Python source of the network's right-hand side ``network(X, t, out, N, R, coupling,
    hub, triadic, spread, <node parameters>)`` in the vector convention; ``after_map`` couples
    the mapped values (Kaneko) rather than the present ones."""
    from core.systems.compiled import _argument_names, _full_repr, _resolve, scalar_call

    d = node_source.dim
    names = sorted(node_params)
    node_args = {k: k for k in names}
    node_args[heterogeneous] = "_het"
    state = [f"X[_b + {v}]" for v in range(d)]
    # the maps take the iterate only for a forcing, which a network does not use: time is 0
    call = scalar_call(node_source, _argument_names(_resolve(node_source)), state, node_args, "0")
    hubbed = topology in ("star", "ring-star")
    periodic = topology in ("ring", "ring-star")
    lines = [
        '"""Generated by core.systems.networks; do not edit."""',
        "import numpy as np",
        "from numba import njit",
        "from core.systems.compiled import RhsSource, _resolve",
        f"_NODE = {_full_repr(node_source)}",
        "_f = _resolve(_NODE)",
        "if not hasattr(_f, 'py_func'):",
        "    _f = njit(_f)",
        f"D = {d}",
        "",
        "",
        "@njit(cache=True, nogil=True)",
        "def _x(V, first, m, q):",
        "    # the coupled value of ring position q, q within a radius (< m) of the ring",
        f"    if {periodic}:",
        "        if q >= m:",
        "            q -= m",
        "        elif q < 0:",
        "            q += m",
        "    return V[first + q]",
        "",
        "",
        "@njit(cache=True, nogil=True)",
        "def _near(m, q1, q2, r):",
        "    # ring positions q1, q2 adjacent (within the radius, around the ring where periodic)",
        "    gap = abs(q1 - q2)",
        f"    if {periodic}:",
        "        gap = min(gap % m, m - gap % m)",
        "    return 0 < gap <= r",
        "",
        "",
        "@njit(cache=True, nogil=True)",
        f"def network(X, t, out, N, R, coupling, hub, triadic, spread, {', '.join(names)}):",
        "    _n, _r = int(N), int(R)",
        f"    _first = {1 if hubbed else 0}",
        f"    _m = {'0' if topology == 'star' else '_n - _first'}",
        "    for _i in range(_n):",
        "        _b = _i * D",
        f"        _het = {heterogeneous} * (1.0 + spread * (2.0 * ((_i * {_GOLDEN!r}) % 1.0) - 1.0))",
        f"        _y = _f({call})",
    ]
    lines += ["        out[_b] = _y"] if d == 1 else [f"        out[_b + {v}] = _y[{v}]" for v in range(d)]
    # the values coupled: the present states (the neuron papers), or the mapped ones (Kaneko)
    lines += ["    _v = out[::D].copy()" if after_map else "    _v = X[::D]"]
    lines += [
        "    _w = coupling / (2.0 * _r)",
        "    for _q in range(_m):",
        "        _xq = _v[_first + _q]",
        "        _s = 0.0",
        "        for _o in range(1, _r + 1):",
        f"            if {periodic} or _q + _o < _m:",
        "                _s += _x(_v, _first, _m, _q + _o) - _xq",
        f"            if {periodic} or _q - _o >= 0:",
        "                _s += _x(_v, _first, _m, _q - _o) - _xq",
        "        _h = 0.0",
        "        if triadic != 0.0:",
        "            # triangles {q, q + o1, q + o2} of the ring or chain",
        "            for _o1 in range(-_r, _r + 1):",
        "                for _o2 in range(_o1 + 1, _r + 1):",
        "                    if _o1 == 0 or _o2 == 0 or not _near(_m, _q + _o1, _q + _o2, _r):",
        "                        continue",
        f"                    if not {periodic} and (_q + _o1 < 0 or _q + _o2 >= _m):",
        "                        continue",
        "                    _h += _x(_v, _first, _m, _q + _o1) + _x(_v, _first, _m, _q + _o2) - 2.0 * _xq",
        "        out[(_first + _q) * D] += _w * _s + triadic * _h",
    ]
    if hubbed:
        lines += [
            "    _x0 = _v[0]",
            "    _pull = 0.0",
            "    for _j in range(1, _n):",
            "        _xj = _v[_j]",
            "        _pull += _xj - _x0",
            "        out[_j * D] += hub * (_x0 - _xj)",
            "    out[0] += hub * _pull",
        ]
    if topology == "ring-star":
        lines += [
            "    if triadic != 0.0:",
            "        # triangles {hub, q, q + o} over the ring's edges",
            "        _h0 = 0.0",
            "        for _q in range(_m):",
            "            _xq = _v[_first + _q]",
            "            for _o in range(-_r, _r + 1):  # 2R < m: q + o is another ring node",
            "                if _o != 0:",
            "                    _xo = _x(_v, _first, _m, _q + _o)",
            "                    out[(_first + _q) * D] += triadic * (_x0 + _xo - 2.0 * _xq)",
            "                    if _o > 0:",
            "                        _h0 += _xq + _xo - 2.0 * _x0",
            "        out[0] += triadic * _h0",
        ]
    return "\n".join(lines) + "\n"


def build(node, topology: str):
    """The ``System`` of ``node`` (a catalog map) coupled on ``topology``, at the topology's
    default size and couplings."""
    from core.systems import _freeze, _param_shapes, _readonly, System

    if topology not in TOPOLOGIES:
        raise ValueError(f"unknown topology {topology!r}; choose one of {TOPOLOGIES}")
    if node.kind != "map" or node.source.convention != "scalar" or node.source.code is not None:
        raise ValueError(f"{node.name}: a network's nodes are catalog maps (got a {node.kind})")
    clash = set(node.params) & set(_RESERVED)
    if clash:
        raise ValueError(f"{node.name}'s parameters {sorted(clash)} clash with the network's own")
    heterogeneous = HETEROGENEOUS.get(node.name, sorted(node.params)[0])
    params = {**_DEFAULTS[topology], **node.params, **_PRESETS.get((node.name, topology), {})}
    check(topology, params)
    after_map = node.name in AFTER_MAP
    code = generate(node.source, node.params, topology, heterogeneous, after_map)
    key = hashlib.sha1(code.encode()).hexdigest()[:12]
    name = network_name(node.name, topology)
    source = RhsSource(f"chaoslab_network_{key}", "network", "vector", None, _param_shapes(params),
                       dim_param="N", code=code, per_size=node.dim)
    n = int(params["N"])

    def ic_for_size(size: int, values: Mapping) -> np.ndarray:
        check(topology, values)
        return initial_condition(node.ic, size)

    hub_text = {"chain": "", "ring": "", "star": " with a hub (node 0) joined to every node",
                "ring-star": " with a hub (node 0) joined to every ring node"}[topology]
    labels = node.coordinate_labels
    return System(
        name=name, kind="map", dim=n * node.dim, params=_freeze(params),
        ic=_readonly(initial_condition(node.ic, n)), dt=1.0, period=None, lyapunov_max=None, lyapunov_spectrum=None,
        description=f"N {node.name} maps on a {topology}{hub_text}, diffusively coupled on "
                    f"{'the mapped ' + labels[0] + ' (Kaneko)' if after_map else labels[0]}: "
                    f"σ (coupling) over neighbours within R, μ (hub), σ₂ (triadic, higher order); "
                    f"{heterogeneous} spread over the nodes by 'spread'.",
        citation="A. S. Nair, I. Ghosh, H. O. Fatoyinbo, S. S. Muni (2024). On the higher-order smallest ring "
                 "star network of Chialvo neurons under diffusive couplings. arXiv:2405.06000; I. Ghosh, A. S. "
                 "Nair, H. O. Fatoyinbo, S. S. Muni (2024). Dynamical properties of a small heterogeneous chain "
                 "network of neurons in discrete time. Eur. Phys. J. Plus, arXiv:2405.05675.",
        group="network", published_params=_freeze(params), source=source, origin="chaoslab",
        min_size=_MIN_NODES[topology], ic_for_size=ic_for_size,
        coordinate_names=tuple(f"{v}{i}" for i in range(n) for v in labels),
        network=Network(node.name, topology, node.dim, heterogeneous, after_map),
    )


@dataclass(frozen=True)
class Network:
    """What a network system is made of: its node map, topology, the node's number of
    variables, the parameter spread over the nodes, and whether the mapped values are coupled."""

    node: str
    topology: str
    node_dim: int
    heterogeneous: str
    after_map: bool = False

    def nodes(self, system) -> int:
        """The number of nodes of ``system`` (a network with this structure)."""
        return int(system.params["N"])

    def coupled(self, states: np.ndarray) -> np.ndarray:
        """The coupled variable of every node, (time, nodes), from states (time, N × node_dim)."""
        return np.asarray(states)[..., :: self.node_dim]

    def positions(self, n: int) -> np.ndarray:
        """Where to draw ``n`` nodes: a ring on the unit circle (the hub at the centre), a
        chain on a line, a star's leaves around its hub."""
        if self.topology == "chain":
            return np.column_stack([np.linspace(-1.0, 1.0, n), np.zeros(n)])
        first = 1 if self.topology in ("star", "ring-star") else 0
        angle = 2 * np.pi * np.arange(n - first) / max(1, n - first)
        ring = np.column_stack([np.cos(angle), np.sin(angle)])
        return np.vstack([np.zeros((first, 2)), ring])

    def edges(self, n: int, r: int) -> np.ndarray:
        """The graph's edges (i, j), i < j, for ``n`` nodes and radius ``r``."""
        first = 1 if self.topology in ("star", "ring-star") else 0
        m = ring_size(self.topology, n)
        pairs = set()
        for q in range(m):
            for o in range(1, r + 1):
                if self.topology == "chain" and q + o >= m:
                    break
                a, b = first + q, first + (q + o) % m
                if a != b:
                    pairs.add((min(a, b), max(a, b)))
        if first:
            pairs.update((0, j) for j in range(1, n))
        return np.array(sorted(pairs), dtype=int).reshape(-1, 2)


def catalog(maps: Mapping) -> dict:
    """Every node map of ``NODES`` on every topology, by name (``maps``: the catalog)."""
    return {network_name(node, t): build(maps[node], t) for node in NODES for t in TOPOLOGIES}
