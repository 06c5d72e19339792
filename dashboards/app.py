"""The page: a template, one shared Selection mirrored in the URL, one tab per dashboard."""

from __future__ import annotations

from pathlib import Path

import holoviews as hv
import panel as pn
import param

from core import systems

from dashboards.explorer import Explorer
from dashboards.forecast import ForecastDashboard
from dashboards.leaderboard import LeaderboardDashboard
from dashboards.lyapunov import LyapunovDashboard
from dashboards.selection import URL_STATE, Selection
from dashboards.teach import TeachDashboard

ASSETS = Path(__file__).resolve().parent.parent / "assets"



def when_loaded(callback) -> None:
    """Run ``callback`` once the browser has the page, on the session's loop with the document
    locked (Panel runs onload callbacks on a worker thread, where changing a Bokeh model fails)."""
    doc = pn.state.curdoc
    pn.state.onload(lambda: doc.add_next_tick_callback(callback))


def open_forecast(selection: Selection, forecast_tab: ForecastDashboard, cell: dict) -> None:
    """A leaderboard cell clicked: its system, data setting, family and tuned hyper-parameters in
    the Forecast tab, which opens."""
    system = systems.get(cell["system"])
    selection.system = cell["system"]  # first: a new system resets the view and the sampling
    with param.parameterized.batch_call_watchers(selection):
        selection.n_train, selection.train_noise = cell["n_train"], cell["noise"]
        selection.dt = None if cell["sampling"] == 1 else system.dt * cell["sampling"]
    forecast_tab.show_configuration(cell["family"], cell["hparams"])
    selection.tab = "forecast"


def build_page() -> pn.template.BaseTemplate:
    pn.extension("tabulator", raw_css=[(ASSETS / "style.css").read_text()], design="native")
    hv.extension("bokeh", logo=False)
    selection = Selection()
    if pn.state.location is not None:
        # apply the URL first, so the dashboards open on the shared view
        pn.state.location.sync(selection, {name: name for name in URL_STATE})
    explorer = Explorer(selection)
    lyapunov_tab = LyapunovDashboard(selection)
    linked = frozenset(pn.state.location.query_params) if pn.state.location is not None else frozenset()
    forecast_tab = ForecastDashboard(selection, linked=linked)
    # every tab is built with the page: Panel renders a tab opened later (dynamic=True) with
    # stylesheets linked from cdn.holoviz.org, and the lab must work offline
    names = Selection.param.tab.objects
    teach_tab = TeachDashboard(selection)
    leaderboard_tab = LeaderboardDashboard(selection, open_forecast=lambda cell: open_forecast(selection, forecast_tab,
                                                                                              cell))
    tabs = pn.Tabs(("Explorer", explorer.main()), ("Lyapunov", lyapunov_tab.main()),
                   ("Forecast", forecast_tab.main()), ("Teach", teach_tab.main()),
                   ("Leaderboard", leaderboard_tab.main()), active=names.index(selection.tab),
                   dynamic=False, sizing_mode="stretch_width")
    # the open tab is part of the shared state (and the URL)
    tabs.param.watch(lambda e: setattr(selection, "tab", names[e.new]), "active")
    selection.param.watch(lambda e: setattr(tabs, "active", names.index(e.new)), "tab")
    # the Lyapunov diagnostics and the orbit diagram cost seconds, and the leaderboard's plots weigh
    # on every update of the page's document: each is computed (drawn) while its tab is shown
    for name, tab in (("lyapunov", lyapunov_tab), ("teach", teach_tab), ("leaderboard", leaderboard_tab)):
        selection.param.watch(lambda e, name=name, tab=tab: setattr(tab, "active", e.new == name), "tab")
        if selection.tab == name:  # a link to the tab: its work once the page is there
            when_loaded(lambda tab=tab: setattr(tab, "active", True))
    # Bootstrap, not FAST: FAST pulls its font from an external CDN, and the lab must work offline
    template = pn.template.BootstrapTemplate(
        title="Chaos Lab",
        logo=str(ASSETS / "logo.svg"),
        sidebar=explorer.sidebar(),
        main=[tabs],
        header_background="#1b1b2f",
        sidebar_width=340,
        # the page shows its own progress; Panel's global busy spinner is updated from worker
        # threads without the document lock (panel.io.document logs an error each time)
        busy_indicator=None,
    )
    # a small first picture is drawn here, before the page is sent; a big one (10^7 points asked
    # for by a shared link) goes to the workers once the page has loaded: a result published
    # while the browser is still fetching the document never reaches it
    if selection.n_points <= 200_000 and selection.mode == "trajectory":
        explorer.request(wait=True)
    elif pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        when_loaded(explorer.request)
    else:
        explorer.request()
    return template
