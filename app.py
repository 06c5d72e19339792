"""Chaos Lab: ``panel serve app.py`` builds the page: one shared Selection, one tab per dashboard."""

import os

# Thread pools of numba/BLAS/torch sized before the heavy imports: the server's worker threads
# times these must not exceed the cores, or sessions freeze each other (see DESIGN.md).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from dashboards.app import build_page

build_page().servable(title="Chaos Lab")
