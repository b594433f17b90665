#!/usr/bin/env bash
# Integration: mqtts listeners of the real cairn binary against the real
# mosquitto_pub/mosquitto_sub and `openssl s_client`, with certificates made
# here by the openssl CLI (EC P-256: fast): a CA, a server certificate for
# localhost and 127.0.0.1, a client certificate (CN alice), an expired server
# certificate, one from an untrusted CA and one for another host.
#
# Checks: a QoS 1 round trip over TLS; mutual TLS (a client without a
# certificate, with one from an untrusted CA or an expired one, refused in
# the handshake);
# clients refusing the expired, untrusted and wrong-host server certificates
# (and the broker counting the failed handshakes); tls_min_version = "1.3"
# refusing a TLS 1.2 client; ciphers and ciphersuites, when set, limiting
# what is accepted; handshake_timeout closing a silent connection;
# SIGHUP serving a new certificate to new connections while an open one keeps
# receiving, and keeping the old one when the new files are unusable.
#
# usage: tls_listeners_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$(realpath "$1")"
passed=0
failed=0
dir="$(mktemp -d)"
pid=""
sub_pid=""
cleanup() {
  [[ -n "$sub_pid" ]] && kill "$sub_pid" 2>/dev/null || true
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if ((failed > 0)) && [[ -f "$dir/log" ]]; then tail -20 "$dir/log"; fi
  rm -rf "$dir"
}
trap cleanup EXIT


# --- certificates ---------------------------------------------------------------
cd "$dir"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }
ca() {  # name CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.pem" 2>/dev/null
}
cert() {  # name CA CN days [subjectAltName]
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr" 2>/dev/null
  local ext=()
  if [[ -n "${5:-}" ]]; then
    printf 'subjectAltName=%s\n' "$5" >"$1.ext"
    ext=(-extfile "$1.ext")
  fi
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days "$4" \
    "${ext[@]}" -out "$1.pem" 2>/dev/null
}
ca ca "cairn test CA"
ca rogue "rogue CA"
cert server ca localhost 2 "DNS:localhost,IP:127.0.0.1"
cert server2 ca localhost 2 "DNS:localhost,IP:127.0.0.1"  # the one SIGHUP brings in
cert client ca alice 2
cert rogue_client rogue alice 2
cert expired_client ca alice -1
cert expired ca localhost -1 "DNS:localhost,IP:127.0.0.1"
cert untrusted rogue localhost 2 "DNS:localhost,IP:127.0.0.1"
cert wronghost ca other.example 2 "DNS:other.example"
cp server.pem live.pem
cp server.key live.key

# --- the broker -----------------------------------------------------------------
read -r plain tls mtls tls13 expired untrusted wronghost narrow metrics < <(free_ports 9)
tls_listener() {  # port cert key [more lines]
  printf '[[listener]]\ntype = "mqtts"\nlisten = "127.0.0.1:%s"\ncert_file = "%s"\nkey_file = "%s"\n%s\n\n' \
    "$1" "$dir/$2" "$dir/$3" "${4:-}"
}
{
  printf '[[listener]]\nlisten = "127.0.0.1:%s"\n\n' "$plain"
  tls_listener "$tls" live.pem live.key 'handshake_timeout = 1'
  tls_listener "$mtls" server.pem server.key \
    "$(printf 'ca_file = "%s"\nrequire_certificate = true\nuse_identity_as_username = true' "$dir/ca.pem")"
  tls_listener "$tls13" server.pem server.key 'tls_min_version = "1.3"'
  tls_listener "$narrow" server.pem server.key \
    "$(printf 'ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"\nciphersuites = "TLS_AES_128_GCM_SHA256"')"
  tls_listener "$expired" expired.pem expired.key
  tls_listener "$untrusted" untrusted.pem untrusted.key
  tls_listener "$wronghost" wronghost.pem wronghost.key
  # The mutual TLS listener takes user names from certificates, which makes
  # anonymous clients unwelcome by default; this test's other listeners
  # serve them.
  printf '[auth]\nallow_anonymous = true\n'
  printf '[metrics]\nlisten = "127.0.0.1:%s"\n[storage]\ndata_dir = "%s"\n[log]\nlevel = "debug"\n' \
    "$metrics" "$dir/data"
} >cairn.toml
"$cairn" --config "$dir/cairn.toml" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if (echo >"/dev/tcp/127.0.0.1/$wronghost") 2>/dev/null; then break; fi
  sleep 0.05
