# export-screening: one command each to install, run the demo, test and benchmark.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICES := scripts/services.sh
ENVFILE := .cache/services.env

.PHONY: install lock services services-secure services-down services-stress run test test-unit test-integration lint typecheck schemas docs bench faults eval clean

# Dependencies come from the hash-checked lock (requirements-dev.lock: runtime + dev tools); the
# project itself is installed on top without resolving anything again.
$(STAMP): pyproject.toml requirements-dev.lock
	bash $(SERVICES) build-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## a .venv with the project and its dev tools, from the locked, hash-checked versions

lock: $(STAMP) ## re-resolve requirements.lock (the image) and requirements-dev.lock (make install) with uv
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 -q \
		-o requirements-dev.lock

services: $(STAMP) ## start Kafka (KRaft) and Redis on loopback; safe to run twice
	bash $(SERVICES) up

services-secure: $(STAMP) ## also a SASL_SSL broker with ACLs and a TLS Redis with ACL users (security tests)
	bash $(SERVICES) up --secure

services-down: ## stop exactly what `make services` started
	bash $(SERVICES) down

services-stress: $(STAMP) ## 20 start/stop cycles of services.sh under CPU load, own ports and cache (~4 min)
	SCREENING_SERVICES_CYCLES=20 $(BIN)/pytest -q -s -p no:cacheprovider tests/infra/test_services_script.py

lint: $(STAMP)
	$(BIN)/ruff check services tests scripts
	$(BIN)/ruff format --check services tests scripts
	$(BIN)/mypy

schemas: $(STAMP) ## regenerate schemas/ from the pydantic models and the FastStream app
	$(BIN)/python scripts/generate_schemas.py

docs: $(STAMP) ## regenerate docs/reason-codes.md and docs/rules.md from the reason codes and the rule registry
	$(BIN)/python scripts/generate_docs.py

test: $(STAMP) ## start the services (secured pair too), run every test tier, stop the services
	bash $(SERVICES) up --secure
	set -a; source $(ENVFILE); set +a; \
	status=0; \
	$(BIN)/ruff check services tests scripts || status=1; \
	$(BIN)/ruff format --check services tests scripts || status=1; \
	$(BIN)/mypy || status=1; \
	$(BIN)/pytest -q -p no:cacheprovider tests || status=1; \
	bash $(SERVICES) down; \
	exit $$status

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/component tests/eval

run: $(STAMP) ## the demo: services up, lists and ownership loaded, service on, demo events streamed
	bash scripts/demo.sh

bench: $(STAMP) ## service vs raw passthrough, realistic and all-new mixes (events/s, CPU/event, RSS, Redis), micro-benchmarks
	bash $(SERVICES) up
	set -a; source $(ENVFILE); set +a; status=0; \
	echo "warming the broker (a fresh JVM is measurably slower for its first minute)"; \
	$(BIN)/screening bench --events 10000 > /dev/null || status=1; \
	$(BIN)/screening bench --events 20000 --mix realistic || status=1; \
	$(BIN)/screening bench --events 20000 --mix realistic --no-metrics || status=1; \
	$(BIN)/screening bench --events 20000 --mix realistic --no-transactions || status=1; \
	$(BIN)/screening bench --events 20000 --mix realistic --instances 2 || status=1; \
	$(BIN)/screening bench --events 10000 --mix all-new || status=1; \
	$(BIN)/python scripts/bench_ownership.py || status=1; \
	$(BIN)/python scripts/bench_metrics.py || status=1; \
	bash $(SERVICES) down; exit $$status

faults: $(STAMP) ## the full fault suite (>= 100,000 events, six faults) on a broker and Redis of its own; JSON report
	$(BIN)/python scripts/faults.py --out .cache/faults-report.json

eval: $(STAMP) ## name-matching quality table (ours beside a peer matcher), then address screening's
	$(BIN)/python scripts/eval_names.py
	$(BIN)/python scripts/eval_addresses.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
