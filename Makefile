# Two entry points for a fresh machine: `make demo` and `make test`; then `make serve`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= newswatch-demo
SERVE_ARGS ?=

.PHONY: demo serve test lint bench clean install

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/newswatch demo --folder $(DEMO_DIR)

# Datasette over the demo's store (runs the demo first if there is none yet);
# e.g. make serve SERVE_ARGS="--port 8002"
serve: $(STAMP)
	@test -f $(DEMO_DIR)/newswatch.db || $(BIN)/newswatch demo --folder $(DEMO_DIR)
	$(BIN)/newswatch --config $(DEMO_DIR)/newswatch.toml serve $(SERVE_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy crawler extract store newswatch fixturesite scheduler.py

bench: $(STAMP)
	$(BIN)/python -m bench all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
