# `make run` starts the demo gateway; `make test` runs the test suite.
# Both create the virtualenv in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench coverage-doc clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# Truto's SDK declares Python >= 3.12 but runs on 3.11 (research/clients-and-jsonata.md §1.1).
	$(BIN)/pip install -q --ignore-requires-python 'truto-python-sdk>=0.1.6,<0.2'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/unigate demo

test: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run.py
	$(BIN)/python bench/jsonata_engines.py

coverage-doc: $(STAMP)
	$(BIN)/unigate coverage > docs/coverage.md

clean:
	rm -rf $(VENV)
