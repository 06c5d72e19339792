# Two commands do everything on a fresh machine:
#   make app    serve the lab on http://localhost:5006/app (SCHEDULER=tcp://host:8786 for a Dask cluster,
#               PASSWORD=… for a class server behind a password)
#   make test   run the whole test suite (unit + browser)
# Each sets up what it needs first: a virtual environment with the pinned packages, and
# Debian's chromium for the browser tests.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 5006
ARGS ?=
SCHEDULER ?= $(CHAOSLAB_SCHEDULER)
PASSWORD ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test bench chromium clean

# the pinned packages, and the lab itself as an editable package: the `chaoslab` command, and
# `core` and `dashboards` importable from anywhere (notebooks, Dask workers) without PYTHONPATH
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium >/dev/null; }

# PASSWORD: Panel's basic auth (any user name, this password) on the lab's offline login page
# (dashboards/cli.py); ARGS: more options for panel serve
app: $(STAMP)
	$(BIN)/chaoslab serve --port $(PORT) $(if $(PASSWORD),--password '$(PASSWORD)') \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(ARGS)

# core tests on both cores; browser tests in one process: they share one server and one browser
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 tests/core tests/dashboards
	$(BIN)/python -m pytest tests/browser

bench: $(STAMP) chromium
	$(BIN)/python -m benchmarks.integrate
	$(BIN)/python -W ignore -m benchmarks.lyapunov
	$(BIN)/python -m benchmarks.lyapunov_delay
	$(BIN)/python -m benchmarks.explorer

clean:
	rm -rf $(VENV) test-artifacts
