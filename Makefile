# The two commands of the README: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test check lint schema tools clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Parole needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.run

## Serve Parole with the demo Cité on http://127.0.0.1:$(PORT) (memory backend).
run: $(VENV)/.run
	$(BIN)/parole serve --demo --host 127.0.0.1 --port $(PORT)

## Lint, type-check and run every test (unit, contract, integration, browser, JS).
test: $(VENV)/.test tools lint
	$(BIN)/pytest --cov=server/core --cov-branch --cov-report=term-missing:skip-covered \
		--cov-fail-under=100 -p no:cacheprovider
	node --test tests/js/

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmark: latency, throughput, memory, recovery vs a bare relay (~20 min); see ops/benchmark.md.
bench: $(VENV)/.test tools
	$(BIN)/python -m bench

## Install redis-server, chromium and node when missing (apt-get, as root), else say what to install.
tools:
	@bash ops/install-test-tools.sh

## Rewrite protocol/schema.json from protocol/messages.py.
schema: $(VENV)/.run
	$(BIN)/python -m protocol.schema

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage *.egg-info
