"""The page's sidebar: which system, its parameters, how it is integrated, an ensemble, equations
typed by hand. Each card is a small view over the shared ``Selection``; the sidebar composes them.

Every tab reads what the sidebar writes into the selection; nothing here computes. A value the
selection cannot take (a parameter that is not a number, a dt ≤ 0, a count out of range) is
reported through ``report`` (the explorer's message line), and the selection keeps its value.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from core import systems
from core.dynamics import catalog_spectra
from dashboards.selection import TYPED, Selection, parse_number, plain

EXAMPLE = """dx = sigma*(y - x)
dy = x*(rho - z) - y
dz = x*y - beta*z
sigma = 10; rho = 28; beta = 8/3"""


def system_groups() -> dict[str, list[str]]:
    groups = {label: systems.names(group=group) for group, label in systems.GROUPS.items()}
    return {**groups, "Your own": [TYPED]}


def info_markdown(system: systems.System) -> str:
    """The system card: what it is, where it comes from, its reference invariants."""
    lines = [f"### {system.name}", plain(system.description or ""), ""] + (
        [f"*{plain(system.citation)}*", ""] if system.citation else [])
    kind = {"flow": "flow", "map": "map", "delay": "delay equation"}[system.kind]
    lines.append(f"- **kind:** {kind}, dimension {system.dim}" + (" (non-autonomous)" if system.nonautonomous else ""))
    if system.period:
        lines.append(f"- **dominant period:** {system.period:.4g}")
    comparison = catalog_spectra.compare(system)  # the lab's own, for published parameters
    if comparison is not None:
        lines.append(f"- **Lyapunov spectrum (the lab):** {comparison.lab.summary()}")
    if system.lyapunov_max is not None:
        lines.append(f"- **largest Lyapunov exponent (dysts):** {system.lyapunov_max:.4g}")
    if system.lyapunov_spectrum:
        spectrum = ", ".join(f"{v:.3g}" for v in system.lyapunov_spectrum)
        lines.append(f"- **Lyapunov spectrum (dysts):** ({spectrum})")
    if system.kaplan_yorke_dimension:
        lines.append(f"- **Kaplan–Yorke dimension (dysts):** {system.kaplan_yorke_dimension:.3f}")
    if comparison is not None:
        if comparison.reasons():
            lines.append(f"- *the lab and dysts disagree: {'; '.join(comparison.reasons())}*")
        if comparison.dysts_note():
            lines.append(f"- *{comparison.dysts_note()}*")
    if not system.is_published:
        lines.append("- *parameters changed: reference values apply to the published ones only*")
    lines.append(f"- **source:** {system.origin}")
    return "\n".join(lines)


def folded_card(*objects, title: str, collapsed: bool) -> pn.Card:
    """A card whose contents reach the page when it is first opened: a folded card's widgets
    would otherwise be built into every session's document (the sidebar's two folded cards:
    20 ms of a page's build, benchmarks/page.py)."""
    card = pn.Card(*(() if collapsed else objects), title=title, collapsed=collapsed, sizing_mode="stretch_width")

    def unfold(event) -> None:
        if not event.new and not card.objects:
            card.objects = list(objects)

    card.param.watch(unfold, "collapsed")
    return card


def number_input(sel: Selection, name: str, label: str, report, step: float = 1):
    """A number box for a bounded selection parameter: out-of-range input gets a message.

    The widget itself is unbounded on purpose: a browser-side clamp would change the number
    silently, and a rejected value would leave it showing something the server never took.
    """
    spec = sel.param[name]
    widget_type = pn.widgets.IntInput if isinstance(spec, param.Integer) else pn.widgets.FloatInput
    widget = widget_type(label=label, value=getattr(sel, name), step=step)
    low, high = spec.bounds or (None, None)

    def commit(value) -> None:
        if value is None:
            report(f"{label}: enter a number")
        elif (low is not None and value < low) or (high is not None and value > high):
            hint = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
            report(f"{label} must be {hint}, got {value:,}")
        else:
            setattr(sel, name, value)

    pn.bind(commit, widget, watch=True)
    sel.param.watch(lambda e: setattr(widget, "value", e.new), name)
    return widget


