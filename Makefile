# Two commands do everything: `make run` and `make test`. Both create .venv and install exactly
# what uv.lock pins (with hashes), and the front-end packages from package-lock.json, on first use.
# `make run` installs the runtime dependencies only; `make test` adds the dev group (pytest,
# Playwright, mypy, ruff ...).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv itself lives in a venv of its own, installed by pip from requirements-uv.txt (hash-checked),
# so that `uv sync`, which removes whatever uv.lock does not name, never removes uv.
UV_VENV := .uv
UV := $(UV_VENV)/bin/uv
# Never let uv download an interpreter: the machine's Python 3.11+ is the one we test on.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
RUN_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP := $(VENV)/.dev-stamp
NODE_STAMP := node_modules/.installed-stamp
# pylock.toml (PEP 751) is uv.lock exported in the standard format, for other tools
# that read PEP 751 lock files; `make lock` writes it, `make test` checks it.
PYLOCK_EXPORT := $(UV) export --format pylock.toml --frozen --all-groups --no-emit-project \
	--no-header --quiet

.PHONY: run test bench lint lock lock-upgrade clean mutate

# Bytecode caches for the test runs, in .pycache/ (ignored by git): where the environment sets
# PYTHONDONTWRITEBYTECODE (sandboxes, some CI images), every pytest worker and every `lgnet`
# subprocess a test starts would otherwise compile the whole tree and its dependencies again and
# rewrite every test module's asserts: ~16 s CPU of a worker's 22 s collection (docs/testing.md).
TEST_BYTECODE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/.pycache

$(UV): requirements-uv.txt
	test -x $(UV_VENV)/bin/python || $(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install -qq --require-hashes --no-deps -r requirements-uv.txt
	touch $(UV)

# --locked: refuse to install when uv.lock no longer matches pyproject.toml (run `make lock`).
# --inexact: keep the dev packages a previous `make test` installed instead of removing them.
$(RUN_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --no-dev --inexact --quiet
	touch $(RUN_STAMP)

$(DEV_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	touch $(DEV_STAMP) $(RUN_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(RUN_STAMP) $(NODE_STAMP)
	$(BIN)/lgnet run

test: $(DEV_STAMP) $(NODE_STAMP)
	$(UV) lock --check --quiet
	$(PYLOCK_EXPORT) | diff -q - pylock.toml >/dev/null \
	  || { echo "pylock.toml is not uv.lock exported: run 'make lock'"; exit 1; }
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(TEST_BYTECODE) $(BIN)/python -m pytest -n 2

# The cluster tests (tests/cluster, marker `cluster`, left out of `make test`): the compose
# topology as processes (infra/cluster.py), nodes, the relay and PostgreSQL killed under load.
.PHONY: test-cluster
test-cluster: $(DEV_STAMP) $(NODE_STAMP)
	$(TEST_BYTECODE) $(BIN)/python -m pytest -n 0 -m cluster tests/cluster
# The fault-injection tests (tests/faults, marker `faults`, left out of `make test`): `lgnet
# run` as a subprocess on SQLite and PostgreSQL, NATS killed and frozen, JetStream out of room,
# backup and restore (issue 17).
.PHONY: test-faults soak
test-faults: $(DEV_STAMP) $(NODE_STAMP)
	$(TEST_BYTECODE) $(BIN)/python -m pytest -n 2 -m faults tests/faults

# Ten minutes of mixed load on `lgnet run` with a random child killed every minute, then the
# checks of scripts/soak.py (nothing lost or duplicated, read models equal a rebuild, verify 0).
soak: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.soak

bench: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m tests.bench

# Issue 15 target 2: `lgnet projections rebuild` of REBUILD_EVENTS published events, timed
# against the targets (tests/bench/rebuild.py). The record is generated on first use into
# REBUILD_DIR (and REBUILD_PG's database, created if missing) by tests/bench/generate.py (copies
# of the demo, through the real recorder and relay), then reused: make bench-rebuild
# REBUILD_PG=postgresql://postgres@127.0.0.1:5432/lgnet_bench_1m for PostgreSQL;
# REBUILD_PROCESSES=1 for `lgnet projections rebuild --processes 1` (all in one process).
REBUILD_EVENTS ?= 1000000
REBUILD_PG ?=
REBUILD_PROCESSES ?= 2
REBUILD_DIR ?= /tmp/lgnet-bench-rebuild-$(if $(REBUILD_PG),pg,sqlite)
.PHONY: bench-rebuild
bench-rebuild: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m tests.bench rebuild --data-dir $(REBUILD_DIR) --events $(REBUILD_EVENTS) \
	  --processes $(REBUILD_PROCESSES) $(if $(REBUILD_PG),--pg-dsn $(REBUILD_PG))

# Mutation testing (docs/testing.md): not part of `make test`. mutmut (configured in
# pyproject.toml) mutates domain/, events/ and projections/ and runs the unit tests and the
# server-less integration tests on each mutant, two at a time; then the kill rate per module.
# MUTATE narrows it to modules by mutmut's names: make mutate MUTATE='domain.housing.*'
MUTATE ?=
mutate: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.mutmut_run run --max-children 2 $(MUTATE)
	$(BIN)/python -m tests.mutation_report --below 90

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# After changing a range in pyproject.toml: re-resolve, keeping every pin that still fits.
lock: $(UV)
	$(UV) lock
	$(PYLOCK_EXPORT) -o pylock.toml

# To take the newest releases inside the ranges (then run `make test` before committing).
lock-upgrade: $(UV)
	$(UV) lock --upgrade
	$(PYLOCK_EXPORT) -o pylock.toml

clean:
	rm -rf $(VENV) $(UV_VENV) node_modules
