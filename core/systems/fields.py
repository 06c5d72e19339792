"""Spatiotemporal systems ("fields"): a state that is a function of space, on a periodic grid.

Three fields of the forecasting literature, each a record of its equation's parameters and its
grid, validated here so that a bad grid or an unstable step is refused with a message before
anything is integrated (``core.dynamics.fields`` integrates them):

- ``KuramotoSivashinsky``: u_t = −u u_x − u_xx − u_xxxx on [0, L), the flame-front equation of
  Kuramoto (1978) and Sivashinsky (1977); chaotic for L ≳ 13, the forecasting benchmark of
  Pathak et al. (2018, PRL 120, 024102) and Vlachas et al. (2020, Neural Networks 126, 191) at
  L = 22. Pseudo-spectral in x, ETDRK4 in time (Kassam & Trefethen 2005).
- ``LambdaOmega``: the λ–ω reaction–diffusion system of the rd-spiral data set (Kutz, *Data-Driven
  Modeling & Scientific Computation*, 2013; Brunton & Kutz 2019), u_t = λ(A)u − ω(A)v + d∇²u,
  v_t = ω(A)u + λ(A)v + d∇²v with A² = u² + v², λ = 1 − A², ω = −βA², from a one-armed spiral,
  which turns for ever at the published parameters. As one complex field A = u + iv it is the
  complex Ginzburg–Landau equation A_t = A + d(1 + iα)∇²A − (1 + iβ)|A|²A with α = 0; ``alpha``
  adds that equation's dispersion, and past the Benjamin–Feir–Newell line 1 + αβ < 0 the spiral
  breaks up into defect turbulence (Aranson & Kramer 2002, Rev. Mod. Phys. 74, 99).
- ``Lorenz96``: dx_i/dt = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F on a ring of N sites (Lorenz 1996),
  the catalog's ``Lorenz96N`` drawn as a field over its sites.

    >>> from core.systems import fields
    >>> ks = fields.get("KuramotoSivashinsky", length=22.0)
    >>> ks.grid, ks.space_dims
    (64, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field as dataclass_field, replace
from types import MappingProxyType

from core.errors import ArgumentError


@dataclass(frozen=True)
class LyapunovReference:
    """A published leading exponent for a field at its defaults, with where it comes from."""

    value: float
    source: str


@dataclass(frozen=True, eq=False)
class Field:
    """One spatiotemporal system at one set of parameters and one grid.

    ``grid`` is the number of points per side of the periodic domain (sites for Lorenz-96),
    ``length`` its side, ``step`` the time step of the integrator (ETDRK4 for the PDEs, RK4 for
    Lorenz-96) and ``dt`` the sampling of what a simulation returns. ``lyapunov_reference`` is a
    published λ1 at the *published* parameters and grid only.
    """

    name: str
    title: str
    space_dims: int
    params: Mapping[str, float]
    grid: int
    length: float
    step: float
    dt: float
    description: str
    citation: str
    lyapunov_reference: LyapunovReference | None = None
    lattice: bool = False  # sites on a ring (Lorenz-96): the domain is the grid, its length not a setting
    published: Mapping[str, float] = dataclass_field(default_factory=dict)

    @property
    def spacing(self) -> float:
        return self.length / self.grid

    @property
    def state_dim(self) -> int:
        """Real dimension of the discretised state (the tangent space's size): Kuramoto–Sivashinsky
        conserves its mean, so its tangent space is the grid's zero-mean subspace."""
        if self.space_dims == 2:
            return 2 * self.grid**2
        return self.grid - 1 if self.name == "KuramotoSivashinsky" else self.grid

    def settings(self) -> dict[str, float]:
        """Every editable number: the equation's parameters, the grid, the domain and the steps."""
        domain = {} if self.lattice else {"length": self.length}
        return {**self.params, "grid": self.grid, **domain, "step": self.step, "dt": self.dt}

    def at_published(self) -> bool:
        return all(math.isclose(float(v), float(self.published[k]), rel_tol=1e-12) for k, v in self.settings().items()
                   if k in self.published)


# each field's defaults, and the limits outside which its grid or step is refused
_SPECS = {
    "KuramotoSivashinsky": dict(
        title="Kuramoto–Sivashinsky", space_dims=1, params={}, grid=64, length=22.0, step=0.25, dt=0.25,
        description="u_t = −u u_x − u_xx − u_xxxx on a periodic domain of length L: cellular flame fronts "
                    "that split and merge; chaotic for L ≳ 13, with about one more positive exponent per 9 of L.",
        citation="Kuramoto 1978, Prog. Theor. Phys. Suppl. 64, 346; Sivashinsky 1977, Acta Astronaut. 4, 1177; "
                 "ETDRK4: Kassam & Trefethen 2005, SIAM J. Sci. Comput. 26, 1214",
        # Cvitanović, Davidchack & Siminos 2010 (SIAM J. Appl. Dyn. Syst. 9, 1), on the zero-mean
        # subspace at L = 22; forecasting papers often quote 0.043 (Vlachas et al. 2020)
        reference=LyapunovReference(0.048, "Cvitanović, Davidchack & Siminos 2010 (L = 22)"),
        grids=(16, 1024), max_step=1.0, length_range=(4.0, 2000.0),
    ),
    "LambdaOmega": dict(
        title="λ–ω reaction–diffusion (rd-spiral)", space_dims=2,
        params={"beta": 1.0, "alpha": 0.0, "d": 0.1}, grid=64, length=20.0, step=0.05, dt=0.5,
        description="Two reacting, diffusing species whose amplitude relaxes to 1 and whose phase turns "
                    "at a rate β|A|²: a rotating spiral wave. With dispersion α (0 in rd-spiral) past "
                    "1 + αβ < 0 (e.g. α = 2, β = −1) the spiral breaks up into defect turbulence.",
        citation="Kutz 2013, Data-Driven Modeling & Scientific Computation (rd-spiral); "
                 "Aranson & Kramer 2002, Rev. Mod. Phys. 74, 99 (complex Ginzburg–Landau)",
        reference=None, grids=(16, 256), max_step=0.2, length_range=(2.0, 500.0),
    ),
    "Lorenz96": dict(
        title="Lorenz-96", space_dims=1, params={"F": 8.0}, grid=40, length=40.0, step=0.01, dt=0.05,
        description="dx_i/dt = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F on a ring of N sites: advection, "
                    "damping and forcing in Lorenz's toy atmosphere; waves travel westward.",
        citation="Lorenz 1996, Proc. ECMWF Seminar on Predictability 1, 1",
        # Vlachas et al. 2020 (Neural Networks 126, 191), N = 40, F = 8
        reference=LyapunovReference(1.68, "Vlachas et al. 2020 (N = 40, F = 8)"),
        grids=(4, 4096), max_step=0.05, length_range=None,
    ),
}


def names() -> list[str]:
    return sorted(_SPECS)


def _number(name: str, key: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name}.{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ArgumentError(f"{name}.{key} must be finite, got {value!r}")
    return number


def get(name: str, **changes) -> Field:
    """The field ``name`` at its defaults, with ``changes`` to its parameters, ``grid``,
    ``length``, ``step`` or ``dt``. Raises ``ArgumentError`` naming the limit for a grid that is
    odd or out of range, a domain out of range, or a step the explicit part cannot take."""
    if name not in _SPECS:
        raise ArgumentError(f"no field named {name!r}; fields are {', '.join(names())}")
    spec = _SPECS[name]
    allowed = {*spec["params"], "grid", "step", "dt", *(("length",) if spec["length_range"] else ())}
    unknown = set(changes) - allowed
    if unknown:
        raise ArgumentError(f"{name} has no setting {', '.join(sorted(unknown))}; settings are {', '.join(sorted(allowed))}")
    params = {k: _number(name, k, changes.get(k, v)) for k, v in spec["params"].items()}
    grid_value = _number(name, "grid", changes.get("grid", spec["grid"]))
    low, high = spec["grids"]
    if grid_value != int(grid_value) or not low <= grid_value <= high:
        raise ArgumentError(f"{name}.grid must be an integer from {low} to {high}, got {changes.get('grid')!r}")
    grid = int(grid_value)
    if spec["length_range"] is None:  # Lorenz-96: the domain is its sites
        length = float(grid)
    else:
        if grid % 2:
            raise ArgumentError(f"{name}.grid must be even (the Fourier grid pairs its modes), got {grid}")
        length = _number(name, "length", changes.get("length", spec["length"]))
        lo, hi = spec["length_range"]
        if not lo <= length <= hi:
            raise ArgumentError(f"{name}.length must be from {lo:g} to {hi:g}, got {length:g}")
    step = _number(name, "step", changes.get("step", spec["step"]))
    if not 0 < step <= spec["max_step"]:
        raise ArgumentError(f"{name}.step must be in (0, {spec['max_step']:g}]: a larger step makes the explicit "
                            f"(nonlinear) part unstable; got {step:g}")
    dt = _number(name, "dt", changes.get("dt", spec["dt"]))
    if dt < step or abs(dt / step - round(dt / step)) > 1e-9:
        raise ArgumentError(f"{name}.dt must be a whole number of steps ({step:g}), got {dt:g}")
    if name == "LambdaOmega" and params["d"] <= 0:
        raise ArgumentError(f"LambdaOmega.d (diffusion) must be positive, got {params['d']:g}")
    published = {**spec["params"], "grid": spec["grid"], "length": spec["length"] if spec["length_range"] else spec["grid"]}
    field = Field(
        name=name, title=spec["title"], space_dims=spec["space_dims"], params=MappingProxyType(params),
        grid=grid, length=length, step=step, dt=dt, description=spec["description"], citation=spec["citation"],
        published=MappingProxyType(published), lattice=spec["length_range"] is None,
    )
    return replace(field, lyapunov_reference=spec["reference"] if field.at_published() else None)
