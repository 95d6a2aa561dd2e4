# Two commands matter: `make run` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test ingest lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the project's dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/advisor ingest

run: install
	$(BIN)/advisor ingest
	$(BIN)/advisor serve --host $(HOST) --port $(PORT)

test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check advisor advisor_tools ui evals tests
	# Two workers, one test file each at a time (module fixtures stay whole): most of the suite
	# waits on servers, subprocesses and browsers, so the second core is mostly free.
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check advisor advisor_tools ui evals tests

clean:
	rm -rf data .pytest_cache
