"""Chaos Lab: ``panel serve app.py`` builds the page: one shared Selection, one tab per dashboard."""

from core import limit_threads

limit_threads()  # before the heavy imports (see core/__init__.py)

from dashboards.app import build_page  # noqa: E402

build_page().servable(title="Chaos Lab")
