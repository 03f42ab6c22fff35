#!/usr/bin/env bash
# Real backing services for the integration tests, without Docker:
#   - Apache Kafka 4.x, single-node KRaft (broker + controller), from Maven Central jars
#   - Redis, Debian's redis-server, with AOF persistence (appendonly yes, appendfsync everysec) as in
#     production; REDIS_PERSISTENCE=none starts it without any (for the data-loss fault tests)
#   - Prometheus + promtool binaries are installed (not started: the tests start their own server)
#   - Chromium + chromedriver are installed (Debian's; the browser test starts its own headless one)
#
# Usage: scripts/services.sh up [--secure] | down [--purge-data] | status | build-deps
#   --secure also starts a secured pair for the security tests: a broker with only a SASL_SSL listener
#   (SCRAM users, topic ACLs) and a TLS-only Redis with ACL users (see `secure_up` below). Ports:
#   SECURE_KAFKA_PORT (KAFKA_PORT+2), SECURE_KAFKA_CONTROLLER_PORT (KAFKA_PORT+3), SECURE_REDIS_PORT
#   (REDIS_PORT+1). `down` stops everything `up` started, secured pair included.
#   build-deps: the Debian packages `pip install` needs to build PyICU (run by `make install`)
#
# Everything lives under ${SCREENING_CACHE:-<repo>/.cache}: broker jars, Kafka data, logs, pid files.
# Ports: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), REDIS_PORT (16379), all on 127.0.0.1.
# Progress goes to stderr as "services: ..." lines; `up` ends by printing the settings for the app
# on stdout (SCREENING_KAFKA__BOOTSTRAP_SERVERS=..., SCREENING_REDIS__URL=...), also written to
# <cache>/services.env.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SCREENING_CACHE:-$REPO/.cache}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
# Paths inside the cache mark this cache's processes (see `marked`); they must be single words.
[[ "$CACHE" != *[[:space:]]* ]] || { echo "services: ERROR: cache path has a space: $CACHE" >&2; exit 1; }

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
REDIS_PORT="${REDIS_PORT:-16379}"
REDIS_PERSISTENCE="${REDIS_PERSISTENCE:-aof}"  # aof | none
HOST=127.0.0.1
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
READY_TIMEOUT="${SCREENING_SERVICES_TIMEOUT:-120}"
PY="${SCREENING_PYTHON:-$REPO/.venv/bin/python}"

POM="$REPO/scripts/kafka/pom.xml"
KAFKA_DIR="$CACHE/kafka"
KAFKA_LIBS="${SCREENING_KAFKA_LIBS:-$KAFKA_DIR/libs}"  # jars may be shared between caches
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONF="$KAFKA_DIR/config"
REDIS_DIR="$CACHE/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
LOG_DIR="$CACHE/logs"
RUN_DIR="$CACHE/run"
KAFKA_PID="$RUN_DIR/kafka.pid"
REDIS_PID="$RUN_DIR/redis.pid"
KAFKA_LOG="$LOG_DIR/kafka.log"
REDIS_LOG="$LOG_DIR/redis.log"
ENV_FILE="$CACHE/services.env"

# The secured pair of `up --secure` (own ports, own data, certificates and passwords in SECURE_DIR)
SECURE_KAFKA_PORT="${SECURE_KAFKA_PORT:-$((KAFKA_PORT + 2))}"
SECURE_KAFKA_CONTROLLER_PORT="${SECURE_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 3))}"
SECURE_REDIS_PORT="${SECURE_REDIS_PORT:-$((REDIS_PORT + 1))}"
SECURE_DIR="$CACHE/secure"
TLS_DIR="$SECURE_DIR/tls"
CRED_DIR="$SECURE_DIR/credentials"
SKAFKA_CONF="$SECURE_DIR/kafka/config"
SKAFKA_DATA="$SECURE_DIR/kafka/data"
SKAFKA_PID="$RUN_DIR/kafka-secure.pid"
SKAFKA_LOG="$LOG_DIR/kafka-secure.log"
SREDIS_DIR="$SECURE_DIR/redis"
SREDIS_CONF="$SREDIS_DIR/redis.conf"
SREDIS_PID="$RUN_DIR/redis-secure.pid"
SREDIS_LOG="$LOG_DIR/redis-secure.log"
KAFKA_USERS=(admin screening ownership-writer reviewer order-pipeline)
REDIS_USERS=(admin screening)

say() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------------------------------------
# helpers

# pid_of FILE: the pid in FILE, if the file exists and holds a number
pid_of() { [[ -s "$1" ]] && tr -dc '0-9' <"$1" || true; }

