#!/usr/bin/env bash
# Scaling out on the real broker: COUNT applications with 20 numeric features (default
# 2,000,000) go to a fresh topic of PARTITIONS partitions (default 12), counted by
# INSTANCES psimon processes (default 3) of WORKERS counting workers each (default 2), one
# consumer group, each instance with its own instance_id and HTTP port, on every core.
# Reports the group's applications/s from the first counted event to the last (the sum of
# every instance's psimon_events_counted_total, read from /metrics) and each instance's
# share. Compare with one instance of the same workers (INSTANCES=1): on one machine the
# sum can only hold what its cores allow; across machines it adds up.
#
#   scripts/scale-out.sh [COUNT]
#   INSTANCES=1 WORKERS=2 scripts/scale-out.sh   (one instance, for comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000000}
instances=${INSTANCES:-3}
workers=${WORKERS:-2}
partitions=${PARTITIONS:-12}
# shellcheck source=lib/wide-run.sh
. scripts/lib/wide-run.sh
topic="scale-$suffix"
"$psimon" generate --wide --rows 20000 --out "$work/dev.csv" > /dev/null
"$psimon" baseline --input "$work/dev.csv" --out "$work/baseline.json" > /dev/null
{
  wide_config_head scale "$topic"
  printf '[[windows]]\nkind = "count"\nname = "last_100000"\nsize = 100000\n[evaluation]\ninterval = "5s"\n'
} > "$work/base.toml"
"$psimon" loadgen --wide --model wide --topic "$topic" --partitions "$partitions" --count 0 > /dev/null

pids=(); ports=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; cleanup' EXIT
start_all() {
  local i
  for i in $(seq 1 "$instances"); do
    PSIMON_KAFKA__INSTANCE_ID="scale-$i" PSIMON_KAFKA__WORKERS=$workers \
      "$psimon" run --config "$work/i$i.toml" 2>> "$work/i$i.log" &
    pids+=("$!")
  done
}
# METRIC of each instance, one line each.
of_each() {
  local p v
  for p in "${ports[@]}"; do
    v=$(metric "$1" "$p")
    echo "${v:-0}"
  done
}
sum_of() { of_each "$1" | awk '{t += $1} END {print t+0}'; }
for i in $(seq 1 "$instances"); do
  ports+=("$(free_port)")
  sed -e "s/127.0.0.1:$port/127.0.0.1:${ports[-1]}/" "$work/base.toml" > "$work/i$i.toml"
done
# The group forms on the empty topic first; its static members then stop and come back
# after the backlog is produced, each to its own partitions at once (no rebalance), so
# that the rate is the group's and not that of the first instance to join.
echo "forming the group: $instances instance(s) x $workers worker(s) ..."
start_all
until [ "$(sum_of psimon_assigned_partitions)" -ge "$partitions" ] &&
  ! of_each psimon_assigned_partitions | grep -qx 0; do sleep 0.5; done
echo "partitions assigned to each: $(of_each psimon_assigned_partitions | tr '\n' ' ')"
stop_all
echo "producing $count applications to $topic ($partitions partitions) ..."
"$psimon" loadgen --wide --model wide --topic "$topic" --partitions "$partitions" --count "$count" \
  --start-ms "$(( $(date +%s%3N) - 600000 ))"
start_all
first=""
while :; do
  n=$(sum_of psimon_events_counted_total); now=$(date +%s.%N)
  if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$now; fi
  [ "$n" -ge "$count" ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "an instance stopped" >&2; exit 1; }; done
  sleep 0.2
done
echo "partitions assigned to each: $(of_each psimon_assigned_partitions | tr '\n' ' ')"
python3 -c "
import sys
count, first, now = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f'{sys.argv[4]} instance(s) x {sys.argv[5]} worker(s): {count / (now - first):,.0f} '
      f'applications/s in all; counted by each: {sys.argv[6]}')
" "$count" "$first" "$now" "$instances" "$workers" "$(of_each psimon_events_counted_total | tr '\n' ' ')"
