"""Tabs built the first time they are shown: a heavy tab's plots, tables and widgets are not in
every page's document, where they would weigh on the page's load and on each update of every tab
(BokehJS lays the whole document out again)."""

from __future__ import annotations

from typing import Callable

import panel as pn

from dashboards.background import on_session_loop


class LazyTab:
    """A tab whose content is built the first time it is shown, into a holder that the tabs hold
    from the start, and taken out of the document while another tab is shown.

    BokehJS lays the whole document out again, and paints every plot in it, whenever any part of
    it changes size (a progress note, a plot shown): a built tab left in the document while
    hidden made each of those cost the hidden tab's plots too. After the explorer, Lyapunov and
    Teach tabs, a 5 s forecast took 16-34 s to appear, the browser's thread busy reading the
    hidden plots' styles. A hidden tab's dashboard keeps its state; its models are sent again when
    it is shown.

    ``build`` returns a dashboard (``main()``, and optionally ``prepare()``, called before its
    models are sent, and an ``active`` parameter, told when it is shown or hidden) or any Panel
    object, shown as it is.
    """

    def __init__(self, build: Callable[[], object]):
        self._build = build
        self.dashboard = None
        self.content = None
        self.holder = pn.Column(sizing_mode="stretch_width")

    def build(self) -> None:
        if self.dashboard is None:
            self.dashboard = self._build()
            if isinstance(self.dashboard, pn.viewable.Viewable):
                self.content = self.dashboard
                return
            if hasattr(self.dashboard, "prepare"):  # drawn before its models are sent
                self.dashboard.prepare()
            self.content = self.dashboard.main()

    def attach(self, shown: bool = True) -> None:
        """Put the built content in the holder (in the document), or take it out."""
        if self.content is not None and (len(self.holder) == 1) != shown:
            self.holder.objects = [self.content] if shown else []

    def show(self, shown: bool) -> None:
        if not shown and self.dashboard is None:
            return
        on_session_loop(lambda: self._show(shown))  # the new tab's models in one message

    def _show(self, shown: bool) -> None:
        if shown:
            self.build()
        told = self.dashboard is not None and not isinstance(self.dashboard, pn.viewable.Viewable)
        if not shown and told:
            self.dashboard.active = False
        self.attach(shown)
        if shown and told:
            self.dashboard.active = True


def out_of_page_while_hidden(column: pn.Column) -> Callable[[bool], None]:
    """``show(shown)`` for a tab built with the page: the tab's own column keeps its children
    while shown and drops them while hidden (as a ``LazyTab`` does; not a holder around it,
    which would change how the tab lays out)."""
    children = list(column.objects)

    def show(shown: bool) -> None:
        if (len(column) > 0) != shown:
            on_session_loop(lambda: setattr(column, "objects", children if shown else []))

    return show


def lazy_tabs(*tabs: tuple[str, object], **params) -> pn.Tabs:
    """``pn.Tabs`` of (label, content) where a content may be a ``LazyTab``: it is built when its
    tab is first chosen (and at once if it is the active one)."""
    tabs_ = pn.Tabs(*((label, content.holder if isinstance(content, LazyTab) else content)
                      for label, content in tabs), dynamic=False, **params)
    lazy = {i: content for i, (_, content) in enumerate(tabs) if isinstance(content, LazyTab)}
    tabs_.param.watch(lambda e: [tab.show(i == e.new) for i, tab in lazy.items()], "active")
    if tabs_.active in lazy:  # not sent yet: built here, with the tabs
        lazy[tabs_.active]._show(True)
    return tabs_
