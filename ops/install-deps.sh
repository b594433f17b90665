#!/usr/bin/env bash
# Installs the Debian packages of ops/debian-packages.txt that are missing.
# Idempotent: when everything is installed it changes nothing and needs no
# network. Uses sudo when not run as root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="$here/debian-packages.txt"

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$list")

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: not root and sudo is not installed; install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"

# The comparison broker of bench/compare.sh is a Debian mosquitto, whose
# package starts a system service on port 1883, the port cairn's default
# configuration listens on. When this script installed it, that service is
# stopped and disabled (compare.sh starts its own mosquitto on a free port);
# a mosquitto the machine already had is left alone.
for package in "${missing[@]}"; do
  if [[ "$package" == mosquitto ]] && [[ -d /run/systemd/system ]] &&
    command -v systemctl >/dev/null; then
    echo "install-deps: stopping and disabling the mosquitto service (it would hold port 1883)"
    "${sudo[@]}" systemctl disable --now mosquitto.service || true
  fi
done
