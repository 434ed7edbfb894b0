#!/usr/bin/env bash
# How long a restart takes to restore its windows from the state topic, end to end on the
# local broker: 12 input partitions x 96 panes (a 24 h window sliding every 15 min) x 20
# features x 12 bins. Counts 120,000 applications spread over 24 h of event time, stops
# psimon (SIGTERM), starts it again and reports the time to load the state table, to
# restore the 12 partitions (psimon_state_restore_duration_seconds), and to /readyz.
#
#   scripts/restore-time.sh            (needs a release build and the broker's tools)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/wide-run.sh
. scripts/lib/wide-run.sh
topic="restore-$suffix"
"$psimon" generate --wide --rows 50000 --out "$work/dev.csv"
"$psimon" baseline --input "$work/dev.csv" --out "$work/baseline.json" --max-bins 12 --min-bin-share 0.01 > /dev/null
{
  wide_config_head restore "$topic" 'max_time_skew = "48h"'
  cat <<TOML
[[windows]]
kind = "time"
name = "24h"
length = "24h"
slide = "15m"
[evaluation]
interval = "2s"
TOML
} > "$work/psimon.toml"

start_ms=$(( $(date +%s%3N) - 86400000 ))
"$psimon" loadgen --wide --model wide --topic "$topic" --partitions 12 --count 120000 \
  --step-ms 720 --start-ms "$start_ms" > /dev/null
"$psimon" run --config "$work/psimon.toml" 2> "$work/first.log" &
pid=$!
until [ "$(metric psimon_events_counted_total || true)" = "120000" ]; do sleep 0.2; done
sleep 2
echo "first run: $(metric psimon_state_table_panes) panes in the state table, $(metric psimon_state_bytes_written_total) bytes written"
kill "$pid"; wait "$pid" || true

t0=$(date +%s.%N)
RUST_LOG=info "$psimon" run --config "$work/psimon.toml" 2> "$work/second.log" &
pid=$!
until curl -sf "127.0.0.1:$port/readyz" > /dev/null; do sleep 0.02; done
t1=$(date +%s.%N)
grep -o 'state table loaded.*' "$work/second.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g' || true
grep -o 'restored assigned partitions.*' "$work/second.log" | sed 's/\x1b\[[0-9;]*m//g'
python3 - "$t0" "$t1" "$(metric psimon_state_restore_duration_seconds)" "$(metric psimon_state_panes_restored_total)" <<'PY'
import sys
t0, t1, restore, panes = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"restart to ready: {t1 - t0:.2f} s; restore of the assigned partitions: {restore * 1000:.0f} ms ({panes} panes)")
PY
