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
# The demo screens against the shipped snapshot of 2026-07-31, older than the 72 hours the service allows by
# default (it would hold every event with LISTS_STALE): the demo accepts lists up to a year old. A deployment
# keeps the default and fetches the current list (`screening lists fetch`, or SCREENING_LISTS__FETCH_INTERVAL_S).
export SCREENING_LISTS__MAX_AGE_HOURS="${SCREENING_LISTS__MAX_AGE_HOURS:-8760}"

SERVICE_PID=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping the service"
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
  if [ "$STARTED_SERVICES" = 1 ]; then bash scripts/services.sh down || true; fi
}
trap cleanup INT TERM EXIT

echo "demo: loading the shipped Consolidated Screening List and the demo ownership registry into Redis"
$BIN/screening lists load services/screening/data/consolidated_2026-07-31.csv
$BIN/screening ownership load services/screening/demo/ownership.jsonl

$BIN/python scripts/demo_stream.py --create-topics

echo "demo: starting the service (logs in .cache/logs/service.log; metrics on :$SCREENING_METRICS__PORT)"
$BIN/screening serve > .cache/logs/service.log 2>&1 &
SERVICE_PID=$!

$BIN/python scripts/demo_stream.py services/screening/demo/events.jsonl
