"""Browser-test fixtures: a real ``panel serve`` on a free port and Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser.helpers import server_errors

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHAOSLAB = str(Path(sys.executable).with_name("chaoslab"))  # the command of the lab's package (pyproject.toml)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]

LOCAL_HOSTS = {"127.0.0.1", "localhost", None}  # None: data: and blob: addresses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_lab(options=(), env=None):
    """The lab served as the README serves it, ``chaoslab serve`` (with ``options``); yields (url,
    path of its log). On exit the server is stopped as a lab stops it, and its log must hold no
    traceback: not during the tests, not at shutdown."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"panel-serve-{port}.log"
    log = open(log_path, "w")
    store = ARTIFACTS / f"model-store-{port}"  # a fresh store: every training really trains
    shutil.rmtree(store, ignore_errors=True)
    sweeps = ARTIFACTS / f"sweeps-{port}"  # the page's own sweeps: none, but the shipped table
    env = {**os.environ, "CHAOSLAB_STORE": str(store), "CHAOSLAB_SWEEPS": str(sweeps), **(env or {})}
    proc = subprocess.Popen([CHAOSLAB, "serve", "--port", str(port), *options],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 240
    while time.time() < deadline:
        if "Bokeh app running" in log_path.read_text():
            break
        if proc.poll() is not None:
            raise RuntimeError(f"panel serve exited:\n{log_path.read_text()}")
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"panel serve did not start:\n{log_path.read_text()}")
    try:
        yield f"http://127.0.0.1:{port}/app", log_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    errors = server_errors(log_path)
    assert not errors, "the server's log holds tracebacks (at shutdown or after the last test):\n" + "\n\n".join(errors)


PUBLISHED_FIXTURE = ROOT / "tests" / "fixtures" / "gilpin2023"  # the published benchmark's format, invented numbers


@pytest.fixture(scope="session")
def server():
    """The lab on its own local cluster, shared by the browser tests; yields (url, path of its log).
    Its published benchmark is the tests' fixture, so the page shows the same whatever is beside
    the checkout."""
    with served_lab(env={"CHAOSLAB_GILPIN2023": str(PUBLISHED_FIXTURE)}) as served:
        yield served


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; console errors are collected in ``page.errors``; a screenshot is saved."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("requestfailed", lambda r: page.errors.append(f"request failed: {r.url} ({r.failure})"))
    # the lab works offline: a stylesheet, font or script from anywhere but its own server is a defect
    page.on("request", lambda r: None if urlparse(r.url).hostname in LOCAL_HOSTS
            else page.errors.append(f"request off the lab's server: {r.url}"))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def two_pages(browser):
    """Two visitors at once: pages in separate browser contexts, so separate server sessions."""
    contexts = [browser.new_context(viewport={"width": 1500, "height": 1100}) for _ in range(2)]
    yield tuple(context.new_page() for context in contexts)
    for context in contexts:
        context.close()
