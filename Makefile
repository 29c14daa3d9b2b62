# The two commands of the README, and the checks CI runs. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-localstack bench lint typecheck unit integration clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the chat on the embedded emulator: http://127.0.0.1:8080/
serve: $(STAMP)
	$(BIN)/chatserver serve

## Lint, type-check and run the whole test suite.
test: lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## The integration suite on real LocalStack 4.14.0, run without Docker by localstack/run-local.sh
## (the first run installs it into ~/.cache/chatserver/localstack; the suite starts and stops it).
test-localstack: $(STAMP)
	localstack/run-local.sh install
	CHAT_TEST_BACKEND=localstack $(BIN)/pytest tests/integration tests/examples

## Benchmarks against a websockets baseline (about 10 minutes): benchmarks/results/latest.{json,png}
bench: $(STAMP)
	$(BIN)/chatserver bench

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
