# The two commands: `make run` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG := $(if $(wildcard config.toml),config.toml,config.example.toml)

.PHONY: run test lint bench soak clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pmbot run --config $(CONFIG)

# House rules as tools: lint and format (ruff), the layering contracts (import-linter),
# strict types on handlers/ and storage/ (mypy, configured in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

test: lint
	bash scripts/ensure-postgres.sh
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench
	$(PY) -m bench.scale
	$(PY) -m bench.startup
	$(PY) -m bench.delivery
	$(PY) -m bench.acks

# Not in `make test`: 20,000 mixed commands over HTTP with a faulty fake Slack (RELIABILITY.md).
soak: $(STAMP)
	$(PY) -m soak.run

clean:
	rm -rf $(VENV) build *.egg-info
