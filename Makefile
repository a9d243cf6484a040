VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two pytest-xdist workers: the suite mostly waits on sockets and clocks, so two halve its time on
# two cores (each worker gets its own PostgreSQL database, tests/conftest.py).
TEST_WORKERS ?= 2

.PHONY: demo test lint format serve bench pictures clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/leadbot demo
	@echo "leadbot is installed in $(VENV): 'source $(VENV)/bin/activate' puts the leadbot command on your PATH (or run $(VENV)/bin/leadbot)"

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

# The README's pictures of what reps and managers see (docs/images/*.png), drawn from the blocks
# the demo really sends, in headless Chromium (apt-get install chromium chromium-driver).
pictures: $(STAMP)
	$(PY) -m bot.tools.pictures docs/images

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
