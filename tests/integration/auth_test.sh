#!/usr/bin/env bash
# Integration (issue 8): authentication and ACLs against the real binary, with
# a password file written by Debian's mosquitto_passwd, an ACL file in
# mosquitto's syntax and the real mosquitto_pub / mosquitto_sub.
#
#   - logins: right and wrong passwords, anonymous refused, CONNACK codes
#     (mosquitto_sub exits with the CONNACK code: 134/135 in MQTT 5, 4/5 in
#     3.1.1), a hash of 20,000 PBKDF2 rounds (checked off the network thread);
#   - ACL: SUBSCRIBE refused with SUBACK 0x87 (MQTT 5) / 0x80 (3.1.1) (raw
#     bytes through mqtt_suback.py), PUBLISH refused with PUBACK 0x87 (5) or
#     acknowledged and dropped (3.1.1), delivery filtered by a narrower deny,
#     %c and %u patterns, read-only topics, the will checked at CONNECT;
#   - SIGHUP reloads both files; a file that no longer parses is refused
#     with its line and the old rules stay;
#   - failed logins rate-limited per address (CONNACK 0x9F / 3.1.1 code 3);
#   - anonymous off loopback: start-up refused, naming auth.allow_anonymous.
#
# usage: auth_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
passed=0
failed=0
dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "broker did not open port $1" >&2
  return 1
}
# start_broker NAME CONFIG_BODY: a broker with this [auth] (and more) on a
# fresh port; sets $port and $log.
start_broker() {
  port="$(free_port)"
  log="$dir/$1.log"
  printf '%s\n' "$2" >"$dir/$1.toml"
  "$cairn" --config "$dir/$1.toml" --listen "127.0.0.1:$port" --metrics-listen "" \
    --data-dir "$dir/$1-data" >"$log" 2>&1 &
  pids+=($!)
  broker_pid=$!
  wait_port "$port"
}

# ---- the files, as an operator brings them from mosquitto ----
mosquitto_passwd -c -b "$dir/passwd" alice secret 2>/dev/null
mosquitto_passwd -b "$dir/passwd" bob hunter2 2>/dev/null
# A hash of many more rounds than mosquitto's 101, in mosquitto's format.
python3 - "$dir/passwd" <<'PY'
import base64, hashlib, os, sys
salt = os.urandom(12)
digest = hashlib.pbkdf2_hmac("sha512", b"slowpass", salt, 20000, 64)
with open(sys.argv[1], "a") as f:
    f.write("slow:$7$20000$%s$%s\n" % (base64.b64encode(salt).decode(), base64.b64encode(digest).decode()))
PY
cat >"$dir/acl" <<'ACL'
# alice reads sensors but not the secret one, and owns alice/#.
user alice
topic readwrite alice/#
topic read sensors/#
topic deny sensors/secret

user bob
topic write sensors/#

pattern readwrite clients/%c/#
pattern read users/%u/#
ACL

start_broker main "[auth]
password_file = \"$dir/passwd\"
acl_file = \"$dir/acl\"
allow_anonymous = false
login_failures_per_minute = 0"
main_port="$port"
main_log="$log"
main_pid="$broker_pid"
c=(-h 127.0.0.1 -p "$main_port")

# ---- logins ----
for v in 5 311; do
  got="$(mosquitto_sub "${c[@]}" -V "$v" -u alice -P secret -t alice/x -C 1 -W 5 -F %p &
    sleep 0.5
    mosquitto_pub "${c[@]}" -V "$v" -u alice -P secret -q 1 -t alice/x -m "hello $v"
    wait)"
  check "alice with her password, MQTT $v" "hello $v" "$got"
