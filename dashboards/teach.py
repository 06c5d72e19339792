"""The Teach tab: the orbit diagram of the selected system against any of its parameters
(``dashboards.orbit``), the cobweb of a map (``dashboards.cobweb``), the Poincaré section of a
three-dimensional flow (``dashboards.section``) and the butterfly effect in motion
(``dashboards.butterfly``); each card shows itself for the systems it is for.

Zooming recomputes the orbit diagram's window at full resolution; a dashed line marks the
parameter's current value; a click on the diagram sets the parameter there, for every tab. Beside
it, λ1 against the same parameter (maps). The cobweb steps, runs and resets, and a click on it
picks the starting point. After DynamicalSystems.jl's ``interactive_orbitdiagram`` and
``interactive_cobweb``. Nothing is computed while the tab is hidden.
"""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from dashboards.butterfly import ButterflyView
from dashboards.cobweb import CobwebView
from dashboards.orbit import OrbitDiagram
from dashboards.section import SectionView
from dashboards.selection import TYPED, Selection, plain


class TeachDashboard(Viewer):
    """The tab: its cards over one selection, and one message line they share."""

    sel = param.ClassSelector(class_=Selection)
    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def __init__(self, selection: Selection, **params):
        super().__init__(sel=selection, **params)
        self.error = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["teach-error"],
                                   sizing_mode="stretch_width")
        self.orbit = OrbitDiagram(sel=selection, report=self._report)
        self.cobweb = CobwebView(sel=selection, report=self._report)
        self.section = SectionView(sel=selection, report=self._report)
        self.butterfly = ButterflyView(selection, lambda message: self._report("Butterfly", message))
        self._system_key = self._key()
        self._shown()

    def _key(self):
        return self.sel.system if self.sel.system != TYPED else (TYPED, self.sel.equations)

    def _report(self, what: str, message: str | None) -> None:
        """A card's message (``None``: the card is fine again, the line goes)."""
        if message is None:
            self.error.visible = False
            return
        self.error.object = f"**{what} not updated:** {plain(message)}"
        self.error.visible = True

    @param.depends("sel.system", "sel.equations", watch=True)
    def _system_changed(self) -> None:
        """A new system (new equations matter only while they are the selected system): every
        card starts from its defaults for it."""
        key = self._key()
        if key == self._system_key:
            return
        self._system_key = key
        with param.parameterized.batch_call_watchers(self.sel):
            self.sel.param.update(orbit_parameter="", orbit_low=None, orbit_high=None, orbit_coordinate=0,
                                  section_coordinate=2, section_value=None, cobweb_coordinate=0)
        self.section.shown = None
        self._draw()

    @param.depends("active", watch=True)
    def _shown(self) -> None:
        for card in (self.orbit, self.cobweb, self.section):
            card.active = self.active  # each draws, on being shown, what changed while hidden
        if self.active:
            self.draw_butterfly()
        else:
            self.butterfly.pause()  # a hidden tab animates nothing

    def _draw(self) -> None:
        if self.active:
            self.orbit.request()
            self.cobweb.draw()
            self.section.draw()
            self.draw_butterfly()

    @param.depends("sel.param_overrides", "sel.butterfly_members", "sel.butterfly_distance", "sel.coord_x",
                   "sel.coord_y", "sel.coord_z", "sel.azimuth", "sel.elevation", watch=True)
    def draw_butterfly(self) -> None:
        if not self.active:
            return
        try:
            system = self.sel.current_system()
        except (KeyError, ValueError) as exc:
            self._report("Butterfly", str(exc))
            system = None
        self.butterfly.draw(system)

    def __panel__(self):
        return pn.Column(self.orbit.controls, self.error, self.orbit, self.cobweb, self.section, self.butterfly,
                         sizing_mode="stretch_width")

    def main(self):
        return self.__panel__()
