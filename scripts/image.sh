#!/usr/bin/env bash
# Builds psimon's container image from ./Dockerfile with podman and starts it, as CI does.
#
#   scripts/image.sh build   the builder base (once), the image psimon:<version>
#   scripts/image.sh test    build, then run the image: the demo must count events and
#                            serve /metrics and /readyz; the user is 10001; the image is small
#
# No image registry is reachable here, so the builder base image is made from Debian's
# packages: debootstrap (bookworm, minbase, build-essential, cmake, pkg-config) plus this
# machine's Rust toolchain copied in, imported as localhost/psimon-builder:bookworm. The
# crates are vendored into the build context, so the build needs no network.
#
# This machine's container sandbox needs two settings, found by trying: crun refuses to
# run here (cgroups in hybrid mode), runc works (`--runtime runc`); and the default
# RLIMIT_NOFILE/NPROC cannot be set without CAP_SYS_RESOURCE, which this sandbox lacks,
# so explicit lower ulimits are given. Networking: the host's (`--network host`).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
image="localhost/psimon:$version"
# The tag names the package set: a builder made before a package was added is not reused.
builder=localhost/psimon-builder:bookworm-tls
mirror=${PSIMON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "image.sh: $*" >&2; }
# Open files: this shell's hard limit, at most 65536. Processes: 4096 (the hard limit
# itself is refused, found by trying; a build runs a few dozen).
nofile=$(ulimit -Hn)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=4096:4096")
podman=(podman --runtime runc)

install_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    local sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

builder_image() {
  if "${podman[@]}" image exists "$builder"; then return 0; fi
  local root
  root=$(mktemp -d)
  log "debootstrap of Debian bookworm (minbase + build tools) into $root"
  debootstrap --variant=minbase \
    --include=build-essential,cmake,pkg-config,perl,ca-certificates,zlib1g-dev,libssl-dev,libcurl4-openssl-dev \
    bookworm "$root" "$mirror" >/dev/null
  local sysroot
  sysroot=$(rustc --print sysroot)
  log "adding the Rust toolchain $(rustc --version | cut -d' ' -f2) from $sysroot"
  mkdir -p "$root/usr/local/rust"
  cp -a "$sysroot/." "$root/usr/local/rust/"
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  tar -C "$root" -c . | "${podman[@]}" import \
    --change 'ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' \
    - "$builder" >/dev/null
  rm -rf "$root"
  log "builder image $builder ready"
}

build() {
  install_tools
  builder_image
  local ctx
  ctx=$(mktemp -d)
  # The tracked files as they are in the work tree, and the vendored crates.
  git ls-files -z | xargs -0 -I{} cp --parents {} "$ctx"
  mkdir -p "$ctx/.cargo"
  # Run in the context, so that the config names the vendor directory relatively.
  (cd "$ctx" && cargo vendor --locked vendor > .cargo/config.toml 2>/dev/null)
  log "building $image"
  "${podman[@]}" build "${limits[@]}" --network host -t "$image" -f Dockerfile "$ctx" >&2
  rm -rf "$ctx"
  "${podman[@]}" image ls "$image" >&2
}

test_image() {
  build
  local user size port
  user=$("${podman[@]}" image inspect "$image" --format '{{.Config.User}}')
  [ "$user" = "10001:10001" ] || { log "the image runs as '$user', not 10001:10001"; exit 1; }
  size=$("${podman[@]}" image inspect "$image" --format '{{.Size}}')
  log "image size $((size / 1048576)) MiB, user $user"
  [ "$size" -lt $((100 * 1048576)) ] || { log "the image is larger than 100 MiB"; exit 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  name="psimon-image-test-$$"   # global: the EXIT trap removes the container
  "${podman[@]}" run -d --rm --name "$name" "${limits[@]}" --network host "$image" \
    demo --http "127.0.0.1:$port" --duration 60s --rate 2000 --drift-after 600s >/dev/null
  trap '"${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true' EXIT
  local counted=0
  for _ in $(seq 1 60); do
    counted=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null \
      | sed -n 's/^psimon_events_counted_total \([0-9.e+]*\)$/\1/p' || true)
    if [ -n "$counted" ] && python3 -c "import sys; sys.exit(0 if float('$counted') >= 1000 else 1)"; then
      break
    fi
    sleep 1
  done
  python3 -c "import sys; sys.exit(0 if float('${counted:-0}') >= 1000 else 1)" || {
    log "the container's demo did not count 1,000 events; its log:"
    "${podman[@]}" logs "$name" >&2 || true
    exit 1
  }
  # Ready once every worker has joined: one may count before the others have their
  # partitions (seen: 1,000 events counted while /readyz said "joining the consumer group").
  local ready=0
  for _ in $(seq 1 30); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 1
  done
  [ "$ready" = 1 ] || {
    log "the container's demo counts but is not ready after 30 s: $(curl -sS "http://127.0.0.1:$port/readyz")"
    "${podman[@]}" logs "$name" >&2 || true
    exit 1
  }
  log "the image's demo counted $counted events and is ready"
  "${podman[@]}" rm -f "$name" >/dev/null
  secured
  log "image ok"
}

# The image's binary supports what docs/security.md promises, and connects to the test broker's
# SASL_SSL listener with SCRAM-SHA-512 (CA and password mounted read-only).
secured() {
  local features
  features=$("${podman[@]}" run --rm "${limits[@]}" "$image" --version | tail -1)
  for f in ssl sasl_scram sasl_gssapi sasl_oauthbearer oidc zstd lz4 snappy gzip; do
    case ",$features," in *"$f"*) ;; *) log "the image lacks $f: $features"; exit 1 ;; esac
  done
  local started=0
  if ! scripts/kafka.sh status; then scripts/kafka.sh start; started=1; fi
  local tls topic
  tls=$(scripts/kafka.sh tls-dir)
  topic="image-sasl-$$"
  "${podman[@]}" run --rm "${limits[@]}" --network host -v "$tls:/tls:ro" "$image" \
    loadgen --brokers 127.0.0.1:9094 --topic "$topic" --count 1000 \
    -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=psimon \
    -X "sasl.password=$(cat "$tls/scram-password")" -X ssl.ca.location=/tls/ca.pem \
    -X compression.type=zstd >&2
  local n
  n=$(kcat -b 127.0.0.1:9092 -C -t "$topic" -e -q | wc -l)
  if [ "$started" = 1 ]; then scripts/kafka.sh stop; fi
  [ "$n" = 1000 ] || { log "the image produced $n of 1000 events over SASL_SSL"; exit 1; }
  log "the image produced 1000 events over SASL_SSL/SCRAM-SHA-512 with zstd ($features)"
}

case "${1:-}" in
  build) build ;;
  test) test_image ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
