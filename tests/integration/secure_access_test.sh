#!/usr/bin/env bash
# Integration (issue 8 acceptance): the transports and the access rules
# together, as an operator moving from mosquitto deploys them — a password
# file written by Debian's mosquitto_passwd, an ACL file in mosquitto's
# syntax, and these listeners:
#   - mqtts with mutual TLS, the certificate's CN as the user name;
#   - mqtts with mutual TLS and a user name and password;
#   - ws and wss with a user name and password.
# Clients: the real mosquitto_pub/mosquitto_sub over mqtts (--cafile,
# --cert/--key, -u/-P) and Python paho over ws/wss (ws_access_client.py).
#
# Checks: round trips across transports; logins refused with the right
# CONNACK code on each transport; SUBACK 0x87 / 0x80 for a denied filter and
# a denied publish not delivered, on TLS and WebSocket; %c and %u patterns;
# and the durability promise on every transport: QoS 1 messages acknowledged
# over mqtts and over ws, queued for offline subscribers on the other
# transport, survive kill -9.
#
# usage: secure_access_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$(realpath "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ws_client=(/usr/bin/python3 "$here/ws_access_client.py")
passed=0
failed=0
dir="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if ((failed > 0)) && [[ -f "$dir/log" ]]; then tail -30 "$dir/log"; fi
  rm -rf "$dir"
}
trap cleanup EXIT


# --- certificates (EC P-256: fast) and the operator's files ------------------------
cd "$dir"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }
key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=cairn test CA" -days 2 -out ca.pem 2>/dev/null
cert() {  # name CN [subjectAltName]
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  local ext=()
  if [[ -n "${3:-}" ]]; then
    printf 'subjectAltName=%s\n' "$3" >"$1.ext"
    ext=(-extfile "$1.ext")
  fi
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "${ext[@]}" \
    -out "$1.pem" 2>/dev/null
}
cert server localhost "DNS:localhost,IP:127.0.0.1"
cert alice alice
cert bob bob

mosquitto_passwd -c -b passwd bob hunter2 2>/dev/null
mosquitto_passwd -b passwd carol opensesame 2>/dev/null
cat >acl <<'ACL'
# alice (by her certificate) owns alice/# and reads the news.
user alice
topic readwrite alice/#
topic read news/#

# bob writes the news and reads alice's outbox only.
user bob
topic readwrite bob/#
topic write news/#
topic read alice/out

# carol reads the news and nothing else under news/private.
user carol
topic read news/#
topic deny news/private/#

# Everyone has a per-client and a per-user space.
pattern readwrite clients/%c/#
pattern read inbox/%u/#
ACL

# --- the broker -----------------------------------------------------------------------
read -r ident mtls ws wss < <(free_ports 4)
tls_keys="$(printf 'cert_file = "%s"\nkey_file = "%s"' "$dir/server.pem" "$dir/server.key")"
mutual="$(printf 'ca_file = "%s"\nrequire_certificate = true' "$dir/ca.pem")"
cat >cairn.toml <<EOF
[[listener]]
type = "mqtts"
listen = "127.0.0.1:$ident"
$tls_keys
$mutual
use_identity_as_username = true

[[listener]]
type = "mqtts"
listen = "127.0.0.1:$mtls"
$tls_keys
$mutual

[[listener]]
type = "ws"
listen = "127.0.0.1:$ws"

[[listener]]
type = "wss"
listen = "127.0.0.1:$wss"
$tls_keys

[auth]
password_file = "$dir/passwd"
acl_file = "$dir/acl"

[metrics]
listen = ""
[storage]
data_dir = "$dir/data"
EOF
start_broker() {
  start_cairn "$cairn" "$dir/cairn.toml" "$dir/log" "$wss" && return 0
  echo "broker did not open port $wss" >&2
  return 1
}
start_broker

