#!/usr/bin/env bash
# bench/stalled_reader.sh: what a subscriber that stops reading costs cairn's
# memory (issue 17, item 4).
#
# For each case a subscriber connects, subscribes to stall/# and then never
# reads its socket again (its receive buffer is 4 KiB); mosquitto_pub then
# publishes --messages messages of --payload bytes to stall/t. The script
# prints cairn's VmRSS before the subscriber, after the publishing, and its
# VmHWM, against the bound cairn.toml promises for one stalled client:
# limits.memory_window_mb plus its connection's 1 MiB output buffer.
#
#   bench/stalled_reader.sh                       300k messages of 1 KB per case
#   bench/stalled_reader.sh --messages 100000 --payload 4096
#
# Cases: QoS 0 to a non-persistent subscriber; QoS 1 to a non-persistent one
# (its queue is in memory: past the window, queue_full_policy); QoS 1 to a
# persistent one (its queue pages to disk). Each case runs on a fresh cairn
# and data directory. Options: --cairn BIN, --messages N, --payload B.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
pick() { for b in "$@"; do [[ -x "$b" ]] && { echo "$b"; return; }; done; echo "$1"; }
cairn="$(pick "$root/build/release/src/app/cairn" "$root/build/ci-release/src/app/cairn")"
messages=300000
payload=1000
while (($#)); do
  case "$1" in
    --cairn) cairn="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --payload) payload="$2"; shift 2 ;;
    *) echo "stalled_reader.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ -x "$cairn" ]] || { echo "stalled_reader.sh: $cairn is not built" >&2; exit 2; }
command -v mosquitto_pub >/dev/null || { echo "stalled_reader.sh: needs mosquitto_pub (mosquitto-clients)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/stalled.XXXXXX")"
pid=""
sub=""
cleanup() {
  [[ -z "$sub" ]] || kill "$sub" 2>/dev/null || true
  [[ -z "$pid" ]] || kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mib() { awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# stalled_subscriber PORT QOS CLEAN: MQTT 3.1.1, subscribes, then sleeps with
# its socket unread. Prints "subscribed" once the SUBACK is in.
stalled_subscriber() {
  python3 - "$@" <<'EOF'
import socket, struct, sys, time
port, qos, clean = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
def s(b): return struct.pack("!H", len(b)) + b
def packet(kind, body):
    n, out = len(body), b""
    while True:
        d, n = n % 128, n // 128
        out += bytes([d | (128 if n else 0)])
        if not n: return bytes([kind]) + out + body
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
c.connect(("127.0.0.1", port))
flags = 0x02 if clean else 0x00
c.sendall(packet(0x10, s(b"MQTT") + bytes([4, flags]) + struct.pack("!H", 0) + s(b"stalled-reader")))
c.recv(4)
c.sendall(packet(0x82, struct.pack("!H", 1) + s(b"stall/#") + bytes([qos])))
c.recv(5)
print("subscribed", flush=True)
time.sleep(3600)
EOF
}

run_case() {
  local name="$1" qos="$2" clean="$3"
  local port metrics
  port="$(free_port)"
  metrics="$(free_port)"
  rm -rf "$work/data"
  "$cairn" --data-dir "$work/data" --listen "127.0.0.1:$port" \
    --metrics-listen "127.0.0.1:$metrics" >"$work/cairn.log" 2>&1 &
  pid=$!
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.01; done
  sleep 0.3
  local before
  before="$(mib "$pid" VmRSS)"
  stalled_subscriber "$port" "$qos" "$clean" >"$work/sub.out" &
  sub=$!
  until grep -q subscribed "$work/sub.out"; do sleep 0.01; done
  local line
  line="$(head -c "$payload" /dev/zero | tr '\0' x)"
  local started=$SECONDS
  yes "$line" | head -n "$messages" |
    timeout 300 mosquitto_pub -V mqttv5 -p "$port" -q "$qos" -t stall/t -l -i stall-publisher \
      2>"$work/pub.err" || true
  sleep 1
  printf '%-38s RSS %6s MiB before, %6s MiB after, VmHWM %6s MiB (%d s)\n' "$name:" "$before" \
    "$(mib "$pid" VmRSS)" "$(mib "$pid" VmHWM)" "$((SECONDS - started))"
  grep -m1 -iE "dropped|queue is full|refused" "$work/cairn.log" | sed 's/^/    cairn: /' || true
  kill "$sub" 2>/dev/null || true
  wait "$sub" 2>/dev/null || true
  sub=""
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

echo "stalled reader: $messages messages of $payload bytes per case; bound per stalled client:"
echo "  limits.memory_window_mb (default 4 MiB) + the 1 MiB output buffer"
run_case "QoS 0, non-persistent subscriber" 0 1
run_case "QoS 1, non-persistent subscriber" 1 1
run_case "QoS 1, persistent subscriber" 1 0
