#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1 for
# development and tests.
#
#   scripts/kafka.sh fetch   fetch the pinned broker jars from Maven Central (cached)
#   scripts/kafka.sh start   fetch if needed, format fresh storage, start, wait until it answers
#   scripts/kafka.sh stop    stop the broker started by `start`
#   scripts/kafka.sh status  exit 0 when the broker answers
#
# Environment: PSIMON_KAFKA_PORT (default 9092), PSIMON_KAFKA_HOME (cache and data, default
# ~/.cache/psimon). Needs java (17+) and mvn.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
home=${PSIMON_KAFKA_HOME:-$HOME/.cache/psimon}
libs="$home/kafka-$version/libs"
port=${PSIMON_KAFKA_PORT:-9092}
controller_port=$((port + 1))
run="$home/run-$port"
pidfile="$run/broker.pid"

. "$(dirname "$0")/lib/service.sh"
log() { echo "kafka.sh: $*" >&2; }

fetch() {
  if [ -f "$libs/.complete" ]; then return 0; fi
  log "fetching org.apache.kafka:kafka_2.13:$version and its runtime dependencies with mvn"
  rm -rf "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

answers() {
  # The broker answers when it serves metadata on its port.
  if command -v kcat >/dev/null 2>&1; then
    timeout 5 kcat -b "127.0.0.1:$port" -L -m 3 >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

start() {
  fetch
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
    return 0
  fi
  rm -rf "$run" && mkdir -p "$run/data" "$run/logs"
  cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$run/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=2
PROPS
  local cp="$libs/*"
  local jvm=(-Xms256m -Xmx1g -XX:+UseG1GC "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties" "-Dkafka.logs.dir=$run/logs")
  local cluster_id
  cluster_id=$(java -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool random-uuid)
  java -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" \
    -c "$run/server.properties" > "$run/logs/format.log" 2>&1
  nohup java -cp "$cp" "${jvm[@]}" kafka.Kafka "$run/server.properties" > "$run/logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  wait_answers broker "$pidfile" "$run/logs/stdout.log" "$run/logs/server.log"
  log "broker up on 127.0.0.1:$port (pid $(cat "$pidfile"))"
}

stop() { stop_pidfile broker "$pidfile"; }

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