# mosquitto clients: alice by certificate; bob by certificate and password.
as_alice=(-h 127.0.0.1 -p "$ident" --cafile ca.pem --cert alice.pem --key alice.key)
as_bob=(-h 127.0.0.1 -p "$mtls" --cafile ca.pem --cert bob.pem --key bob.key -u bob -P hunter2)
carol_ws=(--port "$ws" --user carol --password opensesame)
carol_wss=(--port "$wss" --cafile ca.pem --user carol --password opensesame)

# --- logins on every transport ------------------------------------------------------
check "mqtts, certificate identity: alice connects without a password" 0 \
  "$(status mosquitto_pub "${as_alice[@]}" -V 5 -t alice/hello -m hi)"
check "mqtts, mTLS + password: bob connects" 0 \
  "$(status mosquitto_pub "${as_bob[@]}" -V 5 -t bob/hello -m hi)"
check "mqtts, mTLS + wrong password: CONNACK 0x86 (MQTT 5)" 134 \
  "$(status mosquitto_pub -h 127.0.0.1 -p "$mtls" --cafile ca.pem --cert bob.pem --key bob.key \
    -u bob -P wrong -V 5 -t bob/x -m x)"
check "mqtts, mTLS, no user name: refused, code 5 (3.1.1)" 5 \
  "$(status mosquitto_pub -h 127.0.0.1 -p "$mtls" --cafile ca.pem --cert bob.pem --key bob.key \
    -V 311 -t bob/x -m x)"
# (mosquitto_pub exits 7, "connection lost", when the handshake fails.)
check "mqtts, mutual TLS: no client certificate, no connection" 7 \
  "$(status mosquitto_pub -h 127.0.0.1 -p "$ident" --cafile ca.pem -u bob -P hunter2 -t bob/x -m x)"
check "ws: carol connects" 0 "$("${ws_client[@]}" connect "${carol_ws[@]}")"
check "wss: carol connects" 0 "$("${ws_client[@]}" connect "${carol_wss[@]}")"
check "ws: wrong password, CONNACK 0x86 (MQTT 5)" 134 \
  "$("${ws_client[@]}" connect --port "$ws" --user carol --password nope --v5)"
check "ws: wrong password, code 4 (3.1.1)" 4 \
  "$("${ws_client[@]}" connect --port "$ws" --user carol --password nope)"
check "ws: anonymous refused, code 5 (3.1.1)" 5 "$("${ws_client[@]}" connect --port "$ws")"

# --- round trips across transports, within the ACL ----------------------------------
# bob publishes the news over mTLS + password; alice (certificate) and carol
# (wss) read it.
mosquitto_sub "${as_alice[@]}" -q 1 -c -i alice-news -t 'news/#' -E
"${ws_client[@]}" receive "${carol_wss[@]}" --id carol-news --keep-session --topic 'news/#' \
  --count 0 --timeout 0.1 >/dev/null
mosquitto_pub "${as_bob[@]}" -q 1 -t news/today -m "sunny"
mosquitto_pub "${as_bob[@]}" -q 1 -t news/private/memo -m "for alice only"
got="$(mosquitto_sub "${as_alice[@]}" -q 1 -c -i alice-news -t 'news/#' -C 2 -W 5 -F '%t %p' || true)"
check "mqtts: alice receives bob's news (certificate identity, read rule)" \
  "$(printf 'news/today sunny\nnews/private/memo for alice only')" "$got"
got="$("${ws_client[@]}" receive "${carol_wss[@]}" --id carol-news --keep-session --count 2 \
  --timeout 2)"
check "wss: carol receives the news but not news/private (deny rule at delivery)" \
  "news/today sunny" "$got"

# carol (ws) may not write the news: with MQTT 5 the PUBLISH is refused, in
# any version nothing is delivered.
mosquitto_sub "${as_alice[@]}" -q 1 -c -i alice-watch -t 'news/#' -E
"${ws_client[@]}" publish "${carol_ws[@]}" --v5 --topic news/fake --message "fake" >/dev/null || true
"${ws_client[@]}" publish "${carol_ws[@]}" --topic news/fake --message "fake 3.1.1" >/dev/null || true
mosquitto_pub "${as_bob[@]}" -q 1 -t news/real -m "real"
got="$(mosquitto_sub "${as_alice[@]}" -q 1 -c -i alice-watch -t 'news/#' -C 1 -W 5 -F '%t %p' || true)"
check "ws: a denied publish is not delivered (the next message is bob's)" "news/real real" "$got"

