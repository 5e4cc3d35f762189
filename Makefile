# tanping: two commands on a fresh Debian machine: `make build`, then `make test`.
#   make build      Debian packages (scripts/system-deps.sh), .venv, the site and one PDF per report
#   make test       ruff check, ruff format --check, mypy -p tanping (strict), pytest (browser tests included)
#   make site       the site only (no PDFs), quicker while writing
#   make serve      tanping serve: the live preview on http://127.0.0.1:8000/ (no PDFs)
#   make bench      build ratios measured in one run -> bench/README.md (tests/bench/)
#   make properdocs a strict smoke build under ProperDocs, the maintained fork of MkDocs, in its
#                   own venv (.venv-properdocs); part of .ci/run
PY      := .venv/bin/python
VENV_OK := .venv/.installed

.PHONY: serve build site test lint typecheck unit bench clean system-deps properdocs

build: $(VENV_OK) ## site + one PDF per report
	$(PY) -m tanping build

site: $(VENV_OK)
	$(PY) -m tanping build --no-pdf

serve: $(VENV_OK)
	$(PY) -m tanping serve

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
	.venv/bin/mypy -p tanping

# pytest exits 5 when it collects no tests: that is a failure here (tests not committed?).
unit: $(VENV_OK)
	@.venv/bin/pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests (exit 5); are tests/ committed?" >&2; fi; \
	exit $$rc

test: lint typecheck unit

properdocs: $(VENV_OK)
	bash scripts/properdocs-smoke.sh

bench: $(VENV_OK) ## ratios measured in one run, written to bench/README.md with the machine
	$(PY) -m tests.bench.build_bench

clean:
	rm -rf site build .pytest_cache .mypy_cache .ruff_cache .venv-properdocs
