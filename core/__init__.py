"""Chaos Lab's numerics: systems, integrators, Lyapunov diagnostics, forecasters and their jobs."""

import os

# numba, OpenMP/BLAS (numpy, torch) each start a thread pool sized to the machine; in a server
# or a worker that runs several jobs at once, one thread each (or sessions freeze each other)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def limit_threads() -> None:
    """One thread per numerical library unless the environment says otherwise: call before the
    heavy imports (numpy, numba, torch read these once)."""
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
