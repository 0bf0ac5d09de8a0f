# kefu: `make run` starts kefu on its embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/kefu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/kefu

run: $(BIN)/kefu
	$(BIN)/kefu serve

test: $(BIN)/kefu
	bash scripts/test

lint: $(BIN)/kefu
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
