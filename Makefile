# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
OUT    ?= out
# extra `staffcast plan` options, e.g. PLAN_FLAGS="--time-limit 30"
PLAN_FLAGS ?=
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run plan test bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The main job on the sample company: the refresh job publishes a forecast run, the plan
# uses it (requirements, schedule, exports into out/sample/) and is published in the same
# store, then the app serves it all, opening on that published plan.
# `make plan` is the same without serving the app.
plan: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/staffcast refresh --data data/sample --store $(OUT)/store.sqlite --horizon-days 21
	$(BIN)/staffcast plan --data data/sample --out $(OUT)/sample --store $(OUT)/store.sqlite \
		--publish $(PLAN_FLAGS)

run: plan
	@echo "staffcast app on the sample company: http://localhost:$(PORT)  (Ctrl-C stops it)"
	STAFFCAST_STORE=$(OUT)/store.sqlite $(BIN)/python -m optimize.ui.serve --server.headless true \
		--server.port $(PORT) --client.toolbarMode viewer --browser.gatherUsageStats false

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	# pyworkforce is the comparison baseline only; --no-deps keeps our pinned stack intact.
	$(BIN)/python -m pip install --quiet --no-deps pyworkforce==0.5.1 joblib cloudpickle
	$(BIN)/python bench/run_all.py

sample: $(STAMP)
	$(BIN)/staffcast sample --out data/sample --seed 7 --calibration data/sample_calibration.toml

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
