#!/usr/bin/env bash
# Integration: ws and wss listeners of the real cairn binary against Python
# paho (websocket_clients.py: Debian 12's mosquitto clients speak no
# WebSocket), and the refused upgrades counted in /metrics.
#
# usage: websocket_listeners_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$(realpath "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(mktemp -d)"
pid=""
status=1
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if ((status != 0)) && [[ -f "$dir/log" ]]; then tail -20 "$dir/log"; fi
  rm -rf "$dir"
}
trap cleanup EXIT

cd "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -subj "/CN=cairn test CA" -days 2 -out ca.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null

read -r plain ws wss metrics < <(free_ports 4)
cat >cairn.toml <<EOF
[[listener]]
listen = "127.0.0.1:$plain"

[[listener]]
type = "ws"
listen = "127.0.0.1:$ws"

[[listener]]
type = "wss"
listen = "127.0.0.1:$wss"
path = "/mqtt"
cert_file = "$dir/server.pem"
key_file = "$dir/server.key"

[metrics]
listen = "127.0.0.1:$metrics"
[storage]
data_dir = "$dir/data"
EOF
"$cairn" --config "$dir/cairn.toml" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if (echo >"/dev/tcp/127.0.0.1/$wss") 2>/dev/null; then break; fi
  sleep 0.05
done

failed=0
/usr/bin/python3 "$here/websocket_clients.py" "$plain" "$ws" "$wss" "$dir/ca.pem" || failed=1
sleep 0.3
# The paho connect to /wrong, the 404 and the 400 above.
refused="$(curl -s "http://127.0.0.1:$metrics/metrics" |
  awk '$1 == "cairn_handshake_failures_total{reason=\"websocket\"}" { print $2 }')"
if [[ "$refused" != 3 ]]; then
  echo "FAIL: refused upgrades counted: expected 3, got '$refused'"
  failed=1
fi
if ! grep -q "closing: WebSocket handshake failed (listener\[1\]): path '/wrong' is not '/mqtt'" log; then
  echo "FAIL: the refused upgrade is not logged with its reason"
  failed=1
fi
passed=0
stop_cairn "$pid" "$dir/log"
pid=""
status=$failed
echo "websocket_listeners: $([[ $failed == 0 ]] && echo passed || echo failed)"
exit "$failed"
