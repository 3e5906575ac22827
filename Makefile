# Potbank: `make demo` and `make test` do all of their own set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of PyTorch; installed first and on its own so pip never picks the CUDA wheel.
TORCH := torch==2.13.0

.PHONY: demo test lint format bench web-audit clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# `make demo PORT=5050` serves on another port; HOST=0.0.0.0 serves the local network.
PORT ?= 5000
HOST ?= 127.0.0.1

demo: $(STAMP)
	$(BIN)/potbank demo --host $(HOST) --port $(PORT)

# TEST_WORKERS=1 runs the suite in one process; --dist loadfile keeps each file's tests (and
# their module-scoped servers) in one worker.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# bench/bench_load.py drives its load with wrk (Debian's package).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@for script in bench/bench_*.py bench/eval_*.py; do \
		[ -e "$$script" ] || continue; \
		echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

# Lighthouse, axe-core and the Nu HTML checker over the demo (needs chromium, Java and npm).
web-audit: $(STAMP)
	cd bench/web-audit && npm ci --no-audit --no-fund
	$(BIN)/python bench/bench_lighthouse.py

clean-venv:
	rm -rf $(VENV)
