# Two commands on a fresh machine: `make demo` and `make test` (both set everything up first).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-slow bench clean

setup:
	bash scripts/setup.sh

demo: setup
	$(BIN)/inredit demo --out out/demo

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python benchmarks/fit.py

clean:
	rm -rf out .pytest_cache
