"""The page's tabs: the heavy ones are built the first time they are shown, once."""

import panel as pn
import param

from dashboards.lazy import LazyTab


class Counted(param.Parameterized):
    active = param.Boolean(default=False)
    built = 0

    def __init__(self, **params):
        super().__init__(**params)
        Counted.built += 1
        self.prepared = False

    def prepare(self):
        self.prepared = True

    def main(self):
        return pn.pane.Markdown("the tab")


def test_a_lazy_tab_is_built_when_first_shown_and_left_out_of_the_page_while_hidden():
    Counted.built = 0
    tab = LazyTab(Counted)
    tab.show(False)  # another tab opened: nothing built
    assert tab.dashboard is None and len(tab.holder) == 0 and Counted.built == 0
    tab.show(True)
    assert Counted.built == 1 and tab.dashboard.active and tab.dashboard.prepared
    assert tab.holder[0].object == "the tab"
    tab.show(False)  # hidden: out of the document, its dashboard kept
    assert not tab.dashboard.active and len(tab.holder) == 0
    tab.show(True)  # shown again: the same dashboard, not a new one
    assert Counted.built == 1 and tab.dashboard.active and len(tab.holder) == 1
