"""The page: a template, one shared Selection mirrored in the URL, one tab per dashboard."""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path

import holoviews as hv
import panel as pn
import param
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

from core import systems
from dashboards.diagnostics import LyapunovDashboard
from dashboards.explorer import Explorer
from dashboards.fields import FieldsDashboard
from dashboards.networks import NetworksDashboard
from dashboards.forecast import ForecastDashboard
from dashboards.lazy import LazyTab, out_of_page_while_hidden
from dashboards.leaderboard import LeaderboardDashboard
from dashboards.selection import URL_STATE, Selection
from dashboards.teach import TeachDashboard

ASSETS = Path(__file__).resolve().parent.parent / "assets"
log = logging.getLogger(__name__)
TAB_LABELS = ("Explorer", "Lyapunov", "Forecast", "Teach", "Leaderboard", "Fields", "Networks")  # in the order of Selection.tab


def when_loaded(callback) -> None:
    """Run ``callback`` once the browser has the page, on the session's loop with the document
    locked (Panel runs onload callbacks on a worker thread, where changing a Bokeh model fails)."""
    doc = pn.state.curdoc
    pn.state.onload(lambda: doc.add_next_tick_callback(callback))


def open_forecast(selection: Selection, forecast_tab: LazyTab, cell: dict) -> None:
    """A leaderboard cell clicked: its system, data setting, family and tuned hyper-parameters in
    the Forecast tab (built now if it was never shown), which opens."""
    system = systems.get(cell["system"])
    selection.system = cell["system"]  # first: a new system resets the view and the sampling
    with param.parameterized.batch_call_watchers(selection):
        selection.n_train, selection.train_noise = cell["n_train"], cell["noise"]
        selection.dt = None if cell["sampling"] == 1 else system.dt * cell["sampling"]
    forecast_tab.build()
    forecast_tab.dashboard.show_configuration(cell["family"], cell["hparams"])
    selection.tab = "forecast"


def serve(doc) -> None:
    """A session's page built into ``doc`` (``app.py``), with one recomputation of the document's
    model graph for the whole page rather than one per root added (fourteen, each walking every
    model: about 0.15 core-s of a session's build)."""
    _quiet_disconnects()
    _collect_when_quiet()
    with doc.models.freeze():
        build_page().server_doc(doc, title="Chaos Lab")


@functools.cache
def _holoviews_backend() -> None:
    """HoloViews draws with Bokeh: a choice for the whole process (``hv.Store``), made once. Made
    again by every session it cost each page build 33 ms of the server's loop (py-spy on the
    server while newcomers opened the page)."""
    hv.extension("bokeh", logo=False)


@functools.cache
def _without_mathjax() -> None:
    """No page carries Bokeh's MathJax bundle: the lab writes its mathematics in Unicode (λ1, ρ, ẋ).

    Panel 1.9 sends the bundle (1.8 MB of the page's 5.6 MB of scripts) with any page holding a
    Markdown or HTML pane, in case one holds LaTeX (holoviz/panel#8424), and every newcomer's
    browser parses it: with it left out, a newcomer's first paint went from 3.2 to 2.5 s (median
    of six, on this machine under a test run's load). Markdown panes then read ``$`` as a dollar
    sign. A page that asks for MathJax with ``pn.extension("mathjax")`` still gets it (Panel's
    own rule). ``tests/browser/test_explorer.py`` checks the page's scripts, so a Panel that
    renames the private rule replaced here fails there, not silently."""
    from panel.io import resources

    pn.pane.Markdown.param.disable_math.default = True
    resources._panel_use_mathjax = lambda roots: False


GC_QUIET = 60.0  # seconds without a session closing before Panel collects the garbage of those that did


@functools.cache
def _collect_when_quiet() -> None:
    """Panel runs a full ``gc.collect()`` 5 s after the last session was destroyed. In a lesson,
    sessions close all the time (Bokeh destroys them in batches every 17 s), and each full
    collection walks every live session's objects with the server's loop stopped: 0.5-0.8 s
    during which no page of the class got an answer (measured with ``gc.callbacks`` in the
    server during ``benchmarks/classroom.py``: one every 17 s). Python's own collector still
    frees a closed session's cycles as the garbage grows; Panel's eager collection now waits
    for a quiet minute. ``tests/dashboards/test_lab.py`` checks that Panel still reads the
    value, so a Panel that renames it fails there, not silently."""
    from panel.io import document

    document.GC_DEBOUNCE = GC_QUIET


