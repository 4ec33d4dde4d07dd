#!/usr/bin/env bash
# The Debian packages the tests need besides Node and Go: docker-compose validates docker-compose.yml (no Docker engine
# needed for `config`), and jemalloc is the allocator workers run on, as in the image.
set -euo pipefail
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -e "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" ] || missing+=(libjemalloc2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "error: missing ${missing[*]}: install it (Debian/Ubuntu: sudo apt-get install ${missing[*]}); the tests validate docker-compose.yml and run workers on jemalloc" >&2
  exit 1
fi
echo "installing Debian's ${missing[*]} (the tests validate docker-compose.yml and run workers on jemalloc)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