class SystemPicker(Viewer):
    """Find a system by name or by group; its card says what it is and where it comes from."""

    sel = param.ClassSelector(class_=Selection)

    def __init__(self, **params):
        super().__init__(**params)
        self.search = pn.widgets.AutocompleteInput(
            label="Search systems", options=systems.names() + systems.names(group="network"), case_sensitive=False, search_strategy="includes",
            placeholder="type a name, e.g. Rossler", restrict=True, min_characters=1,
        )
        self.picker = pn.widgets.Select(label="System", groups=system_groups(), value=self.sel.system)
        self.info = pn.pane.Markdown("", sizing_mode="stretch_width", css_classes=["system-card"])
        pn.bind(self._found, self.search, watch=True)
        pn.bind(self._picked, self.picker, watch=True)

    def _found(self, name: str) -> None:
        if name and name in self.search.options:
            self.sel.system = name

    def _picked(self, name: str) -> None:
        self.sel.system = name

    @param.depends("sel.system", watch=True)
    def _follow(self) -> None:
        self.picker.value = self.sel.system

    def show(self, system: systems.System) -> None:
        self.info.object = info_markdown(system)

    def items(self) -> list:
        """Its pieces, each an item of the page's sidebar (no layout around them: every layout
        the page holds costs BokehJS work on every update of the page)."""
        return [self.search, self.picker,
                pn.Card(self.info, title="About this system", collapsed=False, sizing_mode="stretch_width")]

    def __panel__(self):
        return pn.Column(*self.items(), sizing_mode="stretch_width")


class ParameterEditor(Viewer):
    """One box per scalar parameter of the shown system (matrices and vectors of coupled systems
    stay at their published values), and a reset to the published values."""

    sel = param.ClassSelector(class_=Selection)
    report = param.Callable(doc="shows a message: a value that is not a number")

    def __init__(self, **params):
        super().__init__(**params)
        self.box = pn.FlexBox()
        self.reset = pn.widgets.Button(label="Reset to published values", color="default")
        self.reset.on_click(lambda _: self.reset_values())
        self.widgets: dict[str, pn.widgets.TextInput] = {}

    def show(self, system: systems.System) -> None:
        """A box per scalar parameter of ``system``, showing its value."""
        widgets = []
        for name in sorted(system.params):
            value = system.params[name]
            if np.ndim(value) != 0:
                continue
            box = pn.widgets.TextInput(label=name, value=f"{value:.6g}", width=110, css_classes=["param-input"])
            # a plain watcher, not pn.bind: the lab's most frequent event (a class types here), and
            # the bound function cost the key press ~50 ms more in Chromium (benchmarks/page.py)
            box.param.watch(lambda event, name=name: self._typed(name, event.new), "value")
            widgets.append(box)
        self.box.objects = widgets or [pn.pane.Markdown("*no scalar parameters*")]
        self.widgets = {w.label: w for w in widgets}

    def reset_values(self) -> None:
        system = self.sel.base_system()
        self.sel.param_overrides = {}
        for name, widget in self.widgets.items():
            widget.value = f"{system.params[name]:.6g}"

    def _typed(self, name: str, text: str) -> None:
        try:
            value = parse_number(name, text)
        except ValueError as exc:
            self.report(str(exc))
            return
        published = self.sel.base_system().params[name]
        self.sel.set_override(name, None if value == published else value)

    @param.depends("sel.param_overrides", watch=True)
    def show_values(self) -> None:
        """The values in force (set elsewhere too: a click on the Teach tab's orbit diagram)."""
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError):
            return  # the text the user typed stays, with its message
        for name, widget in self.widgets.items():
            if name not in system.params:
                continue  # the previous system's box, about to be replaced
            text = f"{system.params[name]:.6g}"
            if widget.value != text:
                widget.value = text

    def __panel__(self):
        return pn.Card(self.box, self.reset, title="Parameters", sizing_mode="stretch_width")


