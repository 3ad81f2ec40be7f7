# Two entry points: `make demo` and `make test`. Both work on a fresh Debian machine as root.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEMO    := demo
DEMO_PERSONS ?= 20000

.PHONY: demo test install system-deps lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# PostgreSQL and Chromium come from Debian, never from a tool's own download.
system-deps:
	@./scripts/system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: system-deps install lint
	$(BIN)/pytest -q -n 2 --dist loadgroup

demo: install
	$(BIN)/siks demo --dir $(DEMO) --penduduk $(DEMO_PERSONS)

bench: install
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) $(DEMO) test-artifacts .pytest_cache .ruff_cache
