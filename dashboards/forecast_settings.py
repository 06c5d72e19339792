"""What the Forecast tab trains: the family, the training data, the horizon, tuning, and the
family's hyper-parameters with its time-aware defaults. All of it lives in the shared
``Selection`` (and so in a shared link); this view shows and edits it."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from core.forecasting import experiment
from core.forecasting.families import registry
from core.forecasting.families.base import Timescales
from dashboards.selection import Selection

DEFAULT_BUDGET = {False: 3.0, True: 60.0}  # seconds of tuning: classical families, iterative (torch) ones


class ModelSettings(Viewer):
    """The family and its settings; ``hyper_card`` holds the hyper-parameters (the page puts the
    buttons between the two: the card's height changes with the family)."""

    sel = param.ClassSelector(class_=Selection)

    def __init__(self, linked: frozenset = frozenset(), **params):
        """``linked``: the fields a shared link set; the family's tuning defaults fill the others."""
        super().__init__(**params)
        sel = self.sel
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self.hyper_box = pn.Column(sizing_mode="stretch_width")
        self.hyper_card = pn.Card(self.hyper_box, title="Hyper-parameters", collapsed=False,
                                  sizing_mode="stretch_width")
        # "auto" tunes by itself, within the budget among its hyper-parameters: no second switch
        self.tuning_row = pn.Row(pn.widgets.Checkbox.from_param(sel.param.auto_tune, label="Auto-tune",
                                                                css_classes=["forecast-autotune"], width=100,
                                                                align="center"),
                                 pn.widgets.FloatInput.from_param(sel.param.budget, label="Tuning budget (s)",
                                                                  width=130))
        self.choices = pn.Column(
            pn.Row(pn.widgets.Select.from_param(sel.param.model, label="Model", width=160),
                   pn.widgets.IntInput.from_param(sel.param.n_train, label="Training points", width=130),
                   pn.widgets.FloatInput.from_param(sel.param.train_noise, label="Training noise", width=110),
                   pn.widgets.FloatInput.from_param(sel.param.horizon, label="Horizon (Lyapunov times)", width=170),
                   pn.widgets.FloatInput.from_param(sel.param.eps, label="ε", width=80),
                   pn.widgets.IntInput.from_param(sel.param.seed, label="Seed", width=90)),
            self.tuning_row)
        if linked & {"auto_tune", "budget", "hparams"}:
            self.show_family()
        else:
            self.family_changed()

    def __panel__(self):
        return self.choices

    @property
    def iterative(self) -> bool:
        return registry.family(self.sel.model).is_iterative

    def timescales(self) -> Timescales | None:
        """Time scales of the selection for the widgets' defaults (λ1 is not needed for them)."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError):
            return None
        return experiment.timescales(system, float(self.sel.dt or system.dt)) if system.kind != "delay" else None

    def tunable(self) -> bool:
        ts = self.timescales()
        return ts is not None and bool(registry.family(self.sel.model).search_space(ts))

    @param.depends("sel.model", watch=True)
    def family_changed(self) -> None:
        """The user picked another family: its own defaults for tuning and hyper-parameters."""
        self.sel.hparams = {}  # another family's values mean nothing to this one
        self.sel.auto_tune = not self.iterative and self.tunable()  # on by default for the classical families only
        self.sel.budget = DEFAULT_BUDGET[self.iterative]
        self.show_family()

    def show_configuration(self, family: str, hparams: dict) -> None:
        """Open on ``family`` with these hyper-parameters as they are (a leaderboard's tuned ones):
        tuning off, so Train reproduces that configuration."""
        if self.sel.model != family:
            self.sel.model = family  # the family's defaults first (family_changed), then these values
        self.sel.hparams = dict(hparams)
        self.sel.auto_tune = False
        self.show_family()

    def show_family(self) -> None:
        """The widgets of the selected family, from the shared state (which a link may have set)."""
        schema = registry.schema(self.sel.model)
        # the family's defaults, then what the page (or a shared link) set
        values = registry.defaults(self.sel.model, self.timescales()) \
            | {k: v for k, v in (self.sel.hparams or {}).items() if k in schema}
        widgets = {}
        for name, spec in schema.items():
            if spec.choices is not None:
                widget = pn.widgets.Select(label=name, options=list(spec.choices), value=values[name],
                                           width=max(150, 8 * max(len(str(c)) for c in spec.choices)))
            elif spec.kind is int:
                widget = pn.widgets.IntInput(label=name, value=values[name], width=150)
            else:
                widget = pn.widgets.FloatInput(label=name, value=values[name], width=150)
            widget.description = spec.doc
            pn.bind(self._hyper_set, name, widget, watch=True)
            widgets[name] = widget
        self.widgets = widgets
        about = pn.pane.Markdown(f"**{self.sel.model}**: {registry.family(self.sel.model).describe_family()}",
                                 css_classes=["forecast-family"], sizing_mode="stretch_width")
        self.hyper_box.objects = [about, pn.FlexBox(*widgets.values()) if widgets
                                  else pn.pane.Markdown("*no hyper-parameters*")]
        self.tuning_row.visible = self.sel.model != experiment.AUTO
        self.lock()

    def _hyper_set(self, name: str, value) -> None:
        """A hyper-parameter set in the page (or filled by tuning) goes into the shared state."""
        self.sel.hparams = {**(self.sel.hparams or {}), name: value}

    @param.depends("sel.auto_tune", watch=True)
    def lock(self) -> None:
        """With auto-tune on, the widgets show what the search chose: read-only."""
        for widget in self.widgets.values():
            widget.disabled = bool(self.sel.auto_tune)

    def fill(self, values: dict) -> None:
        """Values into the widgets (and so the selection): tuning's choice, or new defaults."""
        for name, value in values.items():
            if name in self.widgets:
                self.widgets[name].value = value

    @param.depends("sel.system", "sel.equations", "sel.param_overrides", "sel.dt", watch=True)
    def _system_changed(self) -> None:
        """A new system or sampling: the time-aware defaults follow it."""
        ts = self.timescales()
        if ts is not None:
            self.fill(registry.family(self.sel.model).defaults(ts))

    def hparams(self) -> dict:
        """The values to train with, checked (ValueError with the bound)."""
        hparams = {name: w.value for name, w in self.widgets.items()}
        registry.create(self.sel.model, **hparams)
        return hparams

    def task(self, system, dt=None) -> experiment.ForecastTask:
        sel = self.sel
        return experiment.ForecastTask(system, dt=dt or sel.dt or None, n_train=sel.n_train,
                                       noise=float(sel.train_noise), seed=int(sel.seed), horizon=float(sel.horizon),
                                       eps=float(sel.eps))
