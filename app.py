"""Chaos Lab: ``panel serve app.py`` builds the page: one shared Selection, one tab per dashboard."""

from core import limit_threads

limit_threads()  # before the heavy imports (see core/__init__.py)

import panel as pn  # noqa: E402

from dashboards.lab import serve  # noqa: E402

serve(pn.state.curdoc)
