#!/usr/bin/env bash
# Integration: the real cairn binary against the real mosquitto_pub and
# mosquitto_sub, MQTT 3.1.1 and 5.0, every QoS. Each case is deterministic
# (no sleeps that hope a subscriber is ready): a persistent subscriber
# subscribes and leaves (-E), the message is published while it is away, and
# it comes back (session present) to receive it.
#
# usage: mosquitto_clients_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
passed=0
failed=0

read -r port metrics_port < <(free_ports 2)
dir="$(mktemp -d)"
# Its own metrics port too: the default (9464) may be another broker's.
"$cairn" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" \
  --data-dir "$dir/data" >"$dir/log" 2>&1 &
pid=$!
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 100); do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.05
done


common=(-h 127.0.0.1 -p "$port")
for version in 311 5; do
  for qos in 1 2; do
    id="sub-v$version-q$qos"
    topic="a/v$version/q$qos"
    mosquitto_sub "${common[@]}" -V "$version" -q "$qos" -c -i "$id" -t 'a/#' -E
    mosquitto_pub "${common[@]}" -V "$version" -q "$qos" -t "$topic" -m "hello $id"
    got="$(mosquitto_sub "${common[@]}" -V "$version" -q "$qos" -c -i "$id" -t 'a/#' -C 1 -W 5 -F '%t %p' || true)"
    check "queued QoS $qos, MQTT $version" "$topic hello $id" "$got"
    # Clean up the session: connect clean.
    mosquitto_sub "${common[@]}" -V "$version" -i "$id" -t 'x' -E
  done
  # QoS 0 through a retained message: set, read back, clear.
  mosquitto_pub "${common[@]}" -V "$version" -q 0 -r -t "r/v$version" -m "kept"
  got="$(mosquitto_sub "${common[@]}" -V "$version" -t "r/#" -C 1 -W 5 -F '%t %p %r' || true)"
  check "retained QoS 0, MQTT $version" "r/v$version kept 1" "$got"
  mosquitto_pub "${common[@]}" -V "$version" -q 1 -r -t "r/v$version" -n
  got="$(mosquitto_sub "${common[@]}" -V "$version" -t "r/#" -W 1 -F "%t %p" 2>/dev/null || true)"
  check "retained cleared, MQTT $version" "" "$got"
done

# The acceptance line of issue 4: a QoS 2 subscriber online, then a publish.
mosquitto_sub "${common[@]}" -V 5 -q 2 -t 'a/#' -C 1 -W 5 -F '%t %p' >"$dir/online" &
sub=$!
# Wait until the subscription exists: a retained probe comes back once it does.
for _ in $(seq 100); do
  if grep -q . "$dir/online" 2>/dev/null; then break; fi
  mosquitto_pub "${common[@]}" -V 5 -q 2 -t a/b -m hi
  sleep 0.1
done
wait "$sub" || true
check "online QoS 2, MQTT 5" "a/b hi" "$(head -n 1 "$dir/online")"

# $SYS/broker/ topics are retained: a new subscriber gets them at once.
got="$(mosquitto_sub "${common[@]}" -V 5 -t '$SYS/broker/version' -C 1 -W 5 -F '%p' || true)"
check "\$SYS/broker/version" "$("$cairn" --version)" "$got"
got="$(mosquitto_sub "${common[@]}" -V 311 -t '$SYS/broker/clients/connected' -C 1 -W 5 -F '%r' || true)"
check "\$SYS/broker/clients/connected is retained" "1" "$got"

# A malformed packet closes that connection only; the broker serves on.
printf '\x10\x05\x00\x04MQ' | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$port" || true
mosquitto_pub "${common[@]}" -V 311 -q 1 -t still/up -m yes
check "serves after a malformed packet" "0" "$?"

# SIGTERM: an orderly shutdown with exit code 0, with clients still connected.
# The MQTT 5 one is told why (DISCONNECT 0x8B) and exits; the 3.1.1 one has no
# way to be told and would reconnect, so it is only there to be closed.
mosquitto_sub "${common[@]}" -V 5 -t 'z/#' >/dev/null 2>&1 &
lingering=$!
mosquitto_sub "${common[@]}" -V 311 -c -i lingering -q 1 -t 'z/#' >/dev/null 2>&1 &
lingering311=$!
sleep 0.3
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
check "exit status after SIGTERM" "0" "$status"
pid=""
# Whether a background job still runs, from bash's own job table: once bash
# has reaped it its PID may belong to another process (pid_max can be 32768),
# which `kill -0` would take for it and a `kill` would hit (the likely cause
# of a broker of a concurrent crash-suite run that shut down on a SIGTERM
# nobody meant for it).
running() { jobs -r -p | grep -qx "$1"; }
gone=no
for _ in $(seq 50); do
  if ! running "$lingering"; then gone=yes; break; fi
  sleep 0.1
done
check "MQTT 5 client told to go at shutdown" "yes" "$gone"
for job in "$lingering" "$lingering311"; do
  if running "$job"; then kill "$job" 2>/dev/null || true; fi
done

echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
