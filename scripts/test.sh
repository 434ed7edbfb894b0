#!/usr/bin/env bash
# The test suite: installs the test tools when missing, starts the single-node Kafka broker
# (scripts/kafka.sh) for the integration tests, runs `cargo test --release`, and stops the
# broker again if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need, installed when missing (kcat and promtool from Debian's packages;
# the broker's jars through Maven): one command on a fresh machine.
scripts/install-test-tools.sh

started=0
if ! scripts/kafka.sh status; then
  scripts/kafka.sh start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then scripts/kafka.sh stop; fi; }
trap cleanup EXIT

cargo test --release "$@"
