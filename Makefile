# Every target bootstraps .venv from requirements.txt when it is missing or older than it.
PY        := .venv/bin/python
DATASET   ?= spotify
SCALE     ?= small
SEEDS     ?= 3
DATA_PATH ?=
OUT       ?= results
EXTRA     ?=
RUN = $(PY) -m experiments.$(1) --dataset=$(DATASET) --scale=$(SCALE) --seeds=$(SEEDS) --data_path="$(DATA_PATH)" --output_dir=$(OUT) $(EXTRA)

.PHONY: venv test test-slow table1 table2 table6 table7 data_stats all benchmarks clean

venv: .venv/.installed
.venv/.installed: requirements.txt setup.py
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

test: venv
	$(PY) -m pytest -q -m "not slow" --durations=15 --doctest-modules tests ms_bridge baselines

test-slow: venv
	$(PY) -m pytest -q -m slow --durations=15

table1: venv
	$(PY) -m experiments.table1 --output_dir=$(OUT) $(EXTRA)

table2: venv
	$(call RUN,table2)

table6: venv
	$(call RUN,table6)

table7: venv
	$(call RUN,table7)

data_stats: venv
	$(call RUN,data_stats)

all: table1 table2 table6 table7 data_stats

benchmarks: venv
	for b in benchmarks/[!_]*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf results .pytest_cache
