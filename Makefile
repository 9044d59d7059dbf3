# The two set-up commands of the README (`make run`, `make test`), the benchmarks, the release, and `make lock`.
#
# Every environment here is installed from uv.lock: exactly the versions the suite last passed on, direct and
# transitive, each file checked against its SHA-256 in the lock. uv itself comes from the registry in one
# step, pinned with hashes in requirements-uv.txt, into .tools/. `uv sync --locked` stops, and installs
# nothing, when pyproject.toml and uv.lock disagree: run `make lock` then. pyproject.toml keeps ranges, so
# that `pip install pvkg` into someone's own environment pins nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv

# uv uses $(PYTHON) and never downloads an interpreter; .venv is the project environment.
export UV_PYTHON_DOWNLOADS     := never
export UV_PROJECT_ENVIRONMENT  := $(VENV)
export UV_PYTHON               := $(PYTHON)
SYNC := $(UV) sync --locked --quiet

.PHONY: run test bench release lock clean

$(UV): requirements-uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-uv.txt
	touch $@

# Each target syncs .venv to the lock first (a tenth of a second when nothing changed). `run` adds what it
# needs and removes nothing (--inexact), so that it keeps the test extras; the others make .venv exactly the
# lock with the test extras.
.PHONY: venv venv-test
venv: | $(UV)
	$(SYNC) --inexact
venv-test: | $(UV)
	$(SYNC) --extra test

## run: build the graph from studies/ into dist/, validate it (SHACL), check its consistency (HermiT),
##      and print the answers to the research questions
run: venv
	$(BIN)/pvkg build --studies studies --out dist
	$(BIN)/pvkg answer --studies studies --out dist

## test: the whole test suite, in exactly the locked environment
test: venv-test
	$(BIN)/python -m pytest

## bench: the benchmarks at 10k, 100k and 1M triples; writes bench/results.md and bench/results.json
bench: venv-test
	$(BIN)/python -m bench

## release: build, validate and check the graph, then write the release into dist/: every export format,
##          nanopublications, VoID/DCAT, ontology docs, evidence report, and this version's CHANGELOG entry
release: venv
	$(BIN)/pvkg release --studies studies --out dist

## lock: refresh uv.lock to the newest versions pyproject.toml's ranges allow (then run `make test`)
lock: | $(UV)
	$(UV) lock --upgrade
	$(PYTHON) scripts/pin-build-backend
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) dist build .pytest_cache
