"""Server setup (``panel serve --setup``): pay every compilation before the first visitor.

Numba kernels load from the on-disk cache (compiled on the very first run only); Datashader's
aggregations and HoloViews/Bokeh plot classes are exercised once by building a throwaway page.
"""

import time

import numpy as np
from bokeh.document import Document

from core import integrate, lyapunov, systems
from dashboards.app import build_page

start = time.perf_counter()
lorenz = systems.get("Lorenz")
integrate.trajectory(lorenz, n=200, method="rk4")
integrate.trajectory(lorenz, n=200, noise=0.01, seed=0)
integrate.ensemble(lorenz, np.tile(lorenz.ic, (4, 1)), n=3)
integrate.trajectory(systems.get("Henon"), n=200)
integrate.trajectory(systems.get("MackeyGlass"), n=200)
lyapunov.spectrum(lorenz, t_max=10)
lyapunov.ftle(lorenz, t_max=20)
lyapunov.spectrum(systems.get("Henon"), t_max=100)
lyapunov.max_exponent_from_data(integrate.trajectory(lorenz, n=2000).x[:, 0], lorenz.dt)
build_page().server_doc(Document())
print(f"Chaos Lab: kernels and plots warm in {time.perf_counter() - start:.1f} s", flush=True)
