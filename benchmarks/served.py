"""``panel serve app.py`` on a free port, as the README runs it, for the browser benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def lab_server(env: dict | None = None):
    """Yields the app's URL once the server is up; stops the server on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port), "--num-threads", "4",
         "--setup", "dashboards/warm.py"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:
            if "Bokeh app running" in line:
                break
        yield f"http://127.0.0.1:{port}/app"
    finally:
        server.terminate()
        server.wait()
