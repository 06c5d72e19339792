"""Chaos Lab's numerics: systems, integrators, Lyapunov diagnostics, forecasters and their jobs."""

import contextlib
import os
import platform
import uuid
from pathlib import Path

# numba, OpenMP/BLAS (numpy, torch) each start a thread pool sized to the machine; in a server
# or a worker that runs several jobs at once, one thread each (or sessions freeze each other)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def limit_threads() -> None:
    """One thread per numerical library unless the environment says otherwise: call before the
    heavy imports (numpy, numba, torch read these once)."""
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")


# the packages a result of the lab depends on: recorded with every stored model, shipped checkpoint
# and sweep row, so that each says what produced it
PACKAGES = ("numpy", "scipy", "numba", "torch", "dysts", "pysindy", "scikit-learn", "optuna")


def versions() -> dict[str, str]:
    """Python's version and those of ``PACKAGES`` installed here."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


@contextlib.contextmanager
def written_aside(path: Path):
    """A scratch path beside ``path`` (hidden, ``.<name>.<pid>.<random>.tmp``) to write to, renamed
    into place when the block ends and removed if it raises: a reader — another process, a sweep
    resumed after a kill — sees the whole file or none of it."""
    path = Path(path)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield scratch
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
