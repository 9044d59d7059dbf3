# The two set-up commands of the README. Both create .venv on first use and reinstall when pyproject.toml
# changes; `make test` adds the test extras to the same environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench release clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

## run: build the graph from studies/ into dist/, validate it (SHACL), check its consistency (HermiT),
##      and print the answers to the research questions
run: $(VENV)/.installed
	$(BIN)/pvkg build --studies studies --out dist
	$(BIN)/pvkg answer --studies studies --out dist

## test: the whole test suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

## bench: the benchmarks at 10k, 100k and 1M triples; writes bench/results.md and bench/results.json
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

## release: build, validate and check the graph, then write the release into dist/: every export format,
##          nanopublications, VoID/DCAT, ontology docs, evidence report, and this version's CHANGELOG entry
release: $(VENV)/.installed
	$(BIN)/pvkg release --studies studies --out dist

clean:
	rm -rf $(VENV) dist build .pytest_cache
