#!/usr/bin/env bash
# Quick start: install what is missing, build the release preset, run cairn.
# Arguments are passed to cairn (e.g. ops/run.sh --help).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ops/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cairn --parallel "${CAIRN_JOBS:-$(nproc)}"
exec build/release/src/app/cairn "$@"
