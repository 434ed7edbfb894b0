#!/usr/bin/env bash
# End-to-end throughput of `psimon run` against the real broker on this machine:
# applications with 20 numeric features are produced to a fresh topic first, then psimon
# (pinned to the last core with taskset; the broker runs where the OS puts it) consumes, decodes, bins and counts them; the figure is
# applications per second from its first to its last counted event, read from /metrics.
#
# With the durable state on (as always), it also reports what went to the state topic.
#
#   scripts/throughput.sh [COUNT]     (default 2,000,000; needs a release build)
#   PSIMON_BIN=path/to/psimon scripts/throughput.sh   (another build, e.g. an older commit)
#   PARTITIONS=12 scripts/throughput.sh      (the topic on 12 partitions; default 1)
#   WORKERS=2 PARTITIONS=12 scripts/throughput.sh   (psimon with 2 counting workers, not
#                                              pinned: every core; default 1 worker, pinned)
#   PYTHON=1 scripts/throughput.sh           (also the Python consumer of benches/python/,
#                                              pinned to the same core; installs
#                                              confluent-kafka and orjson into a venv)
#   POPULATION_BINS=0 scripts/throughput.sh   (a baseline without population bins: one
#                                              binning per feature instead of two)
#   SECURITY=sasl_ssl scripts/throughput.sh   (psimon consumes over the test broker's
#                                              SASL_SSL listener, SCRAM-SHA-512; mtls: its
#                                              mutual-TLS listener; the topic is produced and
#                                              the ceiling measured over PLAINTEXT)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000000}
# shellcheck source=lib/wide-run.sh
. scripts/lib/wide-run.sh
topic="throughput-$suffix"
"$psimon" generate --wide --rows 50000 --out "$work/dev.csv"
pop_args=()
[ -n "${POPULATION_BINS:-}" ] && pop_args=(--population-bins "$POPULATION_BINS")
"$psimon" baseline --input "$work/dev.csv" --out "$work/baseline.json" "${pop_args[@]}" > /dev/null
{
  wide_config_head throughput "$topic"
  cat <<TOML
[[windows]]
kind = "time"
name = "1h"
length = "1h"
slide = "1m"
[[windows]]
kind = "count"
name = "last_100000"
size = 100000
[evaluation]
interval = "5s"
TOML
} > "$work/psimon.toml"

# The secured listeners of scripts/kafka.sh (docs/security.md).
if [ -n "${SECURITY:-}" ]; then
  tls=$(scripts/kafka.sh tls-dir)
  case "$SECURITY" in
    sasl_ssl) listener=$(( ${PSIMON_KAFKA_PORT:-9092} + 2 )); props=$(printf '"security.protocol" = "SASL_SSL"\n"sasl.mechanisms" = "SCRAM-SHA-512"\n"sasl.username" = "psimon"\n"sasl.password" = "%s"\n"ssl.ca.location" = "%s/ca.pem"' "$(cat "$tls/scram-password")" "$tls") ;;
    mtls) listener=$(( ${PSIMON_KAFKA_PORT:-9092} + 3 )); props=$(printf '"security.protocol" = "SSL"\n"ssl.ca.location" = "%s/ca.pem"\n"ssl.certificate.location" = "%s/client.pem"\n"ssl.key.location" = "%s/client.key"' "$tls" "$tls" "$tls") ;;
    *) echo "SECURITY must be sasl_ssl or mtls" >&2; exit 2 ;;
  esac
  sed -i "s/^brokers = .*/brokers = \"127.0.0.1:$listener\"/" "$work/psimon.toml"
  printf '\n[kafka.properties]\n%s\n' "$props" >> "$work/psimon.toml"
  echo "psimon consumes over $SECURITY (127.0.0.1:$listener)"
fi

