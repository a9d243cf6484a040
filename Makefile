VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two pytest-xdist workers: the suite mostly waits on sockets and clocks, so two halve its time on
# two cores (each worker gets its own PostgreSQL database, tests/conftest.py).
TEST_WORKERS ?= 2

.PHONY: demo test lint format serve bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/leadbot demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

serve: $(STAMP)
	$(VENV)/bin/leadbot serve

bench: $(STAMP)
	$(PY) bench/intake_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
