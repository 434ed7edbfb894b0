#!/usr/bin/env bash
# End-to-end throughput of the outcome join on the real broker, one core: COUNT
# applications (default 1,000,000) are produced and consumed first, so that COUNT are
# pending in the join store; then their outcomes are produced and joined. Reports
# applications/s with the join on, outcomes joined/s with COUNT pending, and the store's
# disk and psimon's resident memory. Read from /metrics; psimon pinned with taskset.
#
#   scripts/join-throughput.sh [COUNT]
#
# OUTCOME_PARTITIONS=2 puts the outcomes on 2 partitions (the applications have 1), so that
# psimon repartitions them through <group>.psimon-outcomes-by-id: the cost of forwarding.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
outcome_partitions=${OUTCOME_PARTITIONS:-1}
# shellcheck source=lib/wide-run.sh
. scripts/lib/wide-run.sh
apps="join-apps-$suffix"; outcomes="join-outcomes-$suffix"
"$psimon" generate --rows 20000 --out "$work/dev.csv" > /dev/null
"$psimon" baseline --input "$work/dev.csv" --target bad --out "$work/baseline.json" > /dev/null
start_ms=1700000000000
echo "producing $count applications to $apps ..."
"$psimon" loadgen --topic "$apps" --partitions 1 --count "$count" --start-ms "$start_ms" --step-ms 1000
"$psimon" loadgen --topic "$outcomes" --partitions "$outcome_partitions" --count 0 > /dev/null
sed -e "s/input_topics = \[\"applications\"\]/input_topics = [\"$apps\"]/; s/group_id = \"psimon\"/group_id = \"join-$suffix\"/; s/psimon.drift/$apps-drift/; s/psimon.dlq/$apps-dlq/; s/baseline.example.json/baseline.json/; s/127.0.0.1:9464/127.0.0.1:$port/; s/127.0.0.1:9092/127.0.0.1:${PSIMON_KAFKA_PORT:-9092}/" config/psimon.example.toml > "$work/psimon.toml"
cat >> "$work/psimon.toml" <<TOML
[outcomes]
topic = "$outcomes"
outcome = "/outcome"
outcome_time = "/observed_at"
bad_values = ["1"]
good_values = ["0"]
horizon = "400d"
grace = "1d"
[[outcomes.windows]]
kind = "count"
name = "last_100000_outcomes"
size = 100000
TOML
core=$(( $(nproc) - 1 ))
taskset -c "$core" "$psimon" run --config "$work/psimon.toml" 2> "$work/psimon.log" &
pid=$!
# Waits until METRIC reaches TARGET; prints the seconds from its first change.
timed() {
  local m=$1 target=$2 first="" n now
  while :; do
    n=$(metric "$m" || true); n=${n:-0}; n=${n%.*}
    now=$(date +%s.%N)
    if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$now; fi
    if [ "$n" -ge "$target" ]; then break; fi
    kill -0 "$pid" 2>/dev/null || { echo "psimon stopped:"; tail -5 "$work/psimon.log"; exit 1; }
    sleep 0.2
  done
  python3 -c "print(f'{$now - $first:.2f}')"
}
secs=$(timed psimon_events_counted_total "$count")
python3 -c "print(f'applications with the join on: {$count:,} in $secs s: {$count / $secs:,.0f}/s on one core')"
sleep 2
echo "producing their outcomes to $outcomes ..."
"$psimon" loadgen --topic "$apps" --count "$count" --start-ms "$start_ms" --step-ms 1000 \
  --outcomes-topic "$outcomes" --outcome-delay 30d --only-outcomes &
loadgen_pid=$!
secs=$(timed 'psimon_outcomes_total{result="joined"}' "$count")
wait "$loadgen_pid"
python3 -c "print(f'outcomes joined with up to {$count:,} pending: {$count:,} in $secs s: {$count / $secs:,.0f}/s on one core')"
echo "join store on disk: $(du -sh "$work/psimon-join" | cut -f1); psimon resident memory: $(( $(ps -o rss= -p "$pid") / 1024 )) MB"
