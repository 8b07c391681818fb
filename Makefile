# The two commands of the README. Each installs what it needs first, so they
# work on a fresh clone with only python3 (3.11+) on the PATH.
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: setup run test lint ruff bench clean

# EXTRAS: optional dependency groups, e.g. EXTRAS="--extra spark" (PySpark and
# dbt-spark for the Spark target; the test target installs it for the Spark test).
EXTRAS ?=
# Bytecode for every installed file up front (12k files, about a minute on two
# cores): `retail` then starts fast even where PYTHONDONTWRITEBYTECODE is set.
# The test target compiles lazily instead: only the modules the suite imports,
# written on first import (it unsets PYTHONDONTWRITEBYTECODE for pytest).
COMPILE ?= --compile-bytecode

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	$(UV) sync --frozen $(COMPILE) $(EXTRAS)

# Set up, then build the warehouse (demo data is generated when nothing is loaded).
run: setup
	$(UV) run retail build

# Set up, then run every check: lint, types, and the pytest suite (unit, dbt
# build integration, real data, the Evidence site, the Spark target). Three workers on two cores:
# builds wait on disk (warehouse and publication copies, MLflow) as much as on
# the CPU; a warehouse several tests read is built once, by the first worker to
# need it (a file lock), or its tests stay on one worker (xdist_group).
# mypy runs beside pytest, not before it: it is single-threaded (about a minute
# from a cold cache) and would leave a core idle; its report follows pytest's.
# --durations=25: the slowest tests, where the suite's 15-minute budget goes.
# OMP_NUM_THREADS=1: one OpenMP thread per worker (scikit-learn's k-means, XGBoost); three
# workers with two each spin-waited for the cores: the model unit tests took 21 s, not 15.
# The tests' scratch folders (warehouses, MLflow stores, the Evidence project's
# 600 MB of node_modules) go to a RAM disk when there is one: on disk, writing and
# deleting them stalled every worker for up to a minute at a time. Cleared at the
# start of the next run; PYTEST_BASETEMP= (empty) keeps pytest's default.
PYTEST_BASETEMP ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm/retail-retention-pytest)
test: COMPILE =
test: EXTRAS = --extra spark
test: setup ruff
	@mkdir -p test-artifacts; $(UV) run --no-sync mypy > test-artifacts/mypy.log 2>&1 & mypy=$$!; \
	PYTHONDONTWRITEBYTECODE= OMP_NUM_THREADS=1 $(UV) run --no-sync pytest -n 3 --dist loadgroup --durations=25 \
		$(if $(PYTEST_BASETEMP),--basetemp=$(PYTEST_BASETEMP)); tests=$$?; \
	wait $$mypy; types=$$?; echo "mypy:"; cat test-artifacts/mypy.log; \
	[ $$tests -eq 0 ] && [ $$types -eq 0 ]

lint: EXTRAS = --extra spark
lint: setup ruff
	$(UV) run mypy

ruff: setup
	$(UV) run --no-sync ruff check models_py tests bench dbt_project
	$(UV) run --no-sync ruff format --check models_py tests bench dbt_project

# Time the pipeline on N-times the real file (bench/run passes its arguments here).
bench: setup
	$(UV) run python bench/scale.py $(BENCH_ARGS)

clean:
	rm -rf target logs reports test-artifacts warehouse/*.duckdb warehouse/*.wal warehouse/demo warehouse/published