def _quiet_disconnects() -> None:
    """A browser that leaves while the server writes to it is logged in one line, not as a traceback.

    Panel queues its websocket writes as Tornado futures and awaits them in a task; when a session
    closes mid-write that task is dropped and the futures' ``WebSocketClosedError`` is never
    retrieved, so asyncio prints a traceback per message (holoviz/panel#3341; seen in the browser
    tests' server logs when a page closes during a redraw). Installed on the server's loop by the
    first session; every other exception goes to asyncio's own handler."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop yet (the server's setup builds a page outside one)
        return
    if getattr(loop.get_exception_handler(), "chaoslab", False):
        return

    def handle(loop, context) -> None:
        if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
            log.info("a browser left while the server was writing to it")
        else:
            loop.default_exception_handler(context)

    handle.chaoslab = True
    loop.set_exception_handler(handle)


@functools.cache
def _style() -> str:
    return (ASSETS / "style.css").read_text()


def build_page() -> pn.template.BaseTemplate:
    pn.extension("tabulator", raw_css=[_style()], design="native")  # per session: Panel's config is the session's
    _holoviews_backend()
    _without_mathjax()
    selection = Selection()
    if pn.state.location is not None:
        # apply the URL first, so the dashboards open on the shared view
        pn.state.location.sync(selection, {name: name for name in URL_STATE})
    explorer = Explorer(selection)
    linked = frozenset(pn.state.location.query_params) if pn.state.location is not None else frozenset()
    # every tab but the explorer is built when first shown, and every tab leaves the document
    # while hidden: its plots, tables and widgets in every page's document weigh on the page's
    # load and on each update of every tab (BokehJS lays the whole document out again), and most
    # visitors of a lesson never open most tabs
    forecast_tab = LazyTab(lambda: ForecastDashboard(selection, linked=linked))
    lazy = {
        "lyapunov": LazyTab(lambda: LyapunovDashboard(selection)),
        "forecast": forecast_tab,
        "teach": LazyTab(lambda: TeachDashboard(selection)),
        "leaderboard": LazyTab(lambda: LeaderboardDashboard(
            selection, open_forecast=lambda cell: open_forecast(selection, forecast_tab, cell))),
        "fields": LazyTab(lambda: FieldsDashboard(selection)),
        "networks": LazyTab(lambda: NetworksDashboard(selection)),
    }
    names = Selection.param.tab.objects
    contents = {"explorer": explorer.main(), **{name: tab.holder for name, tab in lazy.items()}}
    show_explorer = out_of_page_while_hidden(contents["explorer"])
    show_explorer(selection.tab == "explorer")
    selection.param.watch(lambda e: show_explorer(e.new == "explorer"), "tab")
    # Panel's own lazy tabs (dynamic=True) are not used: an earlier try saw them render a tab opened
    # later with stylesheets linked from cdn.holoviz.org, and the lab must work offline
    tabs = pn.Tabs(*((label, contents[name]) for label, name in zip(TAB_LABELS, names)),
                   active=names.index(selection.tab), dynamic=False, sizing_mode="stretch_width")
    # the open tab is part of the shared state (and the URL)
    tabs.param.watch(lambda e: setattr(selection, "tab", names[e.new]), "active")
    selection.param.watch(lambda e: setattr(tabs, "active", names.index(e.new)), "tab")
    for name, tab in lazy.items():
        selection.param.watch(lambda e, name=name, tab=tab: tab.show(e.new == name), "tab")
        if selection.tab == name:  # a link to the tab: built with the page, its work once the page is there
            tab.build()
            tab.attach()
            when_loaded(lambda tab=tab: tab.show(True))
    # Bootstrap, not FAST: FAST pulls its font from an external CDN, and the lab must work offline
    template = pn.template.BootstrapTemplate(
        title="Chaos Lab",
        logo=str(ASSETS / "logo.svg"),
        sidebar=explorer.sidebar.items(),
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
