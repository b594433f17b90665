#!/usr/bin/env bash
# The crash-recovery suite (tests/crash/README.md): install what is missing,
# build the release preset, and run cairn-crashtest against the cairn just
# built, or against the broker given with --cairn. Other arguments go to
# cairn-crashtest, e.g.
#
#   ops/crashtest.sh --cycles 200 --data-dir /var/lib/cairn-crashtest
#   ops/crashtest.sh --cairn /usr/local/bin/cairn --config /etc/cairn.toml --modes sigkill,power
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ops/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target cairn cairn-crashtest cairn-powerfs \
  --parallel "${CAIRN_JOBS:-$(nproc)}"
args=("$@")
if [[ " ${args[*]-} " != *" --cairn "* && " ${args[*]-} " != *" --cairn="* ]]; then
  args=(--cairn build/release/src/app/cairn "${args[@]}")
fi
exec build/release/tests/crash/cairn-crashtest "${args[@]}"
