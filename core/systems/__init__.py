"""The catalog: every flow, map and delay system of dysts, plus our own, as immutable records.

The catalog is data read from dysts's metadata files (parameters, initial conditions, time scales,
reference Lyapunov estimates, descriptions, citations); right-hand sides are dysts's own compiled
functions, or their restatements in ``core.systems.ports`` where dysts's are not compilable.

    >>> from core import systems
    >>> lorenz = systems.get("Lorenz", rho=35.0)
    >>> lorenz.params["rho"], lorenz.dim
    (35.0, 3)
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from types import MappingProxyType

import numpy as np

from core.systems import compiled
from core.systems.compiled import RhsSource

log = logging.getLogger("chaoslab.systems")

KINDS = ("flow", "map", "delay")
GROUPS = {"flow": "Flows", "map": "Maps", "delay": "Delay systems", "ours": "Chaos Lab additions",
          "network": "Networks of maps"}


@dataclass(frozen=True, eq=False)
class System:
    """One dynamical system: its data and a handle on its compiled right-hand side.

    ``dt`` is the default *output* sampling (dysts's convention of 100 points per dominant
    period for flows, 1 for maps); ``integrator_dt`` is a step known to be stable for fixed-step
    schemes (dysts's ``dt``). ``lyapunov_max`` and ``lyapunov_spectrum`` are dysts's reference
    estimates at the *published* parameters (None when the parameters were changed, or unknown).
    ``dim`` is the dimension of the returned trajectories; a delay system integrates one scalar
    ``x`` and returns its delay embedding ``x(t - k tau/(dim-1))``, k = 0..dim-1, as dysts does.
    """

    name: str
    kind: str
    dim: int
    params: Mapping[str, float | np.ndarray]
    ic: np.ndarray
    dt: float
    period: float | None
    lyapunov_max: float | None
    lyapunov_spectrum: tuple[float, ...] | None
    description: str
    citation: str
    group: str = "flow"
    integrator_dt: float | None = None
    nonautonomous: bool = False
    unbounded_indices: tuple[int, ...] = ()
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    kaplan_yorke_dimension: float | None = None
    correlation_dimension: float | None = None
    published_params: Mapping[str, float | np.ndarray] = field(default_factory=dict)
    source: RhsSource | None = field(default=None, repr=False)
    jacobian_source: RhsSource | None = field(default=None, repr=False)
    postprocess_with: Callable | None = field(default=None, repr=False)
    # systems of any size (``source.dim_param``): the smallest size and the initial condition
    # for a size and parameters, ``ic_for_size(n, params)``
    min_size: int = 1
    ic_for_size: Callable | None = field(default=None, repr=False)
    origin: str = "dysts"
    coordinate_names: tuple[str, ...] = ()  # the variables' own names where known (typed systems)
    network: object | None = field(default=None, repr=False)  # a network's structure (core.systems.networks)

    # -- parameters -------------------------------------------------------------------------
    @property
    def param_vector(self) -> np.ndarray:
        """Parameters packed flat, in the order the compiled right-hand side unpacks them."""
        parts = [np.ravel(np.asarray(self.params[name], dtype=float)) for name, _ in self.source.param_shapes]
        return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros(1))

    @property
    def is_published(self) -> bool:
        """True when every parameter has its published value."""
        return all(
            np.array_equal(np.asarray(self.params[k]), np.asarray(v)) for k, v in self.published_params.items()
        )

    @property
    def dynamics_key(self) -> tuple:
        """What identifies the dynamics: the name and the scalar parameters (results computed for
        one key — a λ1, a Lyapunov tab's diagnostics — hold for any system with that key)."""
        return self.name, tuple(sorted((k, float(v)) for k, v in self.params.items() if np.ndim(v) == 0))

    def changed_params(self) -> dict[str, float | np.ndarray]:
        """Parameters that differ from the published ones."""
        return {
            k: self.params[k]
            for k, v in self.published_params.items()
            if not np.array_equal(np.asarray(self.params[k]), np.asarray(v))
        }

    @property
    def continuous_params(self) -> list[str]:
        """The scalar parameters a diagram may sweep: all but a size (Lorenz-96's or a network's
        N) and a network's radius R, which take whole numbers only."""
        whole = {self.source.dim_param, "R" if self.network is not None else None}
        return [k for k in sorted(self.params) if np.ndim(self.params[k]) == 0 and k not in whole]

    @property
    def delay_tau(self) -> float | None:
        return float(self.params["tau"]) if self.kind == "delay" else None

    @property
    def coordinate_labels(self) -> tuple[str, ...]:
        """The coordinates' names: the system's own where known (typed systems), else x, y, z, w
        up to four dimensions and x0, x1, … beyond."""
        if self.coordinate_names:
            return tuple(self.coordinate_names)
        return ("x", "y", "z", "w")[: self.dim] if self.dim <= 4 else tuple(f"x{i}" for i in range(self.dim))

    @property
    def state_dim(self) -> int:
        """Dimension of the integrated state (1 for delay systems, ``dim`` otherwise)."""
        return 1 if self.kind == "delay" else self.dim

    # -- compiled functions -----------------------------------------------------------------
    @property
    def rhs_kernel(self):
        """The C-callable right-hand side ``rhs(t, x*, p*, out*)`` shared by all integrators."""
        return compiled.kernels(self.source).pointer

    @property
    def rhs_jit(self):
        """The jitted right-hand side ``rhs(t, x, p, out)`` that a specialised integrator inlines."""
        return compiled.kernels(self.source).jit

    @property
    def jacobian_kernel(self):
        """The compiled analytic Jacobian ``jac(t, x*, p*, out*)`` (row-major), or None."""
        if self.jacobian_source is None:
            return None
        try:
            return compiled.kernels(self.jacobian_source).pointer
        except Exception as exc:  # a Jacobian numba cannot compile: finite differences serve
            log.warning("%s: analytic Jacobian not compilable (%s); using finite differences", self.name, exc)
            return None

    def rhs(self, x, t: float = 0.0) -> np.ndarray:
        """Evaluate the right-hand side (the map itself, for maps) at one state; a delay system's
        state is ``(x(t), x(t - tau))``."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        size = self.source.dim if self.source.delay else self.state_dim
        if x.shape != (size,):
            raise ValueError(f"{self.name}: state must have shape ({size},), got {x.shape}")
        return compiled.evaluate(self.rhs_kernel, x, self.param_vector, t, np.empty(1 if self.kind == "delay" else size))

    def postprocess(self, x: np.ndarray) -> np.ndarray:
        """dysts's coordinate change for unbounded variables (e.g. an angle to its sine)."""
        if self.postprocess_with is None:
            return x
        return self.postprocess_with(self, x)

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={v}" for k, v in self.changed_params().items())
        return f"System({self.name!r}, kind={self.kind!r}, dim={self.dim}{', ' + changed if changed else ''})"


# ---------------------------------------------------------------------------------------------
# Sources of the right-hand sides

# dysts flows whose right-hand side is a method reading ``self``: our compilable restatements
_PORTED_FLOWS = {
    "AnishchenkoAstakhov": ("anishchenko_astakhov", "scalar"),
    "BeerRNN": ("beer_rnn", "vector"),
    "BlinkingRotlet": ("blinking_rotlet", "scalar"),
    "BlinkingVortex": ("blinking_rotlet", "scalar"),
    "CaTwoPlus": ("ca_two_plus", "scalar"),
    "CaTwoPlusQuasiperiodic": ("ca_two_plus", "scalar"),
    "CellCycle": ("cell_cycle", "scalar"),
    "CellularNeuralNetwork": ("cellular_neural_network", "scalar"),
    "CircadianRhythm": ("circadian_rhythm", "scalar"),
    "Colpitts": ("colpitts", "scalar"),
    "ExcitableCell": ("excitable_cell", "scalar"),
    "FluidTrampoline": ("fluid_trampoline", "scalar"),
    "Hopfield": ("hopfield", "vector"),
    "InteriorSquirmer": ("interior_squirmer", "vector"),
    "IsothermalChemical": ("isothermal_chemical", "scalar"),
    "LidDrivenCavityFlow": ("lid_driven_cavity_flow", "scalar"),
    "Lorenz96": ("lorenz96", "vector"),
    "MacArthur": ("mac_arthur", "vector"),
    "MultiChua": ("multi_chua", "scalar"),
    "VallisElNino": ("vallis_el_nino", "scalar"),
}

_PORTED_MAPS = {
    "Zaslavskii": "zaslavskii",
    "BlinkingVortexMap": "blinking_vortex_map",
}

# dysts names one flow and one map "Duffing"; the catalog needs unique names
_MAP_RENAMES = {"Duffing": "DuffingMap"}

# Maps whose coordinates live on a circle or torus and grow without bound when unwrapped
_MAP_UNBOUNDED = {"Circle": (0,), "Chirikov": (0, 1)}

# Listed in dysts's metadata but not integrable: EndCap has no equations anywhere in dysts 0.96;
# ZeraouliaSprott's equations are commented out there and diverge at the published parameters.
_NO_EQUATIONS = {"EndCap", "ZeraouliaSprott"}


def _metadata(filename: str) -> dict:
    with resources.files("dysts").joinpath(f"data/{filename}").open() as fh:
        return json.load(fh)


def _param_shapes(params: Mapping) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((name, tuple(np.shape(params[name]))) for name in sorted(params))


def _freeze(params: Mapping) -> MappingProxyType:
    frozen = {}
    for k, v in params.items():
        if np.ndim(v) == 0:
            frozen[k] = float(v)
        else:
            arr = np.array(v, dtype=float)
            arr.setflags(write=False)
            frozen[k] = arr
    return MappingProxyType(frozen)


def _readonly(x) -> np.ndarray | None:
    if x is None:
        return None
    arr = np.atleast_1d(np.array(x, dtype=float))
    arr.setflags(write=False)
    return arr


def _dysts_postprocess(module: str, cls_name: str):
    """Apply dysts's ``_postprocessing`` of class ``cls_name`` with the system's parameters."""

    def apply(system: System, x: np.ndarray) -> np.ndarray:
        import importlib

        cls = getattr(importlib.import_module(module), cls_name)
        obj = cls.__new__(cls)  # skip __init__: it re-reads the metadata file
        obj.__dict__.update(system.params)
        with np.errstate(all="ignore"):
            cols = obj._postprocessing(*np.moveaxis(x, -1, 0))
        return np.stack([np.broadcast_to(c, x.shape[:-1]) for c in cols], axis=-1)

    return apply


def _dysts_flow(name: str, meta: dict) -> System:
    import dysts.flows
    from dysts.base import BaseDyn

    cls = getattr(dysts.flows, name)
    params = meta["parameters"]
    dim = int(meta["embedding_dimension"])
    delay = bool(meta.get("delay"))
    if name in _PORTED_FLOWS:
        fn, convention = _PORTED_FLOWS[name]
        source = RhsSource("core.systems.ports", fn, convention, dim, _param_shapes(params))
    else:
        source = RhsSource(
            "dysts.flows", f"{name}._rhs", "scalar", 2 if delay else dim, _param_shapes(params), delay=delay
        )
    jacobian = None
    if name not in _PORTED_FLOWS and not delay and cls._jac is not BaseDyn._jac:
        jacobian = replace(source, qualname=f"{name}._jac", output="jacobian")
    spectrum = meta.get("lyapunov_spectrum_estimated")
    period = meta.get("period")
    return System(
        name=name,
        kind="delay" if delay else "flow",
        dim=dim,
        params=_freeze(params),
        ic=_readonly(meta["initial_conditions"]),
        dt=float(period) / 100.0,
        period=float(period),
        lyapunov_max=meta.get("maximum_lyapunov_estimated"),
        lyapunov_spectrum=tuple(spectrum) if spectrum else None,
        description=meta.get("description", ""),
        citation=meta.get("citation", ""),
        group="delay" if delay else "flow",
        integrator_dt=float(meta["dt"]),
        nonautonomous=bool(meta.get("nonautonomous")),
        unbounded_indices=tuple(meta.get("unbounded_indices") or ()),
        mean=_readonly(meta.get("mean")),
        std=_readonly(meta.get("std")),
        kaplan_yorke_dimension=meta.get("kaplan_yorke_dimension"),
        correlation_dimension=meta.get("correlation_dimension"),
        published_params=_freeze(params),
        source=source,
        jacobian_source=jacobian,
        postprocess_with=_dysts_postprocess("dysts.flows", name) if hasattr(cls, "_postprocessing") else None,
    )


def _dysts_map(name: str, meta: dict) -> System:
    params = meta["parameters"]
    ic = np.atleast_1d(np.array(meta["initial_conditions"], dtype=float))
    dim = ic.size
    if name in _PORTED_MAPS:
        source = RhsSource("core.systems.ports", _PORTED_MAPS[name], "scalar", dim, _param_shapes(params), time_arg="_n")
        origin = "dysts (equations restated by Chaos Lab)"
    else:
        source = RhsSource("dysts.maps", f"{name}._rhs", "scalar", dim, _param_shapes(params), time_arg=None)
        origin = "dysts"
    description = meta.get("description") or f"The {name} map (dysts.maps.{name})."
    return System(
        name=_MAP_RENAMES.get(name, name),
        kind="map",
        dim=dim,
        params=_freeze(params),
        ic=_readonly(ic),
        dt=1.0,
        period=None,
        lyapunov_max=None,
        lyapunov_spectrum=None,
        description=description,
        citation=meta.get("citation", "").strip(". ") or "See the dysts database (Gilpin 2021).",
        group="map",
        unbounded_indices=_MAP_UNBOUNDED.get(name, ()),
        published_params=_freeze(params),
        source=source,
        origin=origin,
    )


def _ours(name, kind, params, ic, description, citation, source, dt=1.0, **extra) -> System:
    return System(
        name=name, kind=kind, dim=len(ic), params=_freeze(params), ic=_readonly(ic), dt=dt, period=None,
        lyapunov_max=None, lyapunov_spectrum=None, description=description, citation=citation, group="ours",
        published_params=_freeze(params), source=source, origin="chaoslab", **extra,
    )


def _our_systems() -> list[System]:
    # Chialvo (1995)'s chaotic regime (b = 0.18); Rulkov (2001)'s chaotic spiking-bursting map
    chialvo = dict(a=0.89, b=0.18, c=0.28, k=0.03)
    rulkov = dict(alpha=4.3, mu=0.001, sigma=0.001)
    l96 = dict(N=10.0, f=8.0)
    return [
        _ours(
            "Chialvo", "map", chialvo, [0.0, 0.8],
            "A two-dimensional map of an excitable neuron: x is the activation, y a recovery variable.",
            "D. R. Chialvo (1995). Generic excitable dynamics on a two-dimensional map. "
            "Chaos, Solitons & Fractals 5(3-4):461-479.",
            RhsSource("core.systems.ports", "chialvo", "scalar", 2, _param_shapes(chialvo), time_arg=None),
        ),
        _ours(
            "Rulkov", "map", rulkov, [-1.0, -2.9],
            "A map-based neuron with a fast spiking variable x and a slow variable y producing chaotic bursts.",
            "N. F. Rulkov (2001). Regularization of synchronized chaotic bursts. Phys. Rev. Lett. 86:183-186.",
            RhsSource("core.systems.ports", "rulkov", "scalar", 2, _param_shapes(rulkov), time_arg=None),
        ),
        _ours(
            "Lorenz96N", "flow", l96, _lorenz96_ic(10, l96),
            "Lorenz-96 on a ring of N sites with forcing f: set N for any size (N >= 4).",
            "E. N. Lorenz (1996). Predictability: a problem partly solved. Seminar on Predictability, ECMWF.",
            RhsSource("core.systems.ports", "lorenz96", "vector", None, _param_shapes(l96), dim_param="N"),
            dt=0.01, integrator_dt=0.01, min_size=4, ic_for_size=_lorenz96_ic,
        ),
    ]


def _lorenz96_ic(n: int, params: Mapping) -> np.ndarray:
    # the unstable fixed point X_i = F plus a small, fixed, asymmetric perturbation
    return float(params["f"]) + 0.01 * np.arange(1, n + 1) ** 0.5


@cache
def _catalog() -> dict[str, System]:
    catalog: dict[str, System] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, meta in _metadata("chaotic_attractors.json").items():
            catalog[name] = _dysts_flow(name, meta)
        for name, meta in _metadata("discrete_maps.json").items():
            if name not in _NO_EQUATIONS:
                system = _dysts_map(name, meta)
                catalog[system.name] = system
    for system in _our_systems():
        catalog[system.name] = system
    return catalog


@cache
def _networks() -> dict[str, System]:
    from core.systems import networks

    return networks.catalog(_catalog())


def _lookup(name: str) -> System:
    catalog = _catalog()
    return catalog[name] if name in catalog else _networks()[name]


def names(kind: str | None = None, group: str | None = None) -> list[str]:
    """Sorted system names, optionally only those of one ``kind`` (flow, map, delay) or ``group``.
    Networks of maps (``core.systems.networks``) are listed only by their group, ``"network"``:
    what runs over the catalog (spectra, sweeps, the leaderboard) runs over its systems."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    pool = _networks() if group == "network" else _catalog()
    return sorted(
        s.name
        for s in pool.values()
        if (kind is None or s.kind == kind) and (group is None or s.group == group)
    )


def _close(word: str, options) -> str:
    matches = difflib.get_close_matches(word, list(options), n=5, cutoff=0.5)
    lower = [o for o in options if o.lower() == word.lower()]
    matches = list(dict.fromkeys(lower + matches))
    return f"; did you mean {', '.join(map(repr, matches))}?" if matches else ""


def custom(text: str, ic=None, dt: float | None = None, name: str | None = None) -> System:
    """A system typed by hand (``core.systems.equations``: a flow ``dx = …`` or a map ``x' = …``, with
    ``name = value`` parameters), compiled into the same kernel type as the catalog's. ``dt``
    defaults to 0.01 for flows and 1 for maps; ``ic`` to a point near, not at, the origin; the
    name to ``Typed_<hash of the equations>``, so that caches and the model store never confuse
    two typed systems.

    Raises ``core.systems.equations.EquationError`` (a ``ValueError``) naming what cannot be read.
    """
    from core.systems import equations

    parsed = equations.parse(text)
    x0 = equations.default_ic(parsed) if ic is None else np.asarray(ic, dtype=float).ravel()
    if x0.shape != (parsed.dim,) or not np.all(np.isfinite(x0)):
        raise equations.EquationError(f"the initial condition needs {parsed.dim} finite numbers "
                                      f"({', '.join(parsed.variables)}), got {np.asarray(ic).tolist()}")
    step = float(dt) if dt is not None else (0.01 if parsed.kind == "flow" else 1.0)
    source = RhsSource(f"chaoslab_user_{parsed.key()}", "rhs", "scalar", parsed.dim, _param_shapes(parsed.params),
                       code=parsed.python())
    lines = [f"d{v}/dt = {e}" if parsed.kind == "flow" else f"{v}' = {e}"
             for v, e in zip(parsed.variables, parsed.expressions)]
    return System(
        name=name or f"Typed_{parsed.key()[:8]}", kind=parsed.kind, dim=parsed.dim, params=_freeze(parsed.params), ic=_readonly(x0), dt=step,
        period=None, lyapunov_max=None, lyapunov_spectrum=None, description="Typed by hand: " + "; ".join(lines),
        citation="", group="ours", published_params=_freeze(parsed.params), source=source, origin="typed",
        coordinate_names=parsed.variables,
    )


@functools.lru_cache(maxsize=64)
def typed(text: str) -> System:
    """``custom(text)`` with its defaults, parsed once per process and text and remembered (64
    texts at most): a class types its teacher's equations thirty times, a page reads them at every
    redraw. The kernel is compiled next to the data and cached on disk by the same text
    (``core.systems.compiled``). A text that cannot be read raises each time (nothing remembered)."""
    return custom(text)


def get(name: str, **params) -> System:
    """The system called ``name``, with parameters overridden by ``params``.

    Raises ``KeyError`` for an unknown name and ``ValueError`` for an unknown parameter or a
    value of the wrong shape, each listing close matches.
    """
    catalog = _catalog()
    if name not in catalog and name not in _networks():
        raise KeyError(f"no system named {name!r}{_close(name, [*catalog, *_networks()])}")
    system = _lookup(name)
    return vary(system, **params) if params else system


def vary(system: System, **params) -> System:
    """``system`` (from the catalog or typed by hand) with the parameters ``params`` changed."""
    name = system.name
    new = dict(system.params)
    for key, value in params.items():
        if key not in new:
            raise ValueError(
                f"{name} has no parameter {key!r}{_close(key, new)} (its parameters: {', '.join(sorted(new))})"
            )
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name}.{key} must be a number, got {value!r} (published: {system.published_params[key]})") \
                from None
        if value.shape != np.shape(new[key]):
            raise ValueError(f"{name}.{key} must have shape {np.shape(new[key])}, got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name}.{key} must be finite, got {value}")
        new[key] = value
    return _with_params(system, new)


def _with_params(system: System, params: dict) -> System:
    # reference invariants were computed at the published parameters only
    changes: dict = dict(
        params=_freeze(params),
        lyapunov_max=None,
        lyapunov_spectrum=None,
        kaplan_yorke_dimension=None,
        correlation_dimension=None,
    )
    if system.source.dim_param:  # a system of any size: the size decides the state's dimension
        n = params[system.source.dim_param]
        if n != int(n) or n < system.min_size:
            raise ValueError(f"{system.name}.{system.source.dim_param} must be an integer >= {system.min_size}, got {n}")
        ic = _readonly(system.ic_for_size(int(n), params))
        changes.update(dim=ic.size, ic=ic)
        if system.coordinate_names and system.network is not None:  # x0, y0, x1, y1, …
            names = system.coordinate_names[: system.network.node_dim]
            changes["coordinate_names"] = tuple(f"{v[:-1]}{i}" for i in range(int(n)) for v in names)
    candidate = replace(system, **changes)
    if candidate.is_published and system.origin != "typed":
        return _lookup(system.name)
    return candidate
