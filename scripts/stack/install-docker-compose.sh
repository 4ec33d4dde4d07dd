#!/usr/bin/env bash
# The compose test validates docker-compose.yml with Debian's docker-compose (no Docker engine needed for `config`).
set -euo pipefail
command -v docker-compose >/dev/null && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "error: docker-compose is missing: install it (Debian/Ubuntu: sudo apt-get install docker-compose) to validate docker-compose.yml" >&2
  exit 1
fi
echo "installing Debian's docker-compose (validates docker-compose.yml in the tests)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
