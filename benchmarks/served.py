"""``chaoslab serve`` on a free port, as the README runs it, for the browser benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Served:
    url: str  # the app's page
    pid: int  # the server process (its Dask workers are its children)
    log: Path  # everything the server printed: read it for tracebacks


@contextlib.contextmanager
def lab_server(env: dict | None = None, timeout: float = 300.0):
    """Yields a ``Served`` once the server is up; stops the server on exit.

    The log goes to a file, never to a pipe nobody reads: a full pipe would block the server.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = Path(tempfile.mkstemp(prefix="chaoslab-serve-", suffix=".log")[1])
    with open(log, "w") as out:
        server = subprocess.Popen([str(Path(sys.executable).with_name("chaoslab")), "serve", "--port", str(port)],
                                  cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + timeout
        while "Bokeh app running" not in log.read_text():
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the lab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Served(f"http://127.0.0.1:{port}/app", server.pid, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
