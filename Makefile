# Two commands do all set-up: `make up` (the example on the local stack) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

STACK ?= local
VENV := .venv
PYTHON := $(VENV)/bin/python
# Pulumi state lives in the repo unless you chose a backend (PULUMI_BACKEND_URL or `pulumi login`).
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_SKIP_UPDATE_CHECK := true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK := true
# The engine runs at most PULUMI_PARALLEL resource operations at once (the CLI's default: 4 per CPU) and a waiting
# job holds one until its run ends, so the default would run a stack's jobs in waves. 64 lets up to 64 jobs wait
# together: a waiting operation costs the CLI nothing, jobs stay bounded by their compute, and 64 Azure calls at once
# stay under ARM's burst of 200 writes. Yours wins (`PULUMI_PARALLEL=128 make up`); README, "How jobs run at once".
# components/spec/parallelism.py's MAKE_PARALLEL is this value (a unit test checks).
export PULUMI_PARALLEL ?= 64
# After a failed operation the engine starts no new one, so a job that fails early would keep the stack's other jobs
# from ever running. With this, `up` (and `destroy`) go on with everything that does not depend on the failure and
# then fail, listing every error (README, "How jobs run at once"). Yours wins (`PULUMI_CONTINUE_ON_ERROR=false make up`).
export PULUMI_CONTINUE_ON_ERROR ?= true
# The stacks of this machine hold no real secrets: an empty passphrase, for them alone, unless you set one.
LOCAL_STACKS := local lab serve
ifneq ($(filter $(STACK),$(LOCAL_STACKS)),)
export PULUMI_CONFIG_PASSPHRASE ?=
endif

# The guardrails (policies/, README "Guardrails (policy pack)"): `preview` and `up` run the policy pack with the
# stack's policy config, policies/config/$(STACK).json when there is one. `POLICY_PACK= make up` runs without it.
POLICY_PACK ?= policies
POLICY_CONFIG ?= $(wildcard policies/config/$(STACK).json)
POLICY_FLAGS = $(if $(POLICY_PACK),--policy-pack $(POLICY_PACK)$(if $(POLICY_CONFIG), --policy-pack-config $(POLICY_CONFIG)))

PULUMI_BIN = $(shell cat .pulumi-bin 2>/dev/null)
PULUMI = PATH="$(PULUMI_BIN):$$PATH" pulumi

.PHONY: help setup stack up preview refresh recover destroy outputs test reliability lint format bench clean
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed node_modules/.installed .pulumi-bin ## Python venv, Azurite, Pulumi CLI (built from Go if needed).

$(VENV)/.installed: requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(PYTHON) -m pip install -q --disable-pip-version-check uv==0.13.9
	# Compiled bytecode: every provider host, job supervisor and tracking service would otherwise recompile what it imports.
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PYTHON) -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Always re-checked: a cached CLI answers in well under a second.
.pulumi-bin: FORCE
	@dir=$$(tools/pulumi/build.sh | tail -n 1) && test -n "$$dir" && echo "$$dir" > $@.tmp && mv $@.tmp $@
FORCE:

.pulumi-state:
	@mkdir -p $@

stack: setup .pulumi-state
	@$(PULUMI) stack select --create $(STACK) >/dev/null

up: stack ## Deploy STACK (default: local) with `pulumi up --yes` and the guardrails' policy pack.
	$(PULUMI) up --yes $(POLICY_FLAGS) --stack $(STACK)
	@$(MAKE) --no-print-directory outputs STACK=$(STACK)

preview: stack ## Show what `up` would change, and what the guardrails refuse.
	$(PULUMI) preview $(POLICY_FLAGS) --stack $(STACK)

refresh: stack ## Read the live state back into the stack.
	$(PULUMI) refresh --yes --stack $(STACK)

# After a hard kill of `pulumi up`: end its leftover language and provider hosts, unlock the stack and forget
# creates that never finished; the next `up` finds their jobs by name and waits for or adopts them (README, Troubleshooting).
recover: stack ## After a killed `pulumi up`: end what it left running, unlock STACK, clear its pending creates.
	$(PYTHON) -m tools.recover
	$(PULUMI) cancel --yes --stack $(STACK)
	$(PULUMI) refresh --yes --skip-preview --clear-pending-creates --stack $(STACK)

# --run-program: the program binds the purge-on-destroy hooks (see README, Troubleshooting).
destroy: stack ## Remove everything the stack created.
	$(PULUMI) destroy --yes --run-program --stack $(STACK)

outputs: stack ## Print the stack outputs as JSON.
	@$(PULUMI) stack output --json --stack $(STACK)

# actionlint is built once from the Go module proxy into the CLI's cache (tools/actionlint.sh); later runs need no network.
lint: $(VENV)/.installed ## ruff check and format check; actionlint on the CI workflows.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	tools/actionlint.sh

format: $(VENV)/.installed ## Apply ruff's fixes and formatting.
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Three workers (pytest-xdist), a test file at a time on each (its module fixtures stay shared): most tests wait
# on the engine, on jobs or on the double, so three share two cores well (17 min in one process here, 8 in three).
test: setup lint ## The whole suite: lint, unit (mocks), provider (Azure ML double), end to end (real engine).
	PATH="$(PULUMI_BIN):$$PATH" $(PYTHON) -m pytest -n 3 --dist loadfile

# Also part of `make test` (one pytest run over tests/, which ends with the same per-area lines).
reliability: setup ## The counted reliability suite: one line per area (R1 bad inputs, ...) with its counts.
	PATH="$(PULUMI_BIN):$$PATH" $(PYTHON) -m pytest tests/reliability

bench: setup ## Benchmarks: a no-op preview and how it grows with jobs; jobs waiting together (local; Azure against the double, with CPU and memory).
	PATH="$(PULUMI_BIN):$$PATH" $(PYTHON) benchmarks/bench_noop.py
	PATH="$(PULUMI_BIN):$$PATH" $(PYTHON) benchmarks/bench_concurrency.py

clean: ## Remove the venv, node_modules, local state and local workspaces (not the Pulumi CLI cache).
	rm -rf $(VENV) node_modules .pulumi-state .pulumi-bin .azureml-local .pytest_cache .ruff_cache