done
check "wrong password, MQTT 5 (0x86)" 134 "$(status mosquitto_sub "${c[@]}" -V 5 -u alice -P nope -t a -W 2)"
check "wrong password, 3.1.1 (4)" 4 "$(status mosquitto_sub "${c[@]}" -V 311 -u alice -P nope -t a -W 2)"
check "unknown user, MQTT 5 (0x86)" 134 "$(status mosquitto_sub "${c[@]}" -V 5 -u carol -P secret -t a -W 2)"
check "anonymous, MQTT 5 (0x87)" 135 "$(status mosquitto_sub "${c[@]}" -V 5 -t a -W 2)"
check "anonymous, 3.1.1 (5)" 5 "$(status mosquitto_sub "${c[@]}" -V 311 -t a -W 2)"
check "20,000-round hash" 0 "$(status mosquitto_pub "${c[@]}" -V 5 -u slow -P slowpass -t clients/s/x -i s -m x)"
check "20,000-round hash, wrong password" 134 "$(status mosquitto_pub "${c[@]}" -V 5 -u slow -P nope -t x -m x)"

# ---- SUBSCRIBE ----
suback() { python3 "$here/mqtt_suback.py" "$main_port" "$@"; }
check "SUBACK, MQTT 5: granted, denied (#), denied (narrower deny)" "01 87 87" \
  "$(suback 5 alice secret 'alice/#' '#' sensors/secret)"
check "SUBACK, 3.1.1: granted, denied" "01 80" "$(suback 4 alice secret 'sensors/#' 'other/#')"
check "SUBACK: %u pattern" "01 80" "$(suback 4 bob hunter2 'users/bob/#' 'users/alice/#')"
check "SUBACK: write-only topic is not readable" "87" "$(suback 5 bob hunter2 'sensors/#')"

# ---- PUBLISH and delivery ----
# alice reads sensors/# but not sensors/secret; bob may write them all.
mosquitto_sub "${c[@]}" -V 5 -u alice -P secret -t 'sensors/#' -q 1 -F '%t %p' -C 2 -W 8 >"$dir/alice.out" 2>/dev/null &
sub=$!
sleep 0.5
mosquitto_pub "${c[@]}" -V 5 -u bob -P hunter2 -q 1 -t sensors/secret -m classified
mosquitto_pub "${c[@]}" -V 5 -u bob -P hunter2 -q 1 -t sensors/temp -m 21
# 3.1.1: alice may not write sensors/: acknowledged (exit 0) and dropped.
check "denied publish, 3.1.1: acknowledged" 0 \
  "$(status mosquitto_pub "${c[@]}" -V 311 -u alice -P secret -q 1 -t sensors/temp -m forged311)"
pub5="$(mosquitto_pub "${c[@]}" -V 5 -u alice -P secret -q 1 -t sensors/temp -m forged5 -d 2>&1 || true)"
check "denied publish, MQTT 5: PUBACK 0x87" 1 "$(grep -c 'received PUBACK (Mid: 1, RC:135)' <<<"$pub5")"
mosquitto_pub "${c[@]}" -V 5 -u bob -P hunter2 -q 1 -t sensors/end -m end
wait "$sub" || true
check "delivery: allowed topics only, denied publishes dropped" "sensors/temp 21
sensors/end end" "$(cat "$dir/alice.out")"

# %c: a client's own tree, whoever it is.
check "%c pattern: own tree" 0 "$(status mosquitto_pub "${c[@]}" -V 5 -u bob -P hunter2 -i dev1 -q 1 -t clients/dev1/up -m x)"
pubc="$(mosquitto_pub "${c[@]}" -V 5 -u bob -P hunter2 -i dev1 -q 1 -t clients/dev2/up -m x -d 2>&1 || true)"
check "%c pattern: another client's tree" 1 "$(grep -c 'RC:135' <<<"$pubc")"

# The will is checked at CONNECT: alice may not write sensors/.
check "will on a read-only topic, MQTT 5 (0x87)" 135 \
  "$(status mosquitto_sub "${c[@]}" -V 5 -u alice -P secret -t a -W 2 --will-topic sensors/x --will-payload gone)"
check "will on a read-only topic, 3.1.1 (5)" 5 \
  "$(status mosquitto_sub "${c[@]}" -V 311 -u alice -P secret -t a -W 2 --will-topic sensors/x --will-payload gone)"
