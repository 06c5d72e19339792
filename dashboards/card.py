"""A card of the Teach tab: a small view over the shared selection that computes only while its
tab is shown and says what went wrong on the tab's one message line."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from dashboards.selection import Selection


class TeachCard(Viewer):
    """``active``: the tab is shown (compute on changes); ``report(what, message)``: the tab's line."""

    sel = param.ClassSelector(class_=Selection)
    report = param.Callable(doc="report(what, message): the tab's message line (None: fine again)")
    active = param.Boolean(default=False, doc="the tab is shown: compute on changes")

    def pick_coordinate(self, widget: pn.widgets.Select, name: str, field: str, cleared: str) -> None:
        """A coordinate picked by its name in ``widget`` goes into the selection's ``field`` and
        clears ``cleared`` (another variable: its own starting point or plane). The widget's
        echo of the selection's own value changes nothing."""
        if name not in widget.options:
            return
        index = widget.options.index(name)
        if index != getattr(self.sel, field):
            self.sel.param.update({field: index, cleared: None})