done
check "logs the mqtts listener" 1 "$(grep -c "cairn listening on 127.0.0.1:$tls (mqtts)" log || true)"

handshake_failures() {  # reason
  curl -s "http://127.0.0.1:$metrics/metrics" |
    awk -v r="cairn_handshake_failures_total{reason=\"$1\"}" '$1 == r { print $2 }'
}

# --- mqtts: a QoS 1 round trip, deterministic as in mosquitto_clients_test.sh ----
tls_args=(-h 127.0.0.1 --cafile "$dir/ca.pem")
mosquitto_sub "${tls_args[@]}" -p "$tls" -q 1 -c -i tls-sub -t 'tls/#' -E
mosquitto_pub "${tls_args[@]}" -p "$tls" -q 1 -t tls/a -m "over tls"
got="$(mosquitto_sub "${tls_args[@]}" -p "$tls" -q 1 -c -i tls-sub -t 'tls/#' -C 1 -W 5 -F '%t %p' || true)"
check "QoS 1 round trip over mqtts" "tls/a over tls" "$got"
# Across listeners: published in TLS, received on plain TCP.
mosquitto_sub -h 127.0.0.1 -p "$plain" -q 1 -c -i plain-sub -t 'x/#' -E
mosquitto_pub "${tls_args[@]}" -p "$tls" -q 1 -t x/b -m "tls to tcp"
got="$(mosquitto_sub -h 127.0.0.1 -p "$plain" -q 1 -c -i plain-sub -t 'x/#' -C 1 -W 5 -F '%t %p' || true)"
check "mqtts to plain TCP" "x/b tls to tcp" "$got"

# --- mutual TLS -------------------------------------------------------------------
mtls_args=("${tls_args[@]}" -p "$mtls")
mosquitto_sub "${mtls_args[@]}" --cert client.pem --key client.key -q 1 -c -i m-sub -t 'm/#' -E
mosquitto_pub "${mtls_args[@]}" --cert client.pem --key client.key -q 1 -t m/a -m "mutual"
got="$(mosquitto_sub "${mtls_args[@]}" --cert client.pem --key client.key -q 1 -c -i m-sub \
  -t 'm/#' -C 1 -W 5 -F '%t %p' || true)"
check "QoS 1 round trip over mutual TLS" "m/a mutual" "$got"
check "client certificate identity logged" 1 \
  "$(grep -c "TLS client certificate identity 'alice'" log | awk '{print ($1 > 0)}')"
before="$(handshake_failures tls)"
if mosquitto_pub "${mtls_args[@]}" -q 1 -t m/a -m "no cert" 2>/dev/null; then r=accepted; else r=refused; fi
check "mutual TLS without a client certificate" refused "$r"
if mosquitto_pub "${mtls_args[@]}" --cert rogue_client.pem --key rogue_client.key -q 1 -t m/a \
  -m "rogue" 2>/dev/null; then r=accepted; else r=refused; fi
check "mutual TLS with an untrusted client certificate" refused "$r"
if mosquitto_pub "${mtls_args[@]}" --cert expired_client.pem --key expired_client.key -q 1 \
  -t m/a -m "expired" 2>/dev/null; then r=accepted; else r=refused; fi
check "mutual TLS with an expired client certificate" refused "$r"
sleep 0.3
check "refused client certificates counted" 3 "$(($(handshake_failures tls) - before))"

# --- clients refusing the server's certificate -------------------------------------
for case in expired untrusted wronghost; do
  before="$(handshake_failures tls)"
  port="${!case}"
  if mosquitto_pub "${tls_args[@]}" -p "$port" -q 1 -t t -m x 2>"$dir/client.err"; then
    r=accepted
  else
    r=refused
  fi
  check "client refuses the $case server certificate" refused "$r"
  sleep 0.3
  check "$case: the broker counts the failed handshake" 1 "$(($(handshake_failures tls) - before))"
done
check "a failed handshake is logged with its reason" 1 \
  "$(grep -c "closing: TLS handshake failed (listener\[.\]): .*alert" log | awk '{print ($1 > 0)}')"

