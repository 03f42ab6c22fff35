#!/usr/bin/env bash
# `make run`: start Kafka and Redis, load the shipped lists and the demo ownership registry, start the
# service and the review page beside it, stream the demo events through Kafka and print each decision as
# it arrives. Ctrl-C stops the service, the review page and the services this script started.
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

# The review page: loopback, its own port, two demo reviewers with passwords made for this run.
export SCREENING_REVIEW_UI__HOST="${SCREENING_REVIEW_UI__HOST:-127.0.0.1}"
export SCREENING_REVIEW_UI__PORT="${SCREENING_REVIEW_UI__PORT:-8470}"
export SCREENING_REVIEW_UI__PASSWORD_FILE="${SCREENING_REVIEW_UI__PASSWORD_FILE:-.cache/review-ui/reviewers}"

SERVICE_PID=""
REVIEW_UI_PID=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping the service and the review page"
  [ -n "$REVIEW_UI_PID" ] && kill "$REVIEW_UI_PID" 2>/dev/null && wait "$REVIEW_UI_PID" 2>/dev/null || true
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

declare -A DEMO_PASSWORDS=()
for reviewer in alice bob; do
  DEMO_PASSWORDS[$reviewer]="$(python3 -c 'import secrets; print(secrets.token_urlsafe(9))')"
  printf '%s\n' "${DEMO_PASSWORDS[$reviewer]}" \
    | $BIN/screening review-ui add-user "$reviewer" --password-stdin > /dev/null
done
$BIN/screening review-ui > .cache/logs/review-ui.log 2>&1 &
REVIEW_UI_PID=$!
REVIEW_URL="http://$SCREENING_REVIEW_UI__HOST:$SCREENING_REVIEW_UI__PORT/"
REVIEW_UI_UP=0
for _ in $(seq 1 100); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "healthz", timeout=1)' \
      "$REVIEW_URL" 2>/dev/null; then
    REVIEW_UI_UP=1
    break
  fi
  kill -0 "$REVIEW_UI_PID" 2>/dev/null || break
  sleep 0.2
done
if [ "$REVIEW_UI_UP" = 1 ]; then
  echo "demo: review page on $REVIEW_URL (logs in .cache/logs/review-ui.log)"
  echo "demo:   sign in as alice / ${DEMO_PASSWORDS[alice]}  or  bob / ${DEMO_PASSWORDS[bob]}"
  echo "demo:   (releasing a list-match, ownership or red-flag hold takes both of them: four eyes)"
else
  # The demo goes on without it (the port may be taken: set SCREENING_REVIEW_UI__PORT).
  echo "demo: WARNING: the review page did not start on $REVIEW_URL; the end of its log:" >&2
  tail -n 15 .cache/logs/review-ui.log >&2 || true
fi

$BIN/python scripts/demo_stream.py services/screening/demo/events.jsonl
