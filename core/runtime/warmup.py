"""Pay every compilation of the lab's computations once per process, before the first request.

Numba kernels load from the on-disk cache (compiled on the very first run only) and Datashader's
aggregations are exercised once. The server runs it at start (``dashboards/warm.py``) and every
Dask worker runs it as it joins (``jobs.OnStart``), so no visitor pays a JIT.
"""

import time

import numpy as np


def compile_kernels() -> float:
    """Warm the integrators, tangent dynamics, the data exponent and the rasters; returns seconds."""
    from core import systems
    from core.dynamics import integrate, lyapunov
    from core.pictures import portraits
    from core.runtime.jobs import local_context

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
    portraits.run(lorenz, {"n": 1000}, portraits.ViewSpec(), (10, 0.1), job=local_context())
    portraits.run(systems.get("Henon"), {"n": 1000}, portraits.ViewSpec(embed_lag=1), job=local_context())
    _warm_fields()
    _warm_networks()
    _warm_datashader()
    return time.perf_counter() - start


def _warm_datashader() -> None:
    """Every Datashader glyph and reduction the pictures use, built once. Datashader builds a
    glyph's loop on first use by parsing Python source (``datashader.macros``), and CPython 3.11's
    AST conversion keeps its recursion depth per process, not per thread: a worker building a
    line glyph while another thread parsed source failed with "AST constructor recursion depth
    mismatch" (a fresh-clone CI run, the Lyapunov tab's covariant-vector segments)."""
    from core.pictures import raster

    x = np.linspace(0.0, 1.0, 50)
    raster.density(x, x**2, 40, 30, lines=True)
    raster.density(x, x**2, 40, 30, lines=False)
    raster.mean(x, x**2, x, 40, 30)
    xy = np.column_stack([x, x**2])
    raster.segments_picture(xy, xy + 0.01, x, 40, 30, 0.0, 1.0)


def _warm_networks() -> None:
    """The default network's kernel (the others load from the disk cache on first use) and its
    picture: the complexity measures' kernels, the Hilbert phases and the raster."""
    from core import systems
    from core.pictures import networks

    networks.network_picture(systems.get("ChialvoRingStar", N=8.0, R=1.0), 64, 10)


def _warm_fields() -> None:
    """The fields' ETDRK4 kernels (both fields, with and without tangents), Datashader's raster and
    the parallel reservoirs' loops."""
    from core.dynamics import fields as field_dynamics
    from core.forecasting.parallel_reservoir import ParallelReservoir
    from core.pictures import fields as field_pictures
    from core.systems import fields

    field_pictures.field_picture(fields.get("KuramotoSivashinsky", grid=16), 4)
    field_dynamics.spectrum(fields.get("KuramotoSivashinsky", grid=16), 1, t_max=1.0, transient=0.0)
    field_dynamics.simulate(fields.get("LambdaOmega", grid=16), 2, transient=0.0)
    field_dynamics.spectrum(fields.get("LambdaOmega", grid=16), 1, t_max=0.2, transient=0.0)
    data = np.random.default_rng(0).normal(size=(150, 8))
    ParallelReservoir(groups=2, overlap=1, units=10, warmup=10).fit(data, 1.0).predict(data[:20], 5)
