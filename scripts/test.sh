#!/usr/bin/env bash
# The test suite: starts the single-node Kafka broker (scripts/kafka.sh) for the
# integration tests, runs `cargo test --release`, and stops the broker again if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in kcat promtool; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is missing; run scripts/install-test-tools.sh" >&2; exit 1; }
done

started=0
if ! scripts/kafka.sh status; then
  scripts/kafka.sh start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then scripts/kafka.sh stop; fi; }
trap cleanup EXIT

cargo test --release "$@"
