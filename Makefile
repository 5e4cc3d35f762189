# tanping: two commands on a fresh Debian machine: `make build`, then `make test`.
PY      := .venv/bin/python
VENV_OK := .venv/.installed

.PHONY: build site test lint typecheck unit bench clean system-deps

build: $(VENV_OK) ## site + one PDF per report
	$(PY) -m tanping build

site: build

$(VENV_OK): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

system-deps:
	bash scripts/system-deps.sh

lint: $(VENV_OK)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: $(VENV_OK)
	.venv/bin/mypy calc units

unit: $(VENV_OK)
	.venv/bin/pytest -q

test: lint typecheck unit

bench: $(VENV_OK)
	$(PY) -m tests.bench.ledger_bench

clean:
	rm -rf site build .pytest_cache .mypy_cache .ruff_cache
