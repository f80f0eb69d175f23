# The two commands: `make run` starts everything, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The browser tests drive Debian's Chromium (no browser is ever downloaded by a test tool).
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)

.PHONY: run test check bench install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,test]'
	touch $(STAMP)

install: $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

run: $(STAMP)
	$(BIN)/python -m scripts.devstack

# Lint, format, types and import rules first (seconds), then every test.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
