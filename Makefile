# syncline — developer and user entry points. Every target creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo

.PHONY: venv test test-deep check bench demo demo-stop clean

venv: $(STAMP)

# Reinstall only when the package metadata changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-deep: $(STAMP)
	SYNCLINE_HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q --timeout=0 $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

BENCH_STAMP := $(VENV)/.bench-installed

# The peers the benchmarks compare against (recordlinkage, splink) are not runtime dependencies.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/python -m syncline.demo.run --dir $(DEMO_DIR)

demo-stop: $(STAMP)
	-$(BIN)/syncline --config $(DEMO_DIR)/syncline.yaml demo erp stop
	-$(BIN)/syncline --config $(DEMO_DIR)/syncline.yaml demo crm stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
