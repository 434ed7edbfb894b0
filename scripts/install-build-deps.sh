#!/usr/bin/env bash
# Installs what building psimon needs beyond Rust, from Debian's packages, when missing:
# a C toolchain, pkg-config and perl (librdkafka, Cyrus SASL and MIT Kerberos are built
# from the crates' own sources), OpenSSL's headers (TLS, SCRAM; linked dynamically, so
# Debian's security updates apply) and libcurl's (OAUTHBEARER with OIDC client
# credentials). Without libcurl's headers the build still succeeds but lacks OIDC;
# `psimon --version` lists what a build supports.
set -euo pipefail
missing=()
for pkg in build-essential pkg-config perl libssl-dev libcurl4-openssl-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "install-build-deps.sh: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
