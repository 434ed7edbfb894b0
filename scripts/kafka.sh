#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1 for
# development and tests, with three client listeners:
#   PLAINTEXT  127.0.0.1:PORT     (default 9092)
#   SASL_SSL   127.0.0.1:PORT+2   SCRAM-SHA-512 and SCRAM-SHA-256 (user psimon, password in
#                                 tls/scram-password), PLAIN (user psimon-plain, same
#                                 password) and OAUTHBEARER with unsecured JWTs (tests only)
#   SSL        127.0.0.1:PORT+3   mutual TLS: a client certificate of the test CA is required
# The throw-away CA and certificates are made at start in $run/tls (scripts/lib/tls.sh);
# `scripts/kafka.sh tls-dir` prints where.
#
#   scripts/kafka.sh fetch   fetch the pinned broker jars from Maven Central (cached)
#   scripts/kafka.sh start   fetch if needed, format fresh storage, start, wait until it answers
#   scripts/kafka.sh stop    stop the broker started by `start`
#   scripts/kafka.sh status  exit 0 when the broker answers
#   scripts/kafka.sh tls-dir print the directory of the CA, certificates and SCRAM password
#   scripts/kafka.sh data-dir print the broker's log directory (a test corrupts a batch there)
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
sasl_port=$((port + 2))
ssl_port=$((port + 3))
run="$home/run-$port"
tls="$home/tls-$port"
pidfile="$run/broker.pid"

. "$(dirname "$0")/lib/service.sh"
. "$(dirname "$0")/lib/tls.sh"
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
  make_tls "$tls"
  [ -f "$tls/scram-password" ] || openssl rand -hex 12 > "$tls/scram-password"
  local password
  password=$(cat "$tls/scram-password")
  cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port,SASL_SSL://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
inter.broker.listener.name=PLAINTEXT
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_psimon-plain="$password";
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="psimon";
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
  # The SCRAM users are created with the storage (KRaft has no ZooKeeper to add them to).
  java -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" \
    -c "$run/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=psimon,password=\"$password\"]" \
    --add-scram "SCRAM-SHA-256=[name=psimon,password=\"$password\"]" \
    > "$run/logs/format.log" 2>&1
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
  tls-dir) echo "$tls" ;;
  data-dir) echo "$run/data" ;;
  *) echo "usage: $0 fetch|start|stop|status|tls-dir|data-dir" >&2; exit 2 ;;
esac
