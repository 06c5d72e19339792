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

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium >/dev/null; }

# PASSWORD: Panel's basic auth (any user name, this password), our own offline login page, and a
# cookie secret new at each start (a restart signs everyone out)
app: $(STAMP)
	PYTHONPATH=. $(BIN)/panel serve app.py --port $(PORT) --setup dashboards/warm.py \
		$(if $(PASSWORD),--basic-auth '$(PASSWORD)' --basic-login-template assets/login.html \
			--cookie-secret $$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')) \
		$(ARGS) $(if $(SCHEDULER),--args --scheduler $(SCHEDULER))

# core tests on both cores; browser tests in one process: they share one server and one browser
test: $(STAMP) chromium
	PYTHONPATH=. $(BIN)/python -m pytest -n 2 tests/core tests/dashboards
	PYTHONPATH=. $(BIN)/python -m pytest tests/browser

bench: $(STAMP) chromium
	PYTHONPATH=. $(BIN)/python benchmarks/integrate.py
	PYTHONPATH=. $(BIN)/python -W ignore benchmarks/lyapunov.py
	PYTHONPATH=. $(BIN)/python benchmarks/explorer.py

clean:
	rm -rf $(VENV) test-artifacts
