# SCV platform: `make run` (simulate if empty + build everything), `make test`, `make ui`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV_BIN := $(CURDIR)/.venv/bin

export SCV_LANDING_DIR ?= $(CURDIR)/data/landing
export SCV_WAREHOUSE_PATH ?= $(CURDIR)/data/warehouse.duckdb
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
FIRST_RUN_CUSTOMERS ?= 2000
BENCH_CUSTOMERS ?= 50000

.PHONY: help setup run test test-snowflake ui bench docs lint format clean

help:
	@echo "make run    install, simulate a landing zone if $$SCV_LANDING_DIR is empty, build every asset"
	@echo "make test   install and run the test suite"
	@echo "make test-snowflake   only the tests against the Snowflake emulator (fakesnow)"
	@echo "make ui     start the Dagster UI on 127.0.0.1:3000 over the same warehouse and instance"
	@echo "make docs   generate the dbt docs (data dictionary and lineage) over the warehouse"
	@echo "make bench  simulate $(BENCH_CUSTOMERS) customers and load them, timed (wall, peak memory)"

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/python -m pip install --quiet uv==$(UV_VERSION)

# bytecode compiled once here: every process (scv, dbt, dagster) then skips compiling
# thousands of modules on import (about 4 s each; more where PYTHONDONTWRITEBYTECODE is set)
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

DBT_MANIFEST := scv_dbt/target/manifest.json
DBT_SOURCES := $(shell find scv_dbt/models scv_dbt/macros scv_dbt/seeds scv_dbt/snapshots scv_dbt/tests -type f 2>/dev/null) scv_dbt/dbt_project.yml scv_dbt/profiles.yml

# dbt's manifest must exist before Dagster loads the code; re-parsed when a dbt file changes
$(DBT_MANIFEST): .venv/.synced $(DBT_SOURCES)
	cd scv_dbt && $(VENV_BIN)/dbt parse --quiet --profiles-dir . --target local
	@touch $@

setup: .venv/.synced $(DBT_MANIFEST)
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: setup
	@if [ -z "$$(ls -A $(SCV_LANDING_DIR) 2>/dev/null)" ]; then \
		echo "Landing zone $(SCV_LANDING_DIR) is empty: simulating $(FIRST_RUN_CUSTOMERS) customers, 18 months"; \
		$(VENV_BIN)/scv simulate --out $(SCV_LANDING_DIR) --customers $(FIRST_RUN_CUSTOMERS); \
	fi
	$(VENV_BIN)/scv run

test: setup
	$(VENV_BIN)/pytest -n 2

# the production path against a fakesnow server on loopback (also part of `make test`)
test-snowflake: setup
	$(VENV_BIN)/pytest -n 2 -m snowflake

ui: setup
	$(VENV_BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup
	$(VENV_BIN)/python -m scv_platform.bench --customers $(BENCH_CUSTOMERS)

docs: setup
	cd scv_dbt && $(VENV_BIN)/dbt docs generate --quiet --profiles-dir . --target local
	@echo "dbt docs: scv_dbt/target/index.html (serve: cd scv_dbt && $(VENV_BIN)/dbt docs serve --profiles-dir .)"

lint: setup
	$(VENV_BIN)/ruff check . && $(VENV_BIN)/ruff format --check .

format: setup
	$(VENV_BIN)/ruff check --fix . && $(VENV_BIN)/ruff format .

clean:
	rm -rf data/warehouse.duckdb data/dagster_home scv_dbt/target
