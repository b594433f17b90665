#!/usr/bin/env bash
# The metrics endpoint's start-up: an address already taken stops cairn with a
# message naming metrics.listen (not a broker silently without metrics), and
# an empty address turns the endpoint off while the broker serves MQTT.
#
# usage: metrics_endpoint_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
dir="$(mktemp -d)"
holder=""
cleanup() {
  # Signal only what is still this script's running child (PIDs get reused).
  if [[ -n "$holder" ]] && jobs -r -p | grep -qx "$holder"; then kill "$holder" 2>/dev/null || true; fi
  for pid in $(jobs -r -p); do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The metrics port is taken: cairn refuses to start and says which key.
taken="$(free_port)"
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $taken)); s.listen(); time.sleep(60)" &
holder=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $taken)).close()" 2>/dev/null && break
  sleep 0.05
done
status=0
timeout 20 "$cairn" --listen "127.0.0.1:$(free_port)" --metrics-listen "127.0.0.1:$taken" \
  --data-dir "$dir/a" >"$dir/a.log" 2>&1 || status=$?
[[ $status -ne 0 && $status -ne 124 ]] || fail "cairn with its metrics port taken: exit $status, expected a refusal"
grep -q "metrics.listen" "$dir/a.log" || fail "the refusal does not name metrics.listen: $(cat "$dir/a.log")"
echo "PASS  metrics port taken: exit $status, $(grep -o 'cannot serve metrics[^;]*' "$dir/a.log" | head -1)"

# 2. --metrics-listen "": no endpoint, the broker still serves MQTT.
port="$(free_port)"
"$cairn" --listen "127.0.0.1:$port" --metrics-listen "" --data-dir "$dir/b" >"$dir/b.log" 2>&1 &
for _ in $(seq 200); do grep -q "listening" "$dir/b.log" && break; sleep 0.05; done
grep -q "metrics off" "$dir/b.log" || fail "no 'metrics off' line: $(cat "$dir/b.log")"
mosquitto_pub -p "$port" -q 1 -t a -m x || fail "cairn without metrics does not take a publish"
echo "PASS  metrics off: the broker serves MQTT and says the endpoint is off"
