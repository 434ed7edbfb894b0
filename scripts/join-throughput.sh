#!/usr/bin/env bash
# The outcome join's cost end to end on the real broker. COUNT applications (default
# 1,000,000; the example config's events, about 260 bytes) are produced once, then counted
# twice, each time by a fresh consumer group: by psimon without [outcomes], then by psimon
# with it (the same build, pinned to one core); then, psimon stopped, the applications'
# outcomes are produced, and psimon restarted restores COUNT pending and joins them.
# Reports applications/s of both runs and their ratio, outcomes joined/s, each run's peak
# resident memory (VmHWM) and the join store on disk. Rates are read from /metrics, from the first counted event to the last.
#
#   scripts/join-throughput.sh [COUNT]
#   PARTITIONS=12 scripts/join-throughput.sh   (applications and outcomes on 12 partitions;
#                                               default 1)
#   WORKERS=2 PARTITIONS=12 ...                (2 counting workers on every core, not pinned)
#   OUTCOME_PARTITIONS=2 ...                   (outcomes on 2 partitions while the
#                                               applications have PARTITIONS: psimon
#                                               repartitions them, the cost of forwarding)
#   PSIMON_KAFKA__PREFETCH_BYTES=... ...        (any setting, as the environment overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
partitions=${PARTITIONS:-1}
outcome_partitions=${OUTCOME_PARTITIONS:-$partitions}
workers=${WORKERS:-1}
# shellcheck source=lib/wide-run.sh
. scripts/lib/wide-run.sh
apps="join-apps-$suffix"; outcomes="join-outcomes-$suffix"
"$psimon" generate --rows 20000 --out "$work/dev.csv" > /dev/null
"$psimon" baseline --input "$work/dev.csv" --target bad --out "$work/baseline.json" > /dev/null
start_ms=1700000000000
echo "producing $count applications to $apps ($partitions partitions) ..."
"$psimon" loadgen --topic "$apps" --partitions "$partitions" --count "$count" --start-ms "$start_ms" --step-ms 1000
"$psimon" loadgen --topic "$outcomes" --partitions "$outcome_partitions" --count 0 > /dev/null

# The example config on these topics, consumer group GROUP.
config() {
  sed -e "s/input_topics = \[\"applications\"\]/input_topics = [\"$apps\"]/; s/group_id = \"psimon\"/group_id = \"$1-$suffix\"/; s/psimon.drift/$apps-drift/; s/psimon.dlq/$apps-dlq/; s/baseline.example.json/baseline.json/; s/127.0.0.1:9464/127.0.0.1:$port/; s/127.0.0.1:9092/127.0.0.1:${PSIMON_KAFKA_PORT:-9092}/" config/psimon.example.toml
}
config plain > "$work/plain.toml"
{
  config join
  cat <<TOML
[outcomes]
topic = "$outcomes"
outcome = "/outcome"
outcome_time = "/observed_at"
bad_values = ["1"]
good_values = ["0"]
horizon = "400d"
grace = "1d"
store_dir = "$work/psimon-join"
[[outcomes.windows]]
kind = "count"
name = "last_100000_outcomes"
size = 100000
TOML
} > "$work/join.toml"

core=$(( $(nproc) - 1 ))
if [ "$workers" = 1 ]; then cpus=$core; else cpus=0-$core; fi
start() {
  PSIMON_KAFKA__WORKERS=$workers taskset -c "$cpus" "$psimon" run --config "$1" 2> "$work/psimon.log" &
  pid=$!
}
stop() {
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  pid=""
}
peak_mb() { echo $(( $(awk '/VmHWM/ {print $2}' "/proc/$pid/status") / 1024 )); }
# Waits until METRIC reaches TARGET; prints its rate per second from its first change.
rate() {
  local m=$1 target=$2 first="" n now
  while :; do
    n=$(metric "$m" || true); n=${n:-0}; n=${n%.*}
    now=$(date +%s.%N)
    if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$now; echo "$now" > "$work/first"; fi
    if [ "$n" -ge "$target" ]; then break; fi
    kill -0 "$pid" 2>/dev/null || { echo "psimon stopped:" >&2; tail -5 "$work/psimon.log" >&2; exit 1; }
    sleep 0.2
  done
  python3 -c "print(round($target / ($now - $first)))"
}

echo "psimon without [outcomes] ($workers worker(s), cores $cpus) ..."
start "$work/plain.toml"
plain=$(rate psimon_events_counted_total "$count")
plain_peak=$(peak_mb)
stop
echo "psimon with [outcomes] ..."
start "$work/join.toml"
joined=$(rate psimon_events_counted_total "$count")
apps_peak=$(peak_mb)
# The outcomes are produced while psimon is stopped, so that their rate is the join's and
# not the load generator's (which shares the machine); psimon restores its pending
# applications from the changelog on restart, then joins the backlog.
stop
echo "producing their outcomes to $outcomes ($outcome_partitions partitions) ..."
"$psimon" loadgen --topic "$apps" --count "$count" --start-ms "$start_ms" --step-ms 1000 \
  --outcomes-topic "$outcomes" --outcome-delay 30d --only-outcomes
echo "psimon with [outcomes] again: restores its pending applications, joins the outcomes ..."
restart_at=$(date +%s.%N)
start "$work/join.toml"
outcomes_rate=$(rate 'psimon_outcomes_total{result="joined"}' "$count")
join_peak=$(peak_mb)
restore=$(python3 -c "print(f'{$(cat "$work/first") - $restart_at:.1f}')")
store=$(du -sm "$work/psimon-join" | cut -f1)
python3 - "$count" "$plain" "$joined" "$outcomes_rate" "$plain_peak" "$apps_peak" "$join_peak" "$store" "$restore" <<'PY'
import sys
count, plain, joined, outcomes, plain_peak, apps_peak, join_peak, store = map(int, sys.argv[1:9])
restore = sys.argv[9]
print(f"applications without the join: {plain:,}/s; peak resident memory {plain_peak} MiB")
print(f"applications with the join:    {joined:,}/s = {joined / plain:.2f} of the rate without; "
      f"outcomes joined with up to {count:,} pending: {outcomes:,}/s")
print(f"restart with {count:,} pending: first outcome joined {restore} s after the start")
print(f"with the join: peak resident memory {apps_peak} MiB counting the applications, "
      f"{join_peak} MiB restoring and joining their outcomes; join store on disk {store} MB "
      f"({store * 1e6 / count:.0f} bytes per application)")
PY
