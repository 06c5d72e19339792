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
def lab_server(env: dict | None = None, timeout: float = 300.0, options: tuple[str, ...] = (), processes: int = 1):
    """Yields a ``Served`` once the server is up (each of its ``processes`` warm); stops the server on exit.

    The log goes to a file, never to a pipe nobody reads: a full pipe would block the server.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = Path(tempfile.mkstemp(prefix="chaoslab-serve-", suffix=".log")[1])
    with open(log, "w") as out:
        server = subprocess.Popen([str(Path(sys.executable).with_name("chaoslab")), "serve", "--port", str(port), *options],
                                  cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + timeout
        while ("Bokeh app running" not in log.read_text()
               or processes > 1 and log.read_text().count("Chaos Lab: Dask scheduler") < processes):
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


@contextlib.contextmanager
def department(log: Path):
    """The lab's cluster as a department starts it (``dask scheduler``, ``dask worker``), shaped as
    ``jobs.ClusterPlan.for_machine`` shapes the local one: an interactive worker at nice 4, training
    workers of one thread at nice 10, each declaring its resource. Yields ``(address, pids)``."""
    from distributed import Client

    from core import THREAD_VARIABLES
    from core.runtime.jobs import INTERACTIVE, TRAIN, ClusterPlan
    from tests.browser.helpers import stop_cluster

    plan = ClusterPlan.for_machine()
    dask = str(Path(sys.executable).with_name("dask"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1"), "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    out = open(log, "w")
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)]
    workers = [(plan.interactive_nice, plan.interactive_threads, INTERACTIVE)]
    workers += [(plan.train_nice, 1, TRAIN)] * plan.train_workers
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            for nice, threads, resource in workers:
                processes.append(subprocess.Popen(
                    ["nice", "-n", str(nice), dask, "worker", address, "--host", "127.0.0.1", "--nthreads", str(threads),
                     "--resources", f"{resource}={threads}", "--no-dashboard"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
            client.wait_for_workers(len(workers), timeout=120)
        yield address, {p.pid for p in processes}
    finally:
        stop_cluster(processes[1:], processes[:1])
        out.close()
