# Every target installs what it needs from the project's own files: a .venv from the pinned
# requirements and the pinned CDK CLI with Node 22 from npm. Nothing is installed globally.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
STAGE ?= dev
PORT ?= 8000
BASE ?= HEAD
# pytest-xdist workers for `make test`: one per core by default (tests/conftest.py schedules them).
TEST_WORKERS ?= auto

# node_modules/.bin first, so the CDK CLI and jsii (under the Python CDK) both run on Node 22.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help setup synth diff test test-unit test-infra test-integration test-e2e lint format local demo smoke db db-stop bench bench-docs clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# setuptools' editable install of several package roots (".", "lambda_src") always warns that a
# folder of the working directory named like a package may shadow it: here those folders are the
# packages themselves, so that one informational box is silenced (every other warning still shows).
EDITABLE_NOTICE := ignore:Editable installation:UserWarning

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	PYTHONWARNINGS='$(EDITABLE_NOTICE)' $(VENV)/bin/pip install --quiet -r requirements-dev.txt -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed ## create .venv and install the pinned Python and Node toolchain

synth: setup ## synthesize the stack of STAGE (default dev) into cdk.out/
	cdk synth --quiet -c stage=$(STAGE)
	@$(PYTHON) -m stacks.assembly cdk.out

diff: setup ## what the working tree changes in each stage vs BASE (default HEAD); guards stateful resources
	@$(PYTHON) -m review --base '$(BASE)'

test: setup ## run the whole suite on every core (TEST_WORKERS=0: in one process)
	$(PYTEST) -n '$(TEST_WORKERS)' tests

test-unit: setup ## unit tests only (no sockets)
	$(PYTEST) tests/unit

test-infra: setup ## template tests, cdk-nag and cfn-lint
	$(PYTEST) tests/infra

test-integration: setup ## integration tests against the local DynamoDB-compatible server
	$(PYTEST) tests/integration

test-e2e: setup ## cdk deploy into the embedded cloud, then messages through the stream pump
	$(PYTEST) tests/e2e

local: setup ## the local cloud on localhost:PORT (default 8000): cdk deploy into it, then the stream pump until Ctrl-C
	$(PYTHON) -m local.demo --serve --port '$(PORT)' --port-setting PORT=N

demo: setup ## start the local cloud on PORT (default 8000), deploy, send messages, run the pump, print them, stop (< 90 s)
	$(PYTHON) -m local.demo --port '$(PORT)' --port-setting PORT=N

db: setup ## the course's Postgres (PostgreSQL 16 from the pgserver wheel) with its users table; prints CONNECTION_URL
	$(PYTHON) -m local.postgres start

db-stop: setup ## stop the Postgres of make db (its data stays in .local-cloud/postgres)
	$(PYTHON) -m local.postgres stop

# STAGE given (other than local): that stage's stack on AWS, as the tools' --prod; else the local
# cloud on PORT, started for the run when none listens there.
SMOKE_ON_AWS := $(and $(filter command line environment,$(origin STAGE)),$(filter-out local,$(STAGE)))

smoke: setup ## after a deploy: does STAGE's stack (default: the local cloud on PORT) work end to end?
ifneq ($(SMOKE_ON_AWS),)
	$(PYTHON) -P -m tools smoke --prod --stage '$(STAGE)'
else
	AWS_ENDPOINT_URL='http://localhost:$(PORT)' $(PYTHON) -P -m tools smoke
endif

lint: setup ## ruff (lint and format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup ## measure synth, tests, cold start, processor cost and end-to-end throughput, capacity (< 15 min) into bench/runs/, untracked
	$(PYTHON) -m bench.run

bench-docs: setup ## make bench, then its figures into bench/results/, bench/README.md and the docs
	$(PYTHON) -m bench.run --refresh-docs

CLEANED := cdk.out cdk.out.* .local-cloud .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info

# A running `make db` server would outlive its deleted data directory: clean stops it first.
clean: ## remove build outputs and the local clouds' state, saying which (keeps .venv and node_modules)
	@if [ -f .local-cloud/postgres/postmaster.pid ] && [ -x $(PYTHON) ]; then \
	  $(PYTHON) -m local.postgres stop; fi
	@found="$(wildcard $(CLEANED))"; \
	if [ -z "$$found" ]; then echo "clean: nothing to remove"; \
	else echo "clean: removing $$found"; rm -rf $$found; fi
