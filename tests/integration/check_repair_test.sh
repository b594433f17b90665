#!/usr/bin/env bash
# Integration (issue 17, item 9): `cairn check` and `cairn repair`, run as an
# operator runs them, on a store the real broker wrote.
#
#   1. No store in the directory: check exits 1, naming data_dir.
#   2. A healthy store (a persistent session with 20 queued QoS 1 messages):
#      check exits 0, says "consistent" and counts what it holds.
#   3. A byte of LevelDB's log flipped: check exits 1 and points at repair;
#      the broker refuses to start, saying the same.
#   4. repair exits 0 and says what it did; check is then consistent, the
#      broker starts on the store and the session gets its messages back (as
#      many as the repair kept, in order).
#
# usage: check_repair_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
passed=0
failed=0

dir="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

read -r port metrics_port < <(free_ports 2)
data="$dir/data"
cat >"$dir/cairn.toml" <<EOF
[listener]
listen = "127.0.0.1:$port"
[metrics]
listen = "127.0.0.1:$metrics_port"
[storage]
data_dir = "$data"
EOF
start() { start_cairn "$cairn" "$dir/cairn.toml" "$dir/log" "$port"; }
stop() {
  stop_cairn "$pid" "$dir/log"
  pid=""
}
mqtt=(-h 127.0.0.1 -p "$port")
run() {  # the output of `cairn ARGS...` to $dir/out; prints its exit status
  local rc=0
  "$cairn" "$@" >"$dir/out" 2>&1 || rc=$?
  echo "$rc"
}
has() { grep -qE "$1" "$dir/out" && echo yes || echo "no: $(tr '\n' ' ' <"$dir/out")"; }

# --- 1. no store -----------------------------------------------------------------------
check "check of an empty directory exits 1" 1 "$(run check --data-dir "$dir/none")"
check "it says there is no store" yes "$(has "no store in $dir/none")"

# --- 2. a healthy store -------------------------------------------------------------------
start || { echo "FAIL: cairn did not start"; cat "$dir/log"; exit 1; }
timeout 5 mosquitto_sub "${mqtt[@]}" -i s -c -q 1 -t t -E  # subscribe, then leave
for i in $(seq 1 20); do
  timeout 5 mosquitto_pub "${mqtt[@]}" -q 1 -t t -m "m$i"
done
stop
cp -a "$data" "$dir/copy"
check "check of a healthy store exits 0" 0 "$(run check --data-dir "$dir/copy")"
check "it is consistent" yes "$(has '^consistent$')"
check "it counts the session" yes "$(has '^sessions: 1$')"
check "it counts the queued deliveries" yes "$(has '^queued deliveries: 20 ')"

# --- 3. a flipped byte in the log ------------------------------------------------------------
log_file="$(ls "$data"/*.log | tail -n 1)"
size="$(stat -c %s "$log_file")"
python3 - "$log_file" "$((size / 2))" <<'PY'
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0xFF]))
PY
check "check of the damaged store exits 1" 1 "$(run check --data-dir "$data")"
check "it points at repair" yes "$(has "cairn repair --data-dir $data")"
if start; then
  failed=$((failed + 1))
  echo "FAIL: cairn started on a damaged store"
  stop
else
  wait "$pid" 2>/dev/null || true
  pid=""
  check "the broker refusing it points at repair" yes \
    "$(grep -q "cairn repair --data-dir $data" "$dir/log" && echo yes || echo no)"
fi

# --- 4. repair ---------------------------------------------------------------------------------
check "repair exits 0" 0 "$(run repair --data-dir "$data")"
check "it says what it did" yes "$(has '^repaired ')"
check "check after the repair exits 0" 0 "$(run check --data-dir "$data")"
check "it is consistent" yes "$(has '^consistent$')"
kept="$(sed -n 's/^queued deliveries: \([0-9]*\) .*/\1/p' "$dir/out")"
start || { echo "FAIL: cairn did not start after the repair"; tail -n 20 "$dir/log"; exit 1; }
if ((${kept:-0} > 0)); then
  got="$(timeout 10 mosquitto_sub "${mqtt[@]}" -i s -c -q 1 -t t -C "$kept" -W 5 2>/dev/null |
    tr '\n' ' ' || true)"
  # In order, each at most once: what was kept is m1..m20 with gaps at most.
  check "the session gets the $kept messages kept, in order" yes "$(python3 - "$got" "$kept" <<'PY'
import sys
got, kept = sys.argv[1].split(), int(sys.argv[2])
numbers = [int(m[1:]) for m in got]
print("yes" if len(numbers) == kept and numbers == sorted(set(numbers)) else f"no: {got}")
PY
)"
fi
stop

echo "check_repair: $passed passed, $failed failed"
((failed == 0))
