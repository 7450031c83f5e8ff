# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/staffcast plan --data data/sample --out out/sample

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	# pyworkforce is the comparison baseline only; --no-deps keeps our pinned stack intact.
	$(BIN)/python -m pip install --quiet --no-deps pyworkforce==0.5.1 joblib cloudpickle
	$(BIN)/python bench/run_all.py

sample: $(STAMP)
	$(BIN)/staffcast sample --out data/sample --seed 7

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
