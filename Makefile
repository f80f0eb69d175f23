# The two commands: `make run` starts everything, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The browser tests drive Debian's Chromium (no browser is ever downloaded by a test tool).
CHROMIUM ?= /usr/bin/chromium
# `make test-clock` runs the date-sensitive tests under Debian's libfaketime.
FAKETIME ?= /usr/bin/faketime
# The treatment-reservation confirmation (a PDF) is set in Debian's Nanum fonts, Korean beside English.
CJK_FONT ?= /usr/share/fonts/truetype/nanum/NanumGothic.ttf
# The GraphQL tools (GraphQL Inspector for the schema diff, graphql-http's audit), pinned by tools/graphql/package-lock.json.
GRAPHQL_TOOLS := tools/graphql/node_modules/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)

.PHONY: run test test-clock check bench install clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,test]'
	touch $(STAMP)

install: $(STAMP) $(GRAPHQL_TOOLS) $(CJK_FONT)

# Node and npm are Debian's packages; the tools themselves come from the committed lock file.
$(GRAPHQL_TOOLS): tools/graphql/package.json tools/graphql/package-lock.json
	command -v npm >/dev/null || $(SUDO) apt-get install -y -q nodejs npm || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q nodejs npm)
	cd tools/graphql && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

$(FAKETIME):
	$(SUDO) apt-get install -y -q faketime || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q faketime)

$(CJK_FONT):
	$(SUDO) apt-get install -y -q fonts-nanum || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q fonts-nanum)

run: $(STAMP) $(CJK_FONT)
	$(BIN)/python -m scripts.devstack

# Lint, format, types, import rules and the schema diff against the released schema first (seconds), then every test.
check: $(STAMP) $(GRAPHQL_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m scripts.check_dates tests bench scripts
	$(BIN)/python -m scripts.schema_diff >/dev/null

test: check $(CHROMIUM) $(CJK_FONT)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest $(PYTEST_ARGS)

# The date-sensitive tests at the edges of the Seoul day, every process under one fake clock
# (docs/testing.md); CLOCK_ARGS="--at after-seoul-midnight" runs one instant.
test-clock: $(STAMP) $(FAKETIME)
	$(BIN)/python -m scripts.test_clock $(CLOCK_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache tools/graphql/node_modules
