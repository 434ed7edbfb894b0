# Shared by scripts/throughput.sh, restore-time.sh, join-throughput.sh and scale-out.sh
# (sourced, not run): the psimon binary, the local broker, a work directory cleaned up on
# exit, a free HTTP port, a /metrics reader, and the head of a `psimon run` config for the
# 20 numeric features `f00..f19` that `psimon generate/loadgen --wide` write.
#
# Sets: psimon, work, port, suffix. Defines: metric NAME [PORT], free_port,
# wide_config_head NAME TOPIC [MAPPING_LINE...]. The caller sets `pid` to the psimon it
# starts; cleanup stops it.

psimon=${PSIMON_BIN:-target/release/psimon}
[ -x "$psimon" ] || cargo build --release
started=0
if ! scripts/kafka.sh status; then scripts/kafka.sh start; started=1; fi
work=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ "$started" = 1 ] && scripts/kafka.sh stop
  rm -rf "$work"
}
trap cleanup EXIT
suffix=$(date +%s%N)
# A port free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)

# METRIC's value on the /metrics of psimon at PORT (default $port); nothing if absent.
metric() { curl -s "127.0.0.1:${2:-$port}/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# [kafka], [http], [mapping] with the wide features, and the model `wide` (baseline.json in
# the work directory); windows and evaluation are the caller's.
wide_config_head() {
  local name=$1 topic=$2
  shift 2
  cat <<TOML
[kafka]
brokers = "127.0.0.1:${PSIMON_KAFKA_PORT:-9092}"
group_id = "$name-$suffix"
input_topics = ["$topic"]
drift_topic = "$topic-drift"
dead_letter_topic = "$topic-dlq"
[http]
address = "127.0.0.1:$port"
[mapping]
model = "/model"
event_time = "/submitted_at"
TOML
  for line in "$@"; do echo "$line"; done
  echo "[mapping.features]"
  for i in $(seq -w 0 19); do echo "f$i = \"/f$i\""; done
  cat <<TOML
[[models]]
name = "wide"
baseline = "baseline.json"
TOML
}