# --- denied subscriptions on TLS and WebSocket --------------------------------------
check "wss: SUBACK 0x87 for a denied filter (MQTT 5)" 135 \
  "$("${ws_client[@]}" subscribe "${carol_wss[@]}" --v5 --topic 'bob/#')"
check "ws: SUBACK 0x80 for a denied filter (3.1.1)" 128 \
  "$("${ws_client[@]}" subscribe "${carol_ws[@]}" --topic 'bob/#')"
check "ws: a granted filter gets QoS 1" 1 \
  "$("${ws_client[@]}" subscribe "${carol_ws[@]}" --topic 'news/#')"
denied="$(mosquitto_sub "${as_alice[@]}" -V 5 -t 'bob/#' -C 1 -W 3 2>&1 || true)"
check "mqtts: mosquitto_sub told its subscription was denied" 1 \
  "$(grep -c 'All subscription requests were denied' <<<"$denied" || true)"

# --- %c and %u patterns over TLS and WebSocket --------------------------------------
got="$("${ws_client[@]}" receive "${carol_ws[@]}" --id dev7 --topic 'clients/dev7/#' \
  --send clients/dev7/cmd --message reboot --count 1 --timeout 5)"
check "%c: carol as client dev7 writes and reads clients/dev7/# over ws" \
  "clients/dev7/cmd reboot" "$got"
check "%c: carol as client dev8 may not read clients/dev7/# (ws)" 135 \
  "$("${ws_client[@]}" subscribe "${carol_ws[@]}" --id dev8 --v5 --topic 'clients/dev7/#')"
check "%u: alice may subscribe to inbox/alice/# (mqtts, certificate identity)" 0 \
  "$(status mosquitto_sub "${as_alice[@]}" -V 5 -t 'inbox/alice/#' -E)"
check "%u: carol may not read inbox/alice/# (ws)" 135 \
  "$("${ws_client[@]}" subscribe "${carol_ws[@]}" --v5 --topic 'inbox/alice/#')"

# --- durability on every transport ----------------------------------------------------
# Offline persistent subscribers on one transport; QoS 1 messages
# acknowledged on another; kill -9; every acknowledged message is delivered
# after the restart.
mosquitto_sub "${as_bob[@]}" -q 1 -c -i bob-durable -t 'alice/out' -E
"${ws_client[@]}" receive "${carol_ws[@]}" --id carol-durable --keep-session --topic 'news/#' \
  --count 0 --timeout 0.1 >/dev/null
for i in 1 2 3; do
  mosquitto_pub "${as_alice[@]}" -q 1 -t alice/out -m "tls $i"
  "${ws_client[@]}" publish --port "$wss" --cafile ca.pem --user bob --password hunter2 \
    --topic news/durable --message "wss $i"
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
start_broker
got="$(mosquitto_sub "${as_bob[@]}" -q 1 -c -i bob-durable -t 'alice/out' -C 3 -W 5 -F '%p' |
  tr '\n' ' ' || true)"
check "acked over mqtts, survived kill -9, delivered over mqtts" "tls 1 tls 2 tls 3 " "$got"
got="$("${ws_client[@]}" receive "${carol_ws[@]}" --id carol-durable --keep-session --count 3 \
  --timeout 5 | tr '\n' ' ')"
check "acked over wss, survived kill -9, delivered over ws" \
  "news/durable wss 1 news/durable wss 2 news/durable wss 3 " "$got"

stop_cairn "$pid" "$dir/log"
pid=""
echo "secure_access: $passed passed, $failed failed"
((failed == 0))
