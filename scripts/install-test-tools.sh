#!/usr/bin/env bash
# Installs the independent clients the tests use, from Debian's packages: kcat (Kafka) and
# promtool (package prometheus), curl (scripts/registry.sh), openssl (test certificates)
# and chromium (the HTML pages, opened headless). Java 17 and Maven (for the
# broker) and Java 21+ (for the schema registry) come with the machine.
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v promtool >/dev/null || missing+=(prometheus)
command -v curl >/dev/null || missing+=(curl)
# The test broker's throw-away CA and the HTTPS test's certificates.
command -v openssl >/dev/null || missing+=(openssl)
# Headless Chromium opens the HTML report and the live page (tests/html_pages.rs).
command -v chromium >/dev/null || missing+=(chromium)
# A virtual environment's pip fetches the public samples (scripts/public-samples.sh).
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for tool in java mvn kcat promtool curl openssl chromium; do
  command -v "$tool" >/dev/null || { echo "install-test-tools.sh: $tool is still missing" >&2; exit 1; }
done
