"""The one shared selection every tab reads and the URL mirrors: system, parameters, sampling, view,
the Lyapunov settings, the forecast comparison and the open tab."""

from __future__ import annotations

import html
import math

import param

from core import systems
from core.systems import fields
from core.forecasting.families import registry

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~"})


def plain(text: str) -> str:
    """Text a user typed, safe inside a page's Markdown: HTML escaped, Markdown marks neutralised
    (an equation's message quotes it, and a shared link can carry it to another person's page)."""
    return html.escape(str(text), quote=False).translate(_MARKDOWN)


def parse_number(name: str, text) -> float:
    """A float from user text, or ValueError with a message naming the field."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{name}: {str(text)!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: {text!r} must be finite")
    return value


def parse_vector(name: str, text: str, size: int) -> list[float] | None:
    """Comma- or space-separated numbers of length ``size``; None for empty text."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    if not parts:
        return None
    values = [parse_number(f"{name}[{i}]", p) for i, p in enumerate(parts)]
    if len(values) != size:
        raise ValueError(f"{name}: expected {size} numbers, got {len(values)}")
    return values


TYPED = "Typed by hand"  # the system slot of the equations a user typed (``Selection.equations``)



class Selection(param.Parameterized):
    """State of the page; mirrored in the URL, so a copied link reopens the same view."""

    system = param.Selector(default="Lorenz", objects=systems.names() + systems.names(group="network") + [TYPED],
                            doc="catalog name (a network of maps included), or TYPED")
    equations = param.String(default="", doc="the system typed by hand (core.systems.equations), shown when system is TYPED")
    param_overrides = param.Dict(default={}, doc="parameters changed from the published ones, e.g. {'rho': 35.0}")
    ic = param.String(default="", doc="initial condition; empty for the published one")
    dt = param.Number(default=None, allow_None=True, doc="output sampling; empty for the system's default")
    n_points = param.Integer(default=100_000, bounds=(100, 10_000_000), doc="points to sample")
    transient = param.Integer(default=1_000, bounds=(0, 1_000_000), doc="points discarded first")
    noise = param.Number(default=0.0, bounds=(0.0, 1.0), doc="additive noise, in units of each coordinate's std")
    noise_seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="the noise's seed: one seed, one noisy run")
    method = param.Selector(default="dop853", objects=["dop853", "rk4"])
    mode = param.Selector(default="trajectory", objects=["trajectory", "ensemble"])
    ensemble_size = param.Integer(default=5_000, bounds=(10, 200_000))
    ensemble_time = param.Number(default=5.0, bounds=(0.0, None), doc="evolution time (iterations for maps)")
    azimuth = param.Number(default=30.0, bounds=(-180.0, 180.0))
    elevation = param.Number(default=20.0, bounds=(-90.0, 90.0))
    coord_x = param.Integer(default=0, bounds=(0, None))
    coord_y = param.Integer(default=1, bounds=(0, None))
    coord_z = param.Integer(default=2, bounds=(0, None))
    embed_coord = param.Integer(default=0, bounds=(0, None))
    embed_lag = param.Integer(default=25, bounds=(1, 100_000), doc="delay-embedding lag in samples")
    # the Lyapunov tab
    averaging_time = param.Number(default=None, allow_None=True, bounds=(1.0, 1e5), doc="averaging time (empty: automatic)")
    ftle_window = param.Number(default=None, allow_None=True, bounds=(1e-3, 1e4), doc="FTLE window (empty: one period)")
    # the Forecast tab
    model = param.Selector(default="nvar", objects=registry.names(), doc="forecaster family")
    hparams = param.Dict(default={}, doc="the model's hyper-parameters as last set in the page")
    n_train = param.Integer(default=10_000, bounds=(500, 200_000), doc="training points")
    train_noise = param.Number(default=0.0, bounds=(0.0, 1.0), doc="observation noise on the training data (× std)")
    horizon = param.Number(default=10.0, bounds=(0.5, 100.0), doc="forecast horizon in Lyapunov times")
    eps = param.Number(default=0.5, bounds=(0.01, 5.0), doc="VPT threshold on the normalised error")
    seed = param.Integer(default=0, bounds=(0, 100_000))
    auto_tune = param.Boolean(default=True, doc="search the hyper-parameters on a validation split first")
    budget = param.Number(default=3.0, bounds=(0.5, 3600.0), doc="seconds of tuning")
    # the Teach tab
    orbit_parameter = param.String(default="", doc="the parameter the orbit diagram varies (empty: the first)")
    orbit_low = param.Number(default=None, allow_None=True, doc="the diagram's parameter window (empty: around the value)")
    orbit_high = param.Number(default=None, allow_None=True)
    orbit_coordinate = param.Integer(default=0, bounds=(0, None), doc="the coordinate the diagram shows")
    cobweb_n = param.Integer(default=1, bounds=(1, 16), doc="the cobweb shows f^n")
    cobweb_coordinate = param.Integer(default=0, bounds=(0, None), doc="the map's coordinate the cobweb follows")
    cobweb_start = param.Number(default=None, allow_None=True, doc="the cobweb's first point (empty: the system's)")
    section_coordinate = param.Integer(default=2, bounds=(0, None), doc="the Poincaré plane: x[coordinate] = value")
    section_value = param.Number(default=None, allow_None=True, doc="the plane's value (empty: the attractor's mean)")
    section_direction = param.Selector(default=1, objects=[1, -1], doc="crossings counted upwards (1) or downwards")
    butterfly_members = param.Integer(default=2, bounds=(2, 10_000), doc="members of the butterfly animation")
    butterfly_distance = param.Number(default=1e-5, bounds=(1e-12, 1.0), doc="their initial distance from member 0")
    butterfly_speed = param.Selector(default=2, objects=[1, 2, 5, 10, 20], doc="frames per animation tick")
    # the Fields tab
    field = param.Selector(default="KuramotoSivashinsky", objects=fields.names(), doc="the Fields tab's field")
    field_settings = param.Dict(default={}, doc="the field's settings changed from its defaults")
    tab = param.Selector(default="explorer", objects=["explorer", "lyapunov", "forecast", "teach", "leaderboard",
                                                      "fields", "networks"],
                         doc="the open tab")

    def overrides(self) -> dict[str, float]:
        """Parameter overrides as floats (raises ValueError with a message for bad text)."""
        return {str(k): parse_number(str(k), v) for k, v in (self.param_overrides or {}).items()}

    def set_override(self, name: str, value: float | None) -> None:
        current = {}
        try:
            current = self.overrides()
        except ValueError:
            pass
        if value is None:
            current.pop(name, None)
        else:
            current[name] = value
        self.param_overrides = current

    def base_system(self) -> systems.System:
        """The selected system at its published (or typed) parameters."""
        return systems.typed(self.equations) if self.system == TYPED else systems.get(self.system)

    def current_system(self) -> systems.System:
        overrides = self.overrides()
        return systems.vary(self.base_system(), **overrides) if overrides else self.base_system()

    def reset_view_for(self, system: systems.System) -> None:
        """Defaults that depend on the system: coordinates and sampling."""
        dim = system.dim
        with param.parameterized.batch_call_watchers(self):
            self.coord_x, self.coord_y, self.coord_z = 0, min(1, dim - 1), min(2, dim - 1)
            self.embed_coord = 0
            # maps: the return map x_k vs x_{k-1}; flows: a quarter of the dominant period, the
            # usual first guess for a delay (about the first zero of the autocorrelation)
            period = system.period or 4 * system.dt
            self.embed_lag = 1 if system.kind == "map" else max(1, round(period / 4 / system.dt))
            self.param_overrides, self.ic, self.dt = {}, "", None


# what a shared link carries: every field but the derived ones
URL_STATE = [name for name in Selection.param if name != "name"]