# running PID: the process exists and is not a zombie (a child that exited but was not reaped yet)
running() {
  local pid="$1" state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ -n "$state" && "$state" != Z ]]
}

# has_tokens PID TOKEN...: every TOKEN is a whole word of the process's command line (arguments are
# split on NUL and on spaces, since redis-server rewrites its title into one space-separated string)
has_tokens() {
  local pid="$1" words token
  shift
  words="$(tr '\0 ' '\n\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  for token in "$@"; do
    grep -qxF -- "$token" <<<"$words" || return 1
  done
}

# alive PID TOKEN...: running and carrying the marker tokens (guards against a reused pid)
alive() {
  local pid="$1"
  shift
  running "$pid" && has_tokens "$pid" "$@"
}

# marked TOKEN...: pids of every running process that carries the marker tokens. The tokens include
# paths inside this cache folder, so only processes started for this cache match.
marked() {
  local file pid
  # one grep over every command line finds the candidates; each is then checked word by word
  for file in $(grep -laF -- "${!#}" /proc/[0-9]*/cmdline 2>/dev/null); do
    pid="${file#/proc/}"
    pid="${pid%/cmdline}"
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    if alive "$pid" "$@"; then echo "$pid"; fi
  done
}

# launch PIDFILE LOGFILE COMMAND...: start COMMAND in the background, in a session of its own (a
# Ctrl-C or a hang-up in the calling terminal does not reach it), tracked from the first instant:
# the child writes its own pid to PIDFILE before it execs, and nothing after that forks (the launcher
# calls setsid() itself and execs), so the pid in PIDFILE is the service's pid from start to end.
# 9>&- : the long-lived process must not inherit the lock's file descriptor.
launch() {
  local pidfile="$1" logfile="$2" python
  shift 2
  # The interpreter itself, not a version manager's shim: a shim is a shell script that forks before it
  # execs, and a process killed in that window leaves a tracked pid with no service behind it.
  python="$(python3 -c 'import sys; print(sys.executable)')"
  (
    echo "$BASHPID" >"$pidfile.$BASHPID" && mv -f "$pidfile.$BASHPID" "$pidfile"
    exec "$python" -c '
import os, sys
try:
    os.setsid()
except OSError:  # already a session leader: nothing to detach from
    pass
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
  ) </dev/null >"$logfile" 2>&1 9>&- &
  LAUNCHED_PID=$!
  echo "$LAUNCHED_PID" >"$pidfile"
}