# --- tls_min_version = "1.3" -----------------------------------------------------------
if openssl s_client -connect "127.0.0.1:$tls13" -tls1_2 -CAfile ca.pem </dev/null >/dev/null 2>&1; then
  r=accepted
else
  r=refused
fi
check "TLS 1.3 minimum refuses a TLS 1.2 client" refused "$r"
if openssl s_client -connect "127.0.0.1:$tls13" -tls1_3 -CAfile ca.pem </dev/null >/dev/null 2>&1; then
  r=accepted
else
  r=refused
fi
check "TLS 1.3 minimum accepts a TLS 1.3 client" accepted "$r"

# --- ciphers and ciphersuites, when set, are all that is offered -------------------------
s_client() {  # port, then s_client options: "accepted" or "refused"
  local port="$1"
  shift
  if openssl s_client -connect "127.0.0.1:$port" -CAfile ca.pem "$@" </dev/null >/dev/null 2>&1
  then echo accepted; else echo refused; fi
}
check "ciphers: the one set is accepted (TLS 1.2)" accepted \
  "$(s_client "$narrow" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)"
check "ciphers: another is refused (TLS 1.2)" refused \
  "$(s_client "$narrow" -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384)"
check "ciphers left out: OpenSSL's defaults accept it" accepted \
  "$(s_client "$tls13" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384)"
check "ciphersuites: the one set is accepted (TLS 1.3)" accepted \
  "$(s_client "$narrow" -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256)"
check "ciphersuites: another is refused (TLS 1.3)" refused \
  "$(s_client "$narrow" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384)"

# --- handshake_timeout -----------------------------------------------------------------
before="$(handshake_failures timeout)"
took="$(python3 - "$tls" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
start = time.monotonic()
try:
    while s.recv(100):
        pass
except OSError:
    pass
print(round(time.monotonic() - start, 1))
EOF
)"
check "a silent connection is closed after handshake_timeout (1 s)" yes \
  "$(awk -v t="$took" 'BEGIN { print (t >= 0.9 && t <= 2.5) ? "yes" : "no (" t " s)" }')"
check "the handshake timeout is counted" 1 "$(($(handshake_failures timeout) - before))"

# --- SIGHUP: a new certificate for new connections -------------------------------------
serial() { openssl x509 -noout -serial -in "$1"; }
served_serial() {
  openssl s_client -connect "127.0.0.1:$tls" -CAfile ca.pem </dev/null 2>/dev/null |
    openssl x509 -noout -serial
}
check "served before SIGHUP" "$(serial server.pem)" "$(served_serial)"
# The subscription first (a persistent session), then a subscriber that
# stays connected across both SIGHUPs: waited for through /metrics, since it
# is then the only open connection.
mosquitto_sub "${tls_args[@]}" -p "$tls" -q 1 -c -i hup-sub -t 'hup/#' -E
mosquitto_sub "${tls_args[@]}" -p "$tls" -q 1 -c -i hup-sub -t 'hup/#' -C 1 -W 30 -F '%t %p' \
  >hup.out &
sub_pid=$!
open_connections() {
  curl -s "http://127.0.0.1:$metrics/metrics" | awk '$1 == "cairn_connections" { print $2 }'
}
for _ in $(seq 200); do
  [[ "$(open_connections)" == 1 ]] && break
  sleep 0.05
done
check "the subscriber is connected before SIGHUP" 1 "$(open_connections)"
# An unusable file first: logged, and the old certificate stays.
echo "not a certificate" >live.pem
kill -HUP "$pid"
sleep 0.3
check "an unusable certificate on SIGHUP is logged with its key" 1 \
  "$(grep -c "reload: keeping the previous certificate: listener\[1\].cert_file" log || true)"
check "the previous certificate stays" "$(serial server.pem)" "$(served_serial)"
cp server2.pem live.pem
cp server2.key live.key
kill -HUP "$pid"
sleep 0.3
check "served after SIGHUP" "$(serial server2.pem)" "$(served_serial)"
mosquitto_pub "${tls_args[@]}" -p "$tls" -q 1 -t hup/a -m "after reload"
wait "$sub_pid" || true
sub_pid=""
check "a subscriber connected before SIGHUP still receives" "hup/a after reload" "$(cat hup.out)"

stop_cairn "$pid" "$dir/log"
pid=""
echo "tls_listeners: $passed passed, $failed failed"
((failed == 0))
