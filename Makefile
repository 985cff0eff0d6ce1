# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INSTANCE ?= world
# Both cores: the suite runs in two worker processes (pytest-xdist); PYTEST_ARGS= runs it in one.
PYTEST_ARGS ?= -n auto --dist worksteal

.PHONY: install run test bench lint clean

install: $(STAMP)

# Re-installs only when pyproject.toml changed (the package itself is installed editable).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/reeopt solve $(INSTANCE)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/scaling.py

lint: install
	$(BIN)/ruff check optimizer tests benchmarks
	$(BIN)/ruff format --check optimizer tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
