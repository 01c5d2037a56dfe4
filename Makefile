# `make run` starts the demo gateway (`make run PORT=8080` on another port); `make test` runs the test suite.
# Both create the virtualenv in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench coverage-doc clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# Truto's SDK declares Python >= 3.12 (https://pypi.org/project/truto-python-sdk/) but runs on 3.11 (tests/test_cli.py drives it).
	$(BIN)/pip install -q --ignore-requires-python 'truto-python-sdk>=0.1.6,<0.2'
	touch $(STAMP)

PORT ?=
run: $(STAMP)
	$(BIN)/unigate demo $(if $(PORT),--port $(PORT))

# First the checks that need no gateway: the import layers (pyproject.toml [tool.importlinter]), ruff and
# mypy; then the suite. With UNIGATE_TEST_POSTGRES_URL set (as .ci/run sets it) the suite runs twice: the
# gateways on SQLite, then on PostgreSQL (docs/testing.md). Each run is spread over TEST_WORKERS processes
# (pytest-xdist), each with its own sandbox and gateway; docs/testing.md "Running in parallel" has the measurements.
# The PostgreSQL run leaves out the suites that exercise the mappings and emulators, not the store: there a
# gateway reads one account and never writes, the same on either database (docs/testing.md).
TEST_WORKERS ?= 2
MAPPING_ONLY_SUITES := tests/crms tests/sandbox tests/browser tests/test_fault_matrix.py tests/test_schemathesis.py \
	tests/test_expression_compiler.py tests/test_expressions.py tests/test_activity_links.py tests/test_deal_stages.py \
	tests/test_list_filters.py tests/test_list_query.py tests/test_custom_fields.py tests/test_formats.py \
	tests/test_meta.py tests/test_proxy.py tests/test_integration_format.py tests/test_docs.py tests/test_docs_pages.py \
	tests/test_unified_methods.py tests/test_merge.py tests/test_retry.py tests/test_transport.py tests/test_bench_load.py
test: $(STAMP) check
	$(BIN)/pytest -q -n $(TEST_WORKERS)
	@if [ -n "$$UNIGATE_TEST_POSTGRES_URL" ]; then \
		echo "== the store-facing suites again, with the test gateways on PostgreSQL =="; \
		UNIGATE_TEST_DATABASE=postgresql $(BIN)/pytest -q -n $(TEST_WORKERS) $(foreach suite,$(MAPPING_ONLY_SUITES),--ignore=$(suite)); \
	fi

check: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run.py --workers 1 --repeat 3
	$(BIN)/python bench/run.py --workers 2 --repeat 3 --pages hubspot,pipedrive
	$(BIN)/python bench/jsonata_engines.py

coverage-doc: $(STAMP)
	$(BIN)/unigate coverage > docs/coverage.md

clean:
	rm -rf $(VENV)