class IntegrationSettings(Viewer):
    """Initial condition, output sampling, how many points, transient, noise, integrator."""

    sel = param.ClassSelector(class_=Selection)
    report = param.Callable(doc="shows a message: a value the selection cannot take")

    def __init__(self, **params):
        super().__init__(**params)
        sel, report = self.sel, self.report
        self.ic_input = pn.widgets.TextInput(label="Initial condition (empty: published)")
        self.dt_input = pn.widgets.TextInput(label="dt (output sampling)")
        pn.bind(self._ic_typed, self.ic_input, watch=True)
        pn.bind(self._dt_typed, self.dt_input, watch=True)
        self.sampling = [  # each layout a page holds costs its build ~2 ms: none around these
            number_input(sel, "n_points", "Points", report, 10_000),
            number_input(sel, "transient", "Transient (points)", report, 1_000),
            number_input(sel, "noise", "Noise", report, 0.01), number_input(sel, "noise_seed", "Noise seed", report),
            pn.widgets.RadioButtonGroup.from_param(sel.param.method, label="Integrator"),
        ]

    def show(self, system: systems.System) -> None:
        self.dt_input.value = f"{system.dt:.6g}" if self.sel.dt is None else f"{self.sel.dt:.6g}"
        self.ic_input.value = self.sel.ic
        self.ic_input.placeholder = ", ".join(f"{v:.4g}" for v in system.ic)

    def _ic_typed(self, text: str) -> None:
        self.sel.ic = text.strip()

    def _dt_typed(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.sel.dt = None
            return
        try:
            value = parse_number("dt", text)
        except ValueError as exc:
            self.report(str(exc))
            return
        if value <= 0:
            self.report(f"dt must be positive, got {value:g}")
            return
        self.sel.dt = None if np.isclose(value, self.sel.base_system().dt) else value

    def __panel__(self):
        return pn.Card(self.ic_input, self.dt_input, *self.sampling, title="Integration", sizing_mode="stretch_width")


class TypedEquations(Viewer):
    """A system typed by hand: parsed and compiled when the button is pressed; on success it
    becomes the selected system, otherwise the message says why and the previous system stays."""

    sel = param.ClassSelector(class_=Selection)
    report = param.Callable(doc="shows why equations were not used")

    def __init__(self, **params):
        super().__init__(**params)
        self.input = pn.widgets.TextAreaInput(
            value=self.sel.equations, placeholder=EXAMPLE, height=130, sizing_mode="stretch_width",
            css_classes=["equations-input"],
            description="one line per variable: dx = … (a flow) or x' = … (a map); then name = value parameters")
        self.button = pn.widgets.Button(label="Use these equations", color="primary")
        self.button.on_click(lambda _: self.use())

    def refuse_bad_link(self) -> None:
        """A link with equations that do not parse opens Lorenz, with the reason shown."""
        if self.sel.system != TYPED:
            return
        try:
            systems.typed(self.sel.equations)
        except ValueError as exc:
            self.sel.system = "Lorenz"
            self.report(f"the link's equations were not used: {exc}")

    def use(self) -> None:
        text = self.input.value.strip()
        try:
            systems.typed(text)
        except ValueError as exc:
            self.report(str(exc))
            return
        with param.parameterized.batch_call_watchers(self.sel):
            self.sel.equations = text
            self.sel.system = TYPED

    def __panel__(self):
        return folded_card(self.input, self.button, title="Your own equations", collapsed=self.sel.system != TYPED)


class Sidebar(Viewer):
    """The page's sidebar: the cards above, and the ensemble's settings (folded: most sessions
    never evolve a cloud)."""

    sel = param.ClassSelector(class_=Selection)
    report = param.Callable(doc="shows a message in the page")

    def __init__(self, **params):
        super().__init__(**params)
        sel, report = self.sel, self.report
        self.picker = SystemPicker(sel=sel)
        self.parameters = ParameterEditor(sel=sel, report=report)
        self.integration = IntegrationSettings(sel=sel, report=report)
        self.equations = TypedEquations(sel=sel, report=report)
        self.ensemble = pn.Column(
            pn.widgets.RadioButtonGroup.from_param(sel.param.mode, label="Mode"),
            number_input(sel, "ensemble_size", "Members", report, 1_000),
            number_input(sel, "ensemble_time", "Evolve for (time)", report, 0.5),
        )
        # the card says "parameters changed" or not: after a reset it shows the published system
        self.parameters.reset.on_click(lambda _: self.picker.show(self.sel.base_system()))

    def show(self, system: systems.System) -> None:
        """Every card shows ``system`` (a new system, or the page's first)."""
        self.picker.show(system)
        self.parameters.show(system)
        self.integration.show(system)

    def items(self) -> list:
        """The cards, each an item of the page's sidebar (the template lays them out)."""
        return [*self.picker.items(), self.parameters, self.integration,
                folded_card(self.ensemble, title="Ensemble", collapsed=True), self.equations]

    def __panel__(self):
        return pn.Column(*self.items(), sizing_mode="stretch_width")