check "will on a writable topic" 0 \
  "$(status mosquitto_pub "${c[@]}" -V 5 -u alice -P secret -t alice/x -m x --will-topic alice/will --will-payload gone)"

# ---- SIGHUP: reload both files ----
printf 'user alice\ntopic readwrite alice/#\ntopic readwrite sensors/#\n' >"$dir/acl"
mosquitto_passwd -b "$dir/passwd" alice newsecret 2>/dev/null
kill -HUP "$main_pid"
for _ in $(seq 50); do grep -q 'reload: password and ACL files read again' "$main_log" && break; sleep 0.1; done
check "reloaded: new password" 0 "$(status mosquitto_pub "${c[@]}" -V 5 -u alice -P newsecret -q 1 -t sensors/x -m x)"
check "reloaded: old password refused" 134 "$(status mosquitto_pub "${c[@]}" -V 5 -u alice -P secret -q 1 -t alice/x -m x)"
pubr="$(mosquitto_pub "${c[@]}" -V 5 -u alice -P newsecret -q 1 -t sensors/x -m x -d 2>&1 || true)"
check "reloaded: ACL grants what it now says" 0 "$(grep -c 'RC:135' <<<"$pubr")"
# A broken ACL is refused whole, with its line; the rules before stay.
printf 'user alice\ntopic sideways sensors/#\n' >"$dir/acl"
kill -HUP "$main_pid"
for _ in $(seq 50); do grep -q 'reload refused' "$main_log" && break; sleep 0.1; done
check "broken ACL: refused with its line" 1 \
  "$(grep -c "reload refused: auth.acl_file: ACL file $dir/acl line 2: " "$main_log")"
pubk="$(mosquitto_pub "${c[@]}" -V 5 -u alice -P newsecret -q 1 -t sensors/x -m x -d 2>&1 || true)"
check "broken ACL: the old rules stay" 0 "$(grep -c 'RC:135' <<<"$pubk")"

# ---- failed logins, rate-limited per address ----
start_broker throttle "[auth]
password_file = \"$dir/passwd\"
login_failures_per_minute = 2"
t=(-h 127.0.0.1 -p "$port")
status mosquitto_pub "${t[@]}" -V 5 -u bob -P guess1 -t x -m x >/dev/null
status mosquitto_pub "${t[@]}" -V 5 -u bob -P guess2 -t x -m x >/dev/null
check "throttled: right password refused, MQTT 5 (0x9F)" 159 \
  "$(status mosquitto_pub "${t[@]}" -V 5 -u bob -P hunter2 -t x -m x)"
check "throttled: 3.1.1 (3)" 3 "$(status mosquitto_pub "${t[@]}" -V 311 -u bob -P hunter2 -t x -m x)"

# ---- off loopback ----
off_port="$(free_port)"
rc=0
"$cairn" --listen "0.0.0.0:$off_port" --metrics-listen "" --data-dir "$dir/off-data" \
  >"$dir/off.log" 2>&1 || rc=$?
check "anonymous off loopback: start-up refused (exit 2)" 2 "$rc"
check "anonymous off loopback: the message names the key" 1 \
  "$(grep -c "cannot start: auth.allow_anonymous: listener.listen listens on 0.0.0.0 port $off_port" "$dir/off.log")"
printf '[auth]\nallow_anonymous = true\n' >"$dir/open.toml"
"$cairn" --config "$dir/open.toml" --listen "0.0.0.0:$off_port" --metrics-listen "" \
  --data-dir "$dir/open-data" >"$dir/open.log" 2>&1 &
pids+=($!)
wait_port "$off_port"
check "allow_anonymous = true: served" 0 "$(status mosquitto_pub -h 127.0.0.1 -p "$off_port" -V 5 -t x -m x)"

echo "auth_test: $passed passed, $failed failed"
if ((failed > 0)); then
  echo "--- main broker log ---"
  cat "$main_log"
  exit 1
fi
