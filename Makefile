# The two commands of the README: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

LOCK   := requirements.lock

.PHONY: run test lint locked lock fuzz schema tools clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Parole needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Everything comes from the lock, hashes checked, nothing re-resolved; then the project
# itself, built by the locked setuptools.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	@$(PYTHON) ops/lock.py check
	$(BIN)/pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $@

# The JavaScript tools the tests use (axe-core), exactly as package-lock.json has them.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

## Fail in one line when pyproject.toml's dependencies changed since the lock was written.
locked:
	@$(PYTHON) ops/lock.py check

## Rewrite the lock after a deliberate change or upgrade of dependencies (README: Dependencies).
lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra tools --generate-hashes \
		--python-version 3.11 --python-platform linux --custom-compile-command 'make lock' \
		--quiet $(UPGRADE) -o $(LOCK)
	$(PYTHON) ops/lock.py stamp

## Serve Parole with the demo Cité on http://127.0.0.1:$(PORT) (memory backend).
run: $(VENV)/.installed
	$(BIN)/parole serve --demo --host 127.0.0.1 --port $(PORT)

## Lint, type-check and run every test (unit, contract, integration, browser, JS).
## Two workers, a test file each at a time (its module fixtures stay in one process): most
## tests wait on servers, timers and a browser, so two share the cores
## (README: "Tests that give one answer").
test: locked $(VENV)/.installed tools node_modules/.installed lint
	$(BIN)/pytest -n 2 --dist loadfile --cov=server/core --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=100 -p no:cacheprovider
	node --test tests/js/

## Property tests with fresh random examples, many more of them (CI draws fixed ones).
fuzz: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/unit -p no:cacheprovider -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmark: latency, throughput, memory, recovery vs a bare relay (~20 min); see ops/benchmark.md.
bench: $(VENV)/.installed tools
	$(BIN)/python -m bench

## Install redis-server, chromium and node when missing (apt-get, as root), else say what to install.
tools:
	@bash ops/install-test-tools.sh

## Rewrite protocol/schema.json from protocol/messages.py.
schema: $(VENV)/.installed
	$(BIN)/python -m protocol.schema

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage *.egg-info
