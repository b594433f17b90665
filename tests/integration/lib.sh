# Helpers shared by the integration scripts (sourced, not run).
#
#   check NAME EXPECTED ACTUAL   counts a pass, or prints "FAIL: ..." and counts a failure
#                                (in the caller's $passed and $failed)
#   free_ports N                 N distinct TCP ports free on 127.0.0.1 now, on one line
#   free_port                    one such port
#   status COMMAND...            the command's exit status, its output discarded
#                                (mosquitto_pub/sub exit with the CONNACK code when refused)
#   start_cairn BINARY CONFIG LOG PORT   cairn started in the background (its PID in $pid),
#                                its output appended to LOG; returns 0 once 127.0.0.1:PORT
#                                accepts, 1 if cairn exits first or 10 s pass
#   stop_cairn PID LOG           SIGTERM, then cairn must exit 0 and its log hold no
#                                sanitizer report: a leak or a use after free at shutdown
#                                fails the test (counted as check does, the report printed)

check() {  # name expected actual
  if [[ "$2" == "$3" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: expected '$2', got '$3'"
  fi
}
# Ports are drawn at random from below the kernel's ephemeral range
# (ip_local_port_range), never by bind(port 0): a port the kernel hands out for
# bind(0) is in the range it also hands to outgoing connections, and with ctest
# running two tests at once another test's client took such a port between this
# script picking it and cairn binding it (cairn then failed to start: "cannot
# serve metrics on 127.0.0.1:53241"). Below the range only another script's own
# random pick can collide, which is rare; the N ports of one call are distinct.
free_ports() {
  python3 - "${1:-1}" <<'PY'
import random, socket, sys
wanted = int(sys.argv[1])
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_low = int(f.read().split()[0])
low, high = max(1024, ephemeral_low - 12000), ephemeral_low - 1
held, ports = [], []
for _ in range(10000):
    if len(ports) == wanted:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(low, high) if high > low else 0))
    except OSError:
        s.close()
        continue
    held.append(s)  # held until all are chosen, so that they differ
    ports.append(s.getsockname()[1])
if len(ports) != wanted:
    sys.exit("free_ports: found only %d free ports" % len(ports))
print(*ports)
PY
}
free_port() { free_ports 1; }
status() {
  local rc=0
  "$@" >/dev/null 2>&1 || rc=$?
  echo "$rc"
}
start_cairn() {  # binary config log port
  "$1" --config "$2" >>"$3" 2>&1 &
  pid=$!
  for _ in $(seq 200); do
    if (echo >"/dev/tcp/127.0.0.1/$4") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
stop_cairn() {  # pid log
  local rc=0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || rc=$?
  check "cairn exits 0 at SIGTERM" 0 "$rc"
  local report='ERROR: [A-Za-z]+Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer'
  if grep -qE "$report" "$2"; then
    failed=$((failed + 1))
    echo "FAIL: a sanitizer report in $2:"
    grep -E -A 30 "$report" "$2" | head -80
  else
    passed=$((passed + 1))
  fi
}
