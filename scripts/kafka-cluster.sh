#!/usr/bin/env bash
# A local Apache Kafka cluster of NODES KRaft nodes (each broker and controller, static
# quorum) on 127.0.0.1, for the failover tests: replication factor 3 and min.insync.replicas
# 2 for every topic, the offsets and the transaction state, as production clusters run.
# Unlike scripts/kafka.sh a node can be killed, restarted on its data, frozen and thawed.
#
#   scripts/kafka-cluster.sh start          format fresh storage, start every node, wait
#   scripts/kafka-cluster.sh stop           stop every node
#   scripts/kafka-cluster.sh status         exit 0 when every node answers
#   scripts/kafka-cluster.sh brokers        print the bootstrap list
#   scripts/kafka-cluster.sh kill N         kill -9 node N (1-based)
#   scripts/kafka-cluster.sh restart N      start node N again on its data, wait until it answers
#   scripts/kafka-cluster.sh freeze N       SIGSTOP node N
#   scripts/kafka-cluster.sh thaw N         SIGCONT node N
#   scripts/kafka-cluster.sh pid N          print node N's pid
#
# Environment: PSIMON_CLUSTER_PORT (default 19092; node i listens on port + 2(i-1) and its
# controller on the next port), PSIMON_CLUSTER_NODES (default 3; 1 gives a single node with
# replication factor 1), PSIMON_KAFKA_HOME (cache and data, default ~/.cache/psimon).
# Each JVM is bounded to 512 MiB of heap (the machine has 2 cores and 24 GiB).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
home=${PSIMON_KAFKA_HOME:-$HOME/.cache/psimon}
libs="$home/kafka-$version/libs"
base_port=${PSIMON_CLUSTER_PORT:-19092}
nodes=${PSIMON_CLUSTER_NODES:-3}
run="$home/cluster-$base_port"
rf=$((nodes < 3 ? nodes : 3))
min_isr=$((rf > 1 ? 2 : 1))

. "$here/lib/service.sh"
log() { echo "kafka-cluster.sh: $*" >&2; }

port_of() { echo $((base_port + 2 * ($1 - 1))); }
pidfile_of() { echo "$run/node-$1/broker.pid"; }

brokers() {
  local list=() i
  for i in $(seq 1 "$nodes"); do list+=("127.0.0.1:$(port_of "$i")"); done
  (IFS=,; echo "${list[*]}")
}

voters() {
  local list=() i
  for i in $(seq 1 "$nodes"); do list+=("$i@127.0.0.1:$(( $(port_of "$i") + 1 ))"); done
  (IFS=,; echo "${list[*]}")
}

node_answers() {
  local port
  port=$(port_of "$1")
  if command -v kcat >/dev/null 2>&1; then
    timeout 5 kcat -b "127.0.0.1:$port" -L -m 3 >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

jvm_opts() {
  echo "-Xms128m -Xmx512m -XX:+UseG1GC -Dlog4j2.configurationFile=$here/kafka/log4j2.properties -Dkafka.logs.dir=$run/node-$1/logs"
}

write_config() {
  local i=$1 port dir
  port=$(port_of "$i")
  dir="$run/node-$i"
  mkdir -p "$dir/data" "$dir/logs"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
unclean.leader.election.enable=false
log.retention.hours=2
PROPS
}

launch() {
  local i=$1 dir
  dir="$run/node-$i"
  # shellcheck disable=SC2046
  nohup java -cp "$libs/*" $(jvm_opts "$i") kafka.Kafka "$dir/server.properties" \
    >> "$dir/logs/stdout.log" 2>&1 &
  echo $! > "$(pidfile_of "$i")"
}

wait_node() {
  local i=$1
  answers() { node_answers "$i"; }
  wait_answers "node $i" "$(pidfile_of "$i")" "$run/node-$i/logs/stdout.log" "$run/node-$i/logs/server.log"
}

start() {
  "$here/kafka.sh" fetch
  if status 2>/dev/null; then
    log "already running: $(brokers)"
    return 0
  fi
  stop >/dev/null 2>&1 || true
  rm -rf "$run" && mkdir -p "$run"
  local cluster_id i
  # shellcheck disable=SC2046
  cluster_id=$(java -cp "$libs/*" $(jvm_opts 1) kafka.tools.StorageTool random-uuid)
  for i in $(seq 1 "$nodes"); do
    write_config "$i"
    # shellcheck disable=SC2046
    java -cp "$libs/*" $(jvm_opts "$i") kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$run/node-$i/server.properties" > "$run/node-$i/logs/format.log" 2>&1
  done
  for i in $(seq 1 "$nodes"); do launch "$i"; done
  for i in $(seq 1 "$nodes"); do wait_node "$i"; done
  log "cluster of $nodes node(s) up: $(brokers) (replication factor $rf, min.insync.replicas $min_isr)"
}

stop() {
  local i
  for i in $(seq 1 "$nodes"); do
    local pf
    pf=$(pidfile_of "$i")
    if [ -f "$pf" ]; then kill -CONT "$(cat "$pf")" 2>/dev/null || true; fi
    stop_pidfile "node $i" "$pf"
  done
}

status() {
  local i
  for i in $(seq 1 "$nodes"); do node_answers "$i" || return 1; done
}

node_pid() {
  local pf
  pf=$(pidfile_of "$1")
  [ -f "$pf" ] || { log "node $1 has no pid file"; return 1; }
  cat "$pf"
}

kill_node() {
  local pid
  pid=$(node_pid "$1")
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  log "node $1 killed (pid $pid)"
}

restart_node() {
  local i=$1 pf
  pf=$(pidfile_of "$i")
  if [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; then kill_node "$i"; fi
  launch "$i"
  wait_node "$i"
  log "node $i restarted (pid $(cat "$pf"))"
}

need_node() {
  case "${1:-}" in
    '' | *[!0-9]*) log "a node number from 1 to $nodes is needed"; exit 2 ;;
  esac
  if [ "$1" -lt 1 ] || [ "$1" -gt "$nodes" ]; then log "no node $1"; exit 2; fi
}

case "${1:-}" in
  fetch) "$here/kafka.sh" fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  brokers) brokers ;;
  kill) need_node "${2:-}"; kill_node "$2" ;;
  restart) need_node "${2:-}"; restart_node "$2" ;;
  freeze) need_node "${2:-}"; kill -STOP "$(node_pid "$2")" ;;
  thaw) need_node "${2:-}"; kill -CONT "$(node_pid "$2")" ;;
  pid) need_node "${2:-}"; node_pid "$2" ;;
  *) echo "usage: $0 fetch|start|stop|status|brokers|kill N|restart N|freeze N|thaw N|pid N" >&2; exit 2 ;;
esac
