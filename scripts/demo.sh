#!/usr/bin/env bash
# `make run`: start Kafka and Redis, load the shipped lists and the demo ownership registry, start the
# service, stream the demo events through Kafka and print each decision as it arrives.
# Ctrl-C stops the service and the services this script started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=.venv/bin

# Stop on exit only what this script started: services already running are left running.
STARTED_SERVICES=1
if bash scripts/services.sh status >/dev/null 2>&1; then STARTED_SERVICES=0; fi
bash scripts/services.sh up
set -a; source .cache/services.env; set +a
export SCREENING_METRICS__PORT="${SCREENING_METRICS__PORT:-9464}"
# The ops endpoints stay on loopback unless told otherwise.
export SCREENING_METRICS__HOST="${SCREENING_METRICS__HOST:-127.0.0.1}"

SERVICE_PID=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping the service"
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
  if [ "$STARTED_SERVICES" = 1 ]; then bash scripts/services.sh down || true; fi
}
trap cleanup INT TERM EXIT

echo "demo: loading the shipped Consolidated Screening List, the demo ownership registry and licences into Redis"
$BIN/screening lists load services/screening/data/consolidated_2026-07-31.csv
$BIN/screening ownership load services/screening/demo/ownership.jsonl
$BIN/screening licences load services/screening/demo/licences.jsonl

# The contract's topics, records kept five years (15 CFR 762); an existing shorter retention is raised.
$BIN/screening topics create

echo "demo: starting the service (logs in .cache/logs/service.log; metrics on :$SCREENING_METRICS__PORT)"
$BIN/screening serve > .cache/logs/service.log 2>&1 &
SERVICE_PID=$!

$BIN/python scripts/demo_stream.py services/screening/demo/events.jsonl
