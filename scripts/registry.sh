#!/usr/bin/env bash
# Apicurio Registry on 127.0.0.1, for the Avro tests: its Confluent-compatible API
# (ccompat v7) is what psimon and `psimon loadgen --format avro` talk to. In-memory
# storage: every start is an empty registry.
#
#   scripts/registry.sh fetch   fetch the pinned Apicurio app from Maven Central (cached)
#   scripts/registry.sh start   fetch if needed, start, wait until it answers
#   scripts/registry.sh stop    stop the registry started by `start`
#   scripts/registry.sh status  exit 0 when the registry answers
#   scripts/registry.sh url     print the Confluent-compatible API's base URL
#
# Environment: PSIMON_REGISTRY_PORT (default 18081), PSIMON_KAFKA_HOME (cache, default
# ~/.cache/psimon). Apicurio 3 needs Java 21 or later: the newest JDK under /usr/lib/jvm
# (the machine's Temurin) or $PSIMON_REGISTRY_JAVA.
set -euo pipefail

version=3.3.3
home=${PSIMON_KAFKA_HOME:-$HOME/.cache/psimon}
app="$home/apicurio-registry-$version"
port=${PSIMON_REGISTRY_PORT:-18081}
run="$home/registry-run-$port"
pidfile="$run/registry.pid"
url="http://127.0.0.1:$port/apis/ccompat/v7"

. "$(dirname "$0")/lib/service.sh"
log() { echo "registry.sh: $*" >&2; }

java_21() {
  if [ -n "${PSIMON_REGISTRY_JAVA:-}" ]; then echo "$PSIMON_REGISTRY_JAVA"; return 0; fi
  local best="" best_v=0 j v
  for j in /usr/lib/jvm/*/bin/java $(command -v java || true); do
    [ -x "$j" ] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
    if [ -n "$v" ] && [ "$v" -gt "$best_v" ]; then best=$j; best_v=$v; fi
  done
  if [ "$best_v" -lt 21 ]; then
    log "Apicurio Registry $version needs Java 21 or later; found at most Java $best_v (set PSIMON_REGISTRY_JAVA)"
    return 1
  fi
  echo "$best"
}

fetch() {
  if [ -f "$app/.complete" ]; then return 0; fi
  local tgz="io/apicurio/apicurio-registry-app/$version/apicurio-registry-app-$version-all.tar.gz"
  log "fetching io.apicurio:apicurio-registry-app:$version (all) from Maven Central"
  rm -rf "$app" && mkdir -p "$app"
  curl -fsSL --retry 3 "https://repo1.maven.org/maven2/$tgz" | tar xz -C "$app"
  touch "$app/.complete"
}

answers() {
  curl -fsS --max-time 3 "$url/subjects" >/dev/null 2>&1
}

start() {
  fetch
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "already running (pid $(cat "$pidfile")) at $url"
    return 0
  fi
  local java
  java=$(java_21)
  rm -rf "$run" && mkdir -p "$run"
  # The management interface (health, metrics) is not needed: off, so it takes no port.
  # exec: the background job's pid is java's own, so that `stop` ends java itself.
  (cd "$app" && exec nohup "$java" -Xmx512m \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
    -Dquarkus.management.enabled=false \
    -jar quarkus-run.jar) > "$run/registry.log" 2>&1 &
  echo $! > "$pidfile"
  wait_answers registry "$pidfile" "$run/registry.log"
  log "registry up at $url (pid $(cat "$pidfile"))"
}

stop() { stop_pidfile registry "$pidfile"; }

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  url) echo "$url" ;;
  *) echo "usage: $0 fetch|start|stop|status|url" >&2; exit 2 ;;
esac