# stop_all NAME PIDFILE SECONDS TOKEN...: stop the tracked process and any other process carrying the
# marker tokens (one left behind by an interrupted run): TERM, then KILL after SECONDS.
stop_all() {
  local name="$1" pidfile="$2" grace="$3" pid
  shift 3
  local -a pids=()
  pid="$(pid_of "$pidfile")"
  if [[ -n "$pid" ]] && alive "$pid" "$@"; then pids+=("$pid"); fi
  for pid in $(marked "$@"); do
    [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
  done
  if [[ ${#pids[@]} -eq 0 ]]; then
    say "$name not running${pid:+ (stale pid file: $pid)}"
    rm -f "$pidfile"
    return 0
  fi
  say "stopping $name (pid ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    if ! wait_exit "$pid" "$grace"; then
      say "$name pid $pid did not stop in ${grace}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || die "could not kill $name pid $pid"
    fi
  done
  rm -f "$pidfile"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_exit() {  # wait_exit PID SECONDS -> 0 if gone
  local pid="$1" deadline=$(( $(now) + $2 ))
  while running "$pid"; do
    [[ $(now) -ge $deadline ]] && return 1
    sleep 0.2
  done
}

show_log_tail() {
  local f="$1"
  if [[ -f "$f" ]]; then
    echo "services: ---- last 60 lines of $f ----" >&2
    tail -n 60 "$f" >&2 || true
    echo "services: ---- end of $f ----" >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# system packages

ensure_packages() {
  local -a missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    missing+=(prometheus)
  fi
  # The JDK, not only the JRE: `up --secure` runs the ACL tool as a single-file source program.
  if ! command -v java >/dev/null || ! java --list-modules 2>/dev/null | grep -q '^jdk.compiler'; then
    missing+=(openjdk-17-jdk-headless)
  fi
  command -v openssl >/dev/null || missing+=(openssl)
  command -v mvn >/dev/null || missing+=(maven)
  # Headless Chromium and its driver, for the review page's browser test (tests/browser).
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  # Never let the packages start their system services (redis on 6379, prometheus on 9090).
  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local rc=0
  {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >&2 || rc=$?
  if [[ $created_policy -eq 1 ]]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
  [[ $rc -eq 0 ]] || die "apt-get install ${missing[*]} failed (exit $rc)"
}

# The C++ build dependencies of PyICU (the name matcher's Unicode data): run by `make install` before pip.
ensure_build_packages() {
  local -a missing=()
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v g++ >/dev/null || missing+=(g++)
  pkg-config --exists icu-i18n 2>/dev/null || missing+=(libicu-dev)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >&2 || die "apt-get install ${missing[*]} failed"
}

check_java() {
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka 4 needs Java 17 or newer (found: ${v:-none})"
}

# ---------------------------------------------------------------------------------------------
# Kafka

fetch_kafka() {
  local stamp want
  want="$(sha256sum "$POM" | cut -d' ' -f1)"
  stamp="$KAFKA_LIBS/.pom.sha256"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  say "fetching Kafka jars with Maven into $KAFKA_LIBS (once)"
  local t0 tmp
  t0=$(now)
  tmp="$KAFKA_LIBS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  mkdir -p "$LOG_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$LOG_DIR/mvn-fetch.log" 2>&1; then
    rm -rf "$tmp"
    show_log_tail "$LOG_DIR/mvn-fetch.log"
    die "mvn could not fetch the Kafka jars"
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  say "Kafka jars fetched in $(( $(now) - t0 ))s: $(ls "$KAFKA_LIBS" | grep -c '\.jar$') jars ($(ls "$KAFKA_LIBS" | sed -n 's/^kafka_2\.13-\(.*\)\.jar$/kafka_2.13 \1/p'))"
}

write_kafka_config() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA" "$LOG_DIR" "$RUN_DIR"
  cat >"$KAFKA_CONF/server.properties" <<EOF
# Written by scripts/services.sh: single-node KRaft test broker on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
  write_log4j2 "$KAFKA_CONF/log4j2.properties"
}

write_log4j2() {
  cat >"$1" <<'EOF'
# Written by scripts/services.sh: everything to stdout, which services.sh sends to the log file.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
EOF
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'.
new_cluster_id() {
  python3 -c '
import base64, os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not s.startswith("-"):
        print(s); break'
}

format_kafka() {
  if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
    return 0
  fi
  local cid
  cid="$(new_cluster_id)"
  say "formatting Kafka storage in $KAFKA_DATA (cluster id $cid)"
  if ! java -Xmx256m -Dlog4j2.configurationFile="file:$KAFKA_CONF/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      --config "$KAFKA_CONF/server.properties" --cluster-id "$cid" --ignore-formatted \
      >>"$LOG_DIR/kafka-format.log" 2>&1; then
    show_log_tail "$LOG_DIR/kafka-format.log"
    die "Kafka storage format failed"
  fi
}

# kafka_probe: exit 0 when the broker answers a metadata request listing at least one broker.
kafka_probe() {
  if [[ -x "$PY" ]] && "$PY" -c 'import aiokafka' 2>/dev/null; then
    "$PY" - "$HOST:$KAFKA_PORT" <<'EOF' >/dev/null 2>&1
import asyncio, sys
from aiokafka.admin import AIOKafkaAdminClient

async def main() -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), 10)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 10)
        return 0 if cluster.get("brokers") else 1
    finally:
        await admin.close()

sys.exit(asyncio.run(main()))
EOF
  else
    # No venv yet: a raw Metadata v4 request (the oldest version Kafka 4 still serves).
    python3 - "$HOST" "$KAFKA_PORT" <<'EOF' >/dev/null 2>&1
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
client = b"services.sh"
body = struct.pack(">hhih", 3, 4, 1, len(client)) + client + struct.pack(">i?", -1, False)
with socket.create_connection((host, port), timeout=5) as s:
    s.settimeout(5)
    s.sendall(struct.pack(">i", len(body)) + body)
    def read(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    size = struct.unpack(">i", read(4))[0]
    resp = read(size)
corr, _throttle, nbrokers = struct.unpack(">iii", resp[:12])
sys.exit(0 if corr == 1 and nbrokers >= 1 else 1)
EOF
  fi
}

# The marker of this cache's broker: its class and its config file (a path inside this cache).
kafka_tokens() { echo kafka.Kafka "$KAFKA_CONF/server.properties"; }

# wait_kafka PID: wait until the broker answers. Only a process that is gone counts as a failure: a
# slow start on a loaded machine is waited for, and one still starting after READY_TIMEOUT is left
# running and tracked (`up` again waits for it, `down` stops it).
wait_kafka() {
  local pid="$1" t0 deadline
  t0=$(now)
  deadline=$(( t0 + READY_TIMEOUT ))
  while true; do
    if ! running "$pid"; then
      show_log_tail "$KAFKA_LOG"
      rm -f "$KAFKA_PID"
      die "Kafka (pid $pid) exited before it was ready"
    fi
    if kafka_probe; then
      say "Kafka ready on $HOST:$KAFKA_PORT (pid $pid, waited $(( $(now) - t0 ))s)"
      return 0
    fi
    if [[ $(now) -ge $deadline ]]; then
      show_log_tail "$KAFKA_LOG"
      die "Kafka (pid $pid) did not answer on $HOST:$KAFKA_PORT within ${READY_TIMEOUT}s; it is still" \
        "running and tracked in $KAFKA_PID: '$0 up' waits for it again, '$0 down' stops it"
    fi
    sleep 1
  done
}

kafka_up() {
  local pid
  pid="$(pid_of "$KAFKA_PID")"
  # shellcheck disable=SC2046
  if ! alive "$pid" $(kafka_tokens); then
    # A broker of this cache that the pid file does not name (its `up` was killed): adopt it rather
    # than start a second one that would race it for the port and the data directory.
    # shellcheck disable=SC2046
    pid="$(marked $(kafka_tokens) | head -n1)"
    if [[ -n "$pid" ]]; then echo "$pid" >"$KAFKA_PID"; fi
  fi
  if [[ -n "$pid" ]]; then
    say "Kafka already running (pid $pid); checking it answers"
    wait_kafka "$pid"
    return 0
  fi
  rm -f "$KAFKA_PID"
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use by a process this script did not start"
    fi
  done
  fetch_kafka
  write_kafka_config
  format_kafka
  if [[ -f "$KAFKA_LOG" ]]; then mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"; fi
  say "starting Kafka (KRaft broker+controller) on $HOST:$KAFKA_PORT, controller $HOST:$KAFKA_CONTROLLER_PORT"
  # shellcheck disable=SC2086
  launch "$KAFKA_PID" "$KAFKA_LOG" java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="file:$KAFKA_CONF/log4j2.properties" \
    -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF/server.properties"
  wait_kafka "$LAUNCHED_PID"
}

kafka_down() {
  # shellcheck disable=SC2046
  stop_all Kafka "$KAFKA_PID" 60 $(kafka_tokens)
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_tokens() { echo redis-server "$REDIS_CONF"; }

redis_ping() { [[ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }

wait_redis() {
  local pid="$1" t0 deadline
  t0=$(now)
  deadline=$(( t0 + READY_TIMEOUT ))
  until redis_ping; do
    if ! running "$pid"; then
      show_log_tail "$REDIS_LOG"
      rm -f "$REDIS_PID"
      die "Redis (pid $pid) exited before it was ready"
    fi
    if [[ $(now) -ge $deadline ]]; then
      show_log_tail "$REDIS_LOG"
      die "Redis (pid $pid) did not answer PING on $HOST:$REDIS_PORT within ${READY_TIMEOUT}s; it is" \
        "still running and tracked in $REDIS_PID"
    fi
    sleep 0.2
  done
  say "Redis ready on $HOST:$REDIS_PORT (pid $pid, waited $(( $(now) - t0 ))s)"
}

write_redis_config() {
  mkdir -p "$REDIS_DIR" "$LOG_DIR" "$RUN_DIR"
  cat >"$REDIS_CONF" <<EOF
# Written by scripts/services.sh. The config path in the process title marks this cache's server.
bind $HOST
port $REDIS_PORT
dir $REDIS_DIR
logfile $REDIS_LOG
daemonize no
proc-title-template "{title} {listen-addr} {config-file}"
save ""
EOF
  case "$REDIS_PERSISTENCE" in
    aof) printf 'appendonly yes\nappendfsync everysec\nappenddirname appendonly\n' >>"$REDIS_CONF" ;;
    none) printf 'appendonly no\n' >>"$REDIS_CONF" ;;
    *) die "REDIS_PERSISTENCE must be aof or none (got: $REDIS_PERSISTENCE)" ;;
  esac
}

redis_up() {
  local pid
  pid="$(pid_of "$REDIS_PID")"
  if ! alive "$pid" $(redis_tokens); then
    pid="$(marked $(redis_tokens) | head -n1)"
    if [[ -n "$pid" ]]; then echo "$pid" >"$REDIS_PID"; fi
  fi
  if [[ -n "$pid" ]]; then
    say "Redis already running (pid $pid); checking it answers"
    wait_redis "$pid"
    return 0
  fi
  rm -f "$REDIS_PID"
  if port_open "$REDIS_PORT"; then
    die "port $HOST:$REDIS_PORT is already in use by a process this script did not start"
  fi
  write_redis_config
  say "starting Redis on $HOST:$REDIS_PORT (persistence: $REDIS_PERSISTENCE)"
  launch "$REDIS_PID" "$LOG_DIR/redis.out" redis-server "$REDIS_CONF"
  wait_redis "$LAUNCHED_PID"
}

redis_down() {
  stop_all Redis "$REDIS_PID" 20 $(redis_tokens)
}

# ---------------------------------------------------------------------------------------------
# The secured pair (`up --secure`): a second broker with only a SASL_SSL client listener, SCRAM users
# and topic ACLs (StandardAuthorizer, deny by default), and a second Redis with TLS only and ACL users.
# Everything they need is made on first start under <cache>/secure: a test CA, a server and a client
# certificate (openssl), and one random password per user (files, mode 600). Configs keep no client
# password except the broker's own inter-broker login; Redis keeps only SHA-256 hashes.

make_tls() {
  if [[ -s "$TLS_DIR/ca.pem" && -s "$TLS_DIR/server.keystore.pem" && -s "$TLS_DIR/client.pem" ]]; then
    return 0
  fi
  say "making a test CA and server/client certificates in $TLS_DIR (openssl)"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  chmod 700 "$SECURE_DIR" "$TLS_DIR"
  (
    cd "$TLS_DIR"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=export-screening test CA" \
      -keyout ca.key -out ca.pem
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=kafka-broker" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:%s,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' "$HOST" >server.ext
    openssl x509 -req -sha256 -days 825 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -extfile server.ext -out server.pem
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=screening" -keyout client.key -out client.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -sha256 -days 825 -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -extfile client.ext -out client.pem
    cat server.key server.pem >server.keystore.pem  # Kafka's PEM key store: PKCS#8 key, then the chain
    rm -f ./*.csr ./*.ext
    chmod 644 ca.pem
  ) >"$LOG_DIR/tls.log" 2>&1 || { show_log_tail "$LOG_DIR/tls.log"; die "openssl could not make the test certificates"; }
}

make_credentials() {
  mkdir -p "$CRED_DIR"
  chmod 700 "$SECURE_DIR" "$CRED_DIR"
  local user file
  for user in "${KAFKA_USERS[@]/#/kafka-}" "${REDIS_USERS[@]/#/redis-}"; do
    file="$CRED_DIR/$user.password"
    if [[ ! -s "$file" ]]; then
      (umask 077 && openssl rand -hex 24 >"$file")
    fi
  done
}

secret() { tr -d '\n' <"$CRED_DIR/$1.password"; }

write_secure_kafka_config() {
  mkdir -p "$SKAFKA_CONF" "$SKAFKA_DATA"
  chmod 700 "$SKAFKA_CONF"
  (umask 077 && cat >"$SKAFKA_CONF/server.properties" <<EOF
# Written by scripts/services.sh: the secured single-node KRaft test broker. Clients reach it only over
# SASL_SSL (SCRAM-SHA-512); the controller listener takes only the broker's own certificate (mTLS).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$SECURE_KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://$HOST:$SECURE_KAFKA_PORT,CONTROLLER://$HOST:$SECURE_KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://$HOST:$SECURE_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(secret kafka-admin)";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/server.keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.sasl_ssl.ssl.client.auth=requested
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:CN=kafka-broker
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
log.dirs=$SKAFKA_DATA
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
  )
  # The admin client of the ACL tool and of the readiness probe.
  (umask 077 && cat >"$SKAFKA_CONF/admin.properties" <<EOF
bootstrap.servers=$HOST:$SECURE_KAFKA_PORT
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(secret kafka-admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
EOF
  )
  cat >"$SKAFKA_CONF/acls.txt" <<'EOF'
# PRINCIPAL OPERATION RESOURCE_TYPE PATTERN_TYPE NAME (ALLOW; everything else is denied).
# READ and WRITE imply DESCRIBE. Prefixes cover the contract's names (screening.orders.v1, ...).
# The service: reads events and the ownership feed, writes decisions and dead letters, in its groups.
User:screening READ TOPIC PREFIXED screening.orders.
User:screening READ TOPIC PREFIXED screening.leases.
User:screening READ TOPIC PREFIXED screening.ownership.
User:screening READ TOPIC PREFIXED screening.reviews.
User:screening READ TOPIC PREFIXED screening.licences.
User:screening WRITE TOPIC PREFIXED screening.decisions.
User:screening WRITE TOPIC PREFIXED screening.dlq.
User:screening READ GROUP PREFIXED screening
User:screening WRITE TRANSACTIONAL_ID PREFIXED screening
User:screening IDEMPOTENT_WRITE CLUSTER LITERAL kafka-cluster
# The ownership data feed writes ownership records and tombstones, nothing else.
User:ownership-writer WRITE TOPIC PREFIXED screening.ownership.
# Reviewers write review decisions, nothing else.
User:reviewer WRITE TOPIC PREFIXED screening.reviews.
# Order pipelines and lease platforms write events and read decisions.
User:order-pipeline WRITE TOPIC PREFIXED screening.orders.
User:order-pipeline WRITE TOPIC PREFIXED screening.leases.
User:order-pipeline READ TOPIC PREFIXED screening.decisions.
User:order-pipeline READ GROUP PREFIXED order-pipeline
EOF
  write_log4j2 "$SKAFKA_CONF/log4j2.properties"
}

format_secure_kafka() {
  [[ -f "$SKAFKA_DATA/meta.properties" ]] && return 0
  local cid user
  local -a scram=()
  cid="$(new_cluster_id)"
  for user in "${KAFKA_USERS[@]}"; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(secret "kafka-$user")]")
  done
  say "formatting the secured broker's storage in $SKAFKA_DATA with SCRAM users: ${KAFKA_USERS[*]}"
  if ! java -Xmx256m -Dlog4j2.configurationFile="file:$SKAFKA_CONF/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      --config "$SKAFKA_CONF/server.properties" --cluster-id "$cid" --ignore-formatted "${scram[@]}" \
      >>"$LOG_DIR/kafka-secure-format.log" 2>&1; then
    show_log_tail "$LOG_DIR/kafka-secure-format.log"
    die "secured Kafka storage format failed"
  fi
}

# secure_kafka_probe: the broker answers an authenticated metadata request over TLS.
secure_kafka_probe() {
  "$PY" - "$HOST:$SECURE_KAFKA_PORT" "$TLS_DIR/ca.pem" "$CRED_DIR/kafka-admin.password" <<'EOF' >/dev/null 2>&1
import asyncio, ssl, sys
from pathlib import Path
from aiokafka.admin import AIOKafkaAdminClient

async def main() -> int:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=sys.argv[1], request_timeout_ms=5000, security_protocol="SASL_SSL",
        ssl_context=ssl.create_default_context(cafile=sys.argv[2]), sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username="admin", sasl_plain_password=Path(sys.argv[3]).read_text().strip())
    try:
        await asyncio.wait_for(admin.start(), 10)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 10)
        return 0 if cluster.get("brokers") else 1
    finally:
        await admin.close()

sys.exit(asyncio.run(main()))
EOF
}

secure_kafka_tokens() { echo kafka.Kafka "$SKAFKA_CONF/server.properties"; }

wait_secure_kafka() {
  local pid="$1" t0 deadline
  t0=$(now)
  deadline=$(( t0 + READY_TIMEOUT ))
  until secure_kafka_probe; do
    if ! running "$pid"; then
      show_log_tail "$SKAFKA_LOG"
      rm -f "$SKAFKA_PID"
      die "secured Kafka (pid $pid) exited before it was ready"
    fi
    if [[ $(now) -ge $deadline ]]; then
      show_log_tail "$SKAFKA_LOG"
      die "secured Kafka (pid $pid) did not answer on $HOST:$SECURE_KAFKA_PORT within ${READY_TIMEOUT}s;" \
        "it is still running and tracked in $SKAFKA_PID"
    fi
    sleep 1
  done
  say "secured Kafka ready on $HOST:$SECURE_KAFKA_PORT (SASL_SSL; pid $pid, waited $(( $(now) - t0 ))s)"
}

apply_acls() {
  local want stamp="$SKAFKA_DATA/.acls.sha256"
  want="$(sha256sum "$SKAFKA_CONF/acls.txt" "$REPO/scripts/kafka/CreateAcls.java" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  say "creating the topic ACLs of the secured broker"
  if ! java -Xmx256m -Dlog4j2.configurationFile="file:$SKAFKA_CONF/log4j2.properties" \
      -cp "$KAFKA_LIBS/*" "$REPO/scripts/kafka/CreateAcls.java" \
      "$SKAFKA_CONF/admin.properties" "$SKAFKA_CONF/acls.txt" >"$LOG_DIR/kafka-acls.log" 2>&1; then
    show_log_tail "$LOG_DIR/kafka-acls.log"
    die "could not create the ACLs of the secured broker"
  fi
  echo "$want" >"$stamp"
}

secure_kafka_up() {
  local pid
  pid="$(pid_of "$SKAFKA_PID")"
  # shellcheck disable=SC2046
  if ! alive "$pid" $(secure_kafka_tokens); then
    # shellcheck disable=SC2046
    pid="$(marked $(secure_kafka_tokens) | head -n1)"
    if [[ -n "$pid" ]]; then echo "$pid" >"$SKAFKA_PID"; fi
  fi
  if [[ -n "$pid" ]]; then
    say "secured Kafka already running (pid $pid); checking it answers"
    wait_secure_kafka "$pid"
    apply_acls
    return 0
  fi
  rm -f "$SKAFKA_PID"
  for p in "$SECURE_KAFKA_PORT" "$SECURE_KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use by a process this script did not start"
    fi
  done
  write_secure_kafka_config
  format_secure_kafka
  if [[ -f "$SKAFKA_LOG" ]]; then mv -f "$SKAFKA_LOG" "$SKAFKA_LOG.1"; fi
  say "starting the secured Kafka on $HOST:$SECURE_KAFKA_PORT (SASL_SSL), controller $HOST:$SECURE_KAFKA_CONTROLLER_PORT (mTLS)"
  # shellcheck disable=SC2086
  launch "$SKAFKA_PID" "$SKAFKA_LOG" java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="file:$SKAFKA_CONF/log4j2.properties" \
    -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$SKAFKA_CONF/server.properties"
  wait_secure_kafka "$LAUNCHED_PID"
  apply_acls
}

secure_redis_tokens() { echo redis-server "$SREDIS_CONF"; }

secure_redis_ping() {
  [[ "$(REDISCLI_AUTH="$(secret redis-admin)" redis-cli --tls --cacert "$TLS_DIR/ca.pem" --user admin \
    -h "$HOST" -p "$SECURE_REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

write_secure_redis_config() {
  mkdir -p "$SREDIS_DIR"
  chmod 700 "$SREDIS_DIR"
  local admin_hash service_hash
  admin_hash="$(secret redis-admin | sha256sum | cut -d' ' -f1)"
  service_hash="$(secret redis-screening | sha256sum | cut -d' ' -f1)"
  (umask 077 && cat >"$SREDIS_CONF" <<EOF
# Written by scripts/services.sh: the secured test Redis. TLS only (no plain port), no default user;
# the service's user reaches only keys under screening: and no dangerous command (FLUSHALL, CONFIG,
# KEYS, DEBUG, ...). Passwords are stored as SHA-256 hashes.
bind $HOST
port 0
tls-port $SECURE_REDIS_PORT
tls-cert-file $TLS_DIR/server.pem
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.pem
tls-auth-clients optional
tls-protocols "TLSv1.2 TLSv1.3"
dir $SREDIS_DIR
logfile $SREDIS_LOG
daemonize no
proc-title-template "{title} {listen-addr} {config-file}"
save ""
appendonly yes
appendfsync everysec
appenddirname appendonly
user default off resetpass nocommands
user admin on #$admin_hash ~* &* +@all
user screening on #$service_hash ~screening:* &* +@all -@dangerous
EOF
  )
}

secure_redis_up() {
  local pid t0 deadline
  pid="$(pid_of "$SREDIS_PID")"
  if ! alive "$pid" $(secure_redis_tokens); then
    pid="$(marked $(secure_redis_tokens) | head -n1)"
    if [[ -n "$pid" ]]; then echo "$pid" >"$SREDIS_PID"; fi
  fi
  if [[ -z "$pid" ]]; then
    rm -f "$SREDIS_PID"
    if port_open "$SECURE_REDIS_PORT"; then
      die "port $HOST:$SECURE_REDIS_PORT is already in use by a process this script did not start"
    fi
    write_secure_redis_config
    say "starting the secured Redis on $HOST:$SECURE_REDIS_PORT (TLS, ACL users)"
    launch "$SREDIS_PID" "$LOG_DIR/redis-secure.out" redis-server "$SREDIS_CONF"
    pid="$LAUNCHED_PID"
  fi
  t0=$(now)
  deadline=$(( t0 + READY_TIMEOUT ))
  until secure_redis_ping; do
    if ! running "$pid"; then
      show_log_tail "$SREDIS_LOG"
      rm -f "$SREDIS_PID"
      die "secured Redis (pid $pid) exited before it was ready"
    fi
    [[ $(now) -lt $deadline ]] || die "secured Redis (pid $pid) did not answer within ${READY_TIMEOUT}s"
    sleep 0.2
  done
  say "secured Redis ready on $HOST:$SECURE_REDIS_PORT (TLS; pid $pid, waited $(( $(now) - t0 ))s)"
}

secure_up() {
  command -v openssl >/dev/null || die "openssl is needed for the secured services (apt-get install openssl)"
  mkdir -p "$SECURE_DIR"
  chmod 700 "$SECURE_DIR"
  make_tls
  make_credentials
  secure_redis_up
  secure_kafka_up
}

secure_down() {
  # shellcheck disable=SC2046
  stop_all "secured Kafka" "$SKAFKA_PID" 60 $(secure_kafka_tokens)
  stop_all "secured Redis" "$SREDIS_PID" 20 $(secure_redis_tokens)
}

# ---------------------------------------------------------------------------------------------
# commands

lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/services.lock"
  flock -w 300 9 || die "another services.sh is still running (lock $RUN_DIR/services.lock)"
}

cmd_up() {
  local t0 secure=0
  for a in "$@"; do
    case "$a" in
      --secure) secure=1 ;;
      *) die "unknown option for up: $a" ;;
    esac
  done
  t0=$(now)
  lock
  ensure_packages
  check_java
  redis_up
  kafka_up
  if [[ $secure -eq 1 ]]; then secure_up; fi
  say "prometheus: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n1))"
  say "promtool:   $(command -v promtool)"
  say "all services up in $(( $(now) - t0 ))s; logs in $LOG_DIR"
  {
    echo "SCREENING_KAFKA__BOOTSTRAP_SERVERS=$HOST:$KAFKA_PORT"
    echo "SCREENING_REDIS__URL=redis://$HOST:$REDIS_PORT/0"
    if [[ $secure -eq 1 ]]; then
      # For the security tests: where the secured pair answers; certificates and password files are
      # in SECURE_SERVICES_DIR (tls/ca.pem, tls/client.pem, credentials/<kafka|redis>-<user>.password).
      echo "SECURE_KAFKA_BOOTSTRAP=$HOST:$SECURE_KAFKA_PORT"
      echo "SECURE_REDIS_URL=rediss://$HOST:$SECURE_REDIS_PORT/0"
      echo "SECURE_SERVICES_DIR=$SECURE_DIR"
    fi
  } | tee "$ENV_FILE"
}

cmd_down() {
  local purge=0
  for a in "$@"; do
    case "$a" in
      --purge-data) purge=1 ;;
      *) die "unknown option for down: $a" ;;
    esac
  done
  lock
  local t0
  t0=$(now)
  secure_down
  kafka_down
  redis_down
  if [[ $purge -eq 1 ]]; then
    say "purging Kafka data ($KAFKA_DATA), Redis dir ($REDIS_DIR) and the secured pair ($SECURE_DIR)"
    rm -rf "$KAFKA_DATA" "$REDIS_DIR" "$SECURE_DIR"
  fi
  rm -f "$ENV_FILE"
  say "all services down in $(( $(now) - t0 ))s (jars kept in $KAFKA_LIBS)"
}

cmd_status() {
  local pid rc=0
  pid="$(pid_of "$KAFKA_PID")"
  # shellcheck disable=SC2046
  if alive "$pid" $(kafka_tokens); then
    if kafka_probe; then say "Kafka: running, pid $pid, answering on $HOST:$KAFKA_PORT"
    else say "Kafka: running, pid $pid, NOT answering on $HOST:$KAFKA_PORT (starting?)"; rc=1; fi
  else
    say "Kafka: not running${pid:+ (stale pid file: $pid)}"; rc=1
  fi
  pid="$(pid_of "$REDIS_PID")"
  if alive "$pid" $(redis_tokens); then
    if redis_ping; then say "Redis: running, pid $pid, answering on $HOST:$REDIS_PORT"
    else say "Redis: running, pid $pid, NOT answering on $HOST:$REDIS_PORT"; rc=1; fi
  else
    say "Redis: not running${pid:+ (stale pid file: $pid)}"; rc=1
  fi
  pid="$(pid_of "$SKAFKA_PID")"
  # shellcheck disable=SC2046
  if alive "$pid" $(secure_kafka_tokens); then say "secured Kafka: running, pid $pid, $HOST:$SECURE_KAFKA_PORT"
  else say "secured Kafka: not running (started by: $0 up --secure)"; fi
  pid="$(pid_of "$SREDIS_PID")"
  if alive "$pid" $(secure_redis_tokens); then say "secured Redis: running, pid $pid, $HOST:$SECURE_REDIS_PORT"
  else say "secured Redis: not running (started by: $0 up --secure)"; fi
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    say "Prometheus: installed ($(command -v prometheus), $(command -v promtool)); started by the tests"
  else
    say "Prometheus: not installed (run: $0 up)"
  fi
  return $rc
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status "$@" ;;
  build-deps) ensure_build_packages ;;
  *) echo "usage: $0 up [--secure] | down [--purge-data] | status | build-deps" >&2; exit 2 ;;
esac