echo "producing $count applications to $topic ..."
"$psimon" loadgen --wide --model wide --topic "$topic" --partitions "${PARTITIONS:-1}" --count "$count" --start-ms "$(( $(date +%s%3N) - 600000 ))"
core=$(( $(nproc) - 1 ))
ceiling_bin=target/release/examples/consume_ceiling
[ -x "$ceiling_bin" ] || cargo build --release --example consume_ceiling
# The ceiling varies from run to run (the broker's cache, the other core's load): it is
# measured three times and the fastest is the one psimon is compared with.
echo "the ceiling: librdkafka consuming the topic, nothing parsed, pinned to core $core (3 runs) ..."
ceiling=""
for _ in 1 2 3; do
  c=$(taskset -c "$core" "$ceiling_bin" "127.0.0.1:${PSIMON_KAFKA_PORT:-9092}" "$topic" "$count" ${PSIMON_KAFKA__PREFETCH_BYTES:-})
  echo "$c"
  if [ -z "$ceiling" ] || python3 -c "import sys; f=lambda s: float(s.rsplit(': ',1)[1].split()[0]); sys.exit(0 if f(sys.argv[1]) > f(sys.argv[2]) else 1)" "$c" "$ceiling"; then
    ceiling=$c
  fi
done
workers=${WORKERS:-1}
if [ "$workers" = 1 ]; then
  cpus=$core
  echo "consuming with psimon (1 worker) pinned to core $core ..."
else
  cpus=0-$core
  echo "consuming with psimon ($workers workers) on cores $cpus (the broker shares them) ..."
fi
PSIMON_KAFKA__WORKERS=$workers ${PSIMON_WRAP:-} taskset -c "$cpus" "$psimon" run --config "$work/psimon.toml" 2> "$work/psimon.log" &
pid=$!
first="" ; first_n=0
while :; do
  n=$(metric psimon_events_counted_total || true); n=${n:-0}; n=${n%.*}
  now=$(date +%s.%N)
  if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$now; first_n=$n; fi
  if [ "$n" -ge "$count" ]; then break; fi
  sleep 0.2
done
end=$(date +%s.%N)
python3 - "$first" "$end" "$first_n" "$count" <<'PY'
import sys
first, end, first_n, count = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
secs = end - first
print(f"psimon counted {count - first_n} applications in {secs:.2f} s: {(count - first_n) / secs:,.0f} applications/s")
PY
python3 - "$ceiling" "$(cat "$work/span" 2>/dev/null || true)" "$first" "$end" "$first_n" "$count" <<'PY'
import sys
ceiling = float(sys.argv[1].rsplit(": ", 1)[1].split()[0])
first, end, first_n, count = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rate = (count - first_n) / (end - first)
print(f"psimon / ceiling: {rate:,.0f} / {ceiling:,.0f} = {rate / ceiling:.0%} of the consume ceiling")
PY
echo "$first $end" > "$work/span"
sleep 1.5  # the last checkpoint
state_bytes=$(metric psimon_state_bytes_written_total || true)
txns=$(metric 'psimon_transactions_total{result="committed"}' || true)
if [ -n "$state_bytes" ]; then
  python3 - "$first" "$end" "${state_bytes%.*}" "${txns%.*}" <<'PY'
import sys
first, end, b, t = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"state topic: {b:,} bytes in {t} transactions ({b / (end - first):,.0f} bytes/s while counting)")
PY
fi
curl -s "127.0.0.1:$port/metrics" | grep -E '^psimon_(events_(consumed|counted|late)_total|event_processing_delay_seconds\{quantile="0.99"\})'
echo "psimon resident memory: $(( $(ps -o rss= -p "$pid") / 1024 )) MB now, $(( $(awk '/VmHWM/ {print $2}' "/proc/$pid/status") / 1024 )) MB at its peak"
if [ -n "${PYTHON:-}" ]; then
  venv=${XDG_CACHE_HOME:-$HOME/.cache}/psimon/pybench
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import confluent_kafka, orjson" 2>/dev/null \
    || "$venv/bin/pip" install -q confluent-kafka orjson
  echo "the Python consumer, pinned to core $core ..."
  py=$(taskset -c "$core" "$venv/bin/python" benches/python/consumer.py \
    "127.0.0.1:${PSIMON_KAFKA_PORT:-9092}" "$topic" "$count" "$work/baseline.json")
  echo "$py"
  python3 - "$py" "$(cat "$work/span")" "$first_n" "$count" <<'PY'
import sys
py = float(sys.argv[1].rsplit(": ", 1)[1].split()[0])
first, end = map(float, sys.argv[2].split())
rate = (int(sys.argv[4]) - int(sys.argv[3])) / (end - first)
print(f"psimon / python: {rate:,.0f} / {py:,.0f} = {rate / py:.1f}x")
PY
fi
