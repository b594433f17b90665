#!/usr/bin/env bash
# compare.sh: cairn against mosquitto, side by side, with cairn-load.
#
#   bench/compare.sh                 every scenario, 3 rounds of 10 s each
#   bench/compare.sh --quick         2 s, 1 round, 1,000 idle connections (what CI runs)
#
# Options:
#   --duration S    seconds measured per run (default 10; each run also warms up 1 s)
#   --rounds R      runs per broker and scenario, alternating mosquitto, cairn, ...;
#                   the table shows the median (default 3)
#   --idle N        idle connections for the memory scenario (default 10000)
#   --cairn PATH    the cairn binary (default build/release/src/app/cairn)
#   --load PATH     the cairn-load binary (default build/release/bench/cairn-load)
#   --cairn-threads N   cairn's [broker] io_threads (default 0: one per core, cairn's default)
#   --out FILE.md   also write the report (machine, versions, tables) to FILE.md, and
#                   every run's JSON line to FILE.jsonl
#   --quick         --duration 2 --rounds 1 --idle 1000
#
# Each broker runs on a free port, started fresh (cairn with a fresh data
# directory) for every run and stopped after it. Exits non-zero if any run
# fails or reports a lost, duplicated or reordered message.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=10
rounds=3
idle=10000
cairn="$root/build/release/src/app/cairn"
load="$root/build/release/bench/cairn-load"
cairn_threads=0
out=""

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
need_value() { (($1 >= 2)) || { echo "compare.sh: $2 needs a value" >&2; exit 2; }; }
while (($# > 0)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --quick) duration=2 rounds=1 idle=1000; shift ;;
    --duration) need_value $# "$1"; duration="$2"; shift 2 ;;
    --rounds) need_value $# "$1"; rounds="$2"; shift 2 ;;
    --idle) need_value $# "$1"; idle="$2"; shift 2 ;;
    --cairn) need_value $# "$1"; cairn="$2"; shift 2 ;;
    --load) need_value $# "$1"; load="$2"; shift 2 ;;
    --cairn-threads) need_value $# "$1"; cairn_threads="$2"; shift 2 ;;
    --out) need_value $# "$1"; out="$2"; shift 2 ;;
    *) echo "compare.sh: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
for binary in "$cairn" "$load"; do
  [[ -x "$binary" ]] || {
    echo "compare.sh: $binary not found: build it (cmake --preset release &&" \
      "cmake --build --preset release) or pass --cairn/--load" >&2
    exit 2
  }
done
command -v mosquitto >/dev/null || { echo "compare.sh: mosquitto is not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "compare.sh: python3 is not installed" >&2; exit 2; }

# Both brokers and the load generator hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < idle + 100)); then
  echo "compare.sh: ulimit -n is $(ulimit -n); $idle idle connections need more" >&2
  exit 2
fi

tmp="$(mktemp -d -t cairn-compare.XXXXXX)"
broker_pid=""
stop_broker() {
  if [[ -n "$broker_pid" ]]; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  fi
}
cleanup() {
  stop_broker
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_broker mosquitto|cairn: sets broker_pid and port, logs to $tmp/<name>.log.
start_broker() {
  local name="$1"
  port="$(free_port)"
  log="$tmp/$name.log"
  if [[ "$name" == mosquitto ]]; then
    # Limits high enough that mosquitto neither throttles nor drops: the load
    # keeps at most window x publishers messages in flight per subscriber.
    cat >"$tmp/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 1024
max_queued_messages 1000000
max_connections -1
set_tcp_nodelay true
sys_interval 0
connection_messages false
log_dest stderr
log_type error
log_type warning
EOF
    mosquitto -c "$tmp/mosquitto.conf" >"$log" 2>&1 &
  else
    rm -rf "$tmp/data"
    cat >"$tmp/cairn.toml" <<EOF
[listener]
listen = "127.0.0.1:$port"
[storage]
data_dir = "$tmp/data"
[metrics]
listen = "127.0.0.1:$(free_port)"
[broker]
io_threads = $cairn_threads
sys_interval = 0
[limits]
max_connections = 100000
EOF
    "$cairn" --config "$tmp/cairn.toml" >"$log" 2>&1 &
  fi
  broker_pid=$!
  for _ in $(seq 200); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.025
  done
  echo "compare.sh: $name did not start:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }

failures=0
notes=()
# note MESSAGE: something the reader must see under the table.
note() {
  notes+=("$1")
  echo "  ! $1" >&2
}

# after_run NAME: the broker must still be running; cairn's log must hold no error.
after_run() {
  local name="$1"
  if ! kill -0 "$broker_pid" 2>/dev/null; then
    failures=$((failures + 1))
    note "$name exited during the run; its log ends with: $(tail -n 3 "$log" | tr '\n' ' ')"
  fi
  stop_broker
  if [[ "$name" == cairn ]] && grep -E '\[(error|critical)\]' "$log" >/dev/null; then
    note "cairn logged errors: $(grep -E '\[(error|critical)\]' "$log" | head -n 3 | tr '\n' ' ')"
  fi
}

# run_load NAME ARGS...: one cairn-load run against a fresh broker; appends its
# JSON line to $tmp/results.
run_load() {
  local name="$1"
  shift
  start_broker "$name"
  local rc=0
  "$load" --port "$port" --duration "$duration" --json "$@" >"$tmp/run.json" 2>"$tmp/run.err" || rc=$?
  after_run "$name"
  summarize "$name" "$rc" "$*"
}

# summarize NAME RC ARGS: checks a run's JSON (in $tmp/run.json) and appends it
# to $tmp/results.
summarize() {
  local bad=0
  python3 - "$1" "$2" "$3" "$tmp/run.json" "$tmp/run.err" >>"$tmp/results" 2>"$tmp/problem" <<'EOF' || bad=1
import json, sys
name, rc, args, json_path, err_path = sys.argv[1:]
err = " ".join(open(err_path).read().split())[:400]
try:
    r = json.loads(open(json_path).read())
except ValueError:
    print(f"{name} [{args}]: no result (exit {rc}): {err}", file=sys.stderr)
    sys.exit(1)
r["broker"] = name
print(json.dumps(r))
bad = [f"{k} {r[k]}" for k in ("lost", "duplicated", "reordered") if r[k]]
if not r["drained"]:
    bad.append("in-flight messages not drained 5 s after publishing stopped")
if r["errors"] or bad or rc != "0":
    print(f"{name} [{args}]: exit {rc}: " + "; ".join(r["errors"] + bad), file=sys.stderr)
    sys.exit(1)
EOF
  if ((bad)); then
    failures=$((failures + 1))
    note "$(cat "$tmp/problem")"
  fi
}

# idle_memory NAME: RSS per idle connection, in bytes, appended to $tmp/results.
idle_memory() {
  local name="$1"
  start_broker "$name"
  sleep 0.5
  local before after rc=0
  before="$(rss_bytes "$broker_pid")"
  "$load" --port "$port" --scenario idle --clients "$idle" --duration 3 --json \
    >"$tmp/run.json" 2>"$tmp/run.err" &
  local load_pid=$!
  for _ in $(seq 1200); do
    if grep -q "idle connections open" "$tmp/run.err" || ! kill -0 "$load_pid" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done
  sleep 1  # let the broker settle with every connection held
  after="$(rss_bytes "$broker_pid")"
  wait "$load_pid" || rc=$?
  after_run "$name"
  summarize "$name" "$rc" "idle $idle"
  python3 - "$name" "$before" "$after" "$idle" >>"$tmp/results" <<'EOF'
import json, sys
name, before, after, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(json.dumps({"broker": name, "scenario": "idle_rss", "rss_before": before,
                  "rss_after": after, "bytes_per_connection": (after - before) / n}))
EOF
}

# The scenarios: label, then cairn-load's arguments. Every run uses the same
# load for both brokers: window 64 per publisher, 64-byte payloads, MQTT
# 3.1.1, one load thread (bench/README.md explains the choice).
labels=(
  "QoS 0, 8 pairs (msgs/s)"
  "QoS 1, 8 pairs (msgs/s)"
  "QoS 2, 8 pairs (msgs/s)"
  "QoS 1, fan-out 1 to 100 (deliveries/s)"
  "QoS 1, fan-in 100 to 1 (msgs/s)"
)
arguments=(
  "--scenario pairs --clients 8 --qos 0"
  "--scenario pairs --clients 8 --qos 1"
  "--scenario pairs --clients 8 --qos 2"
  "--scenario fanout --clients 100 --qos 1"
  "--scenario fanin --clients 100 --qos 1"
)

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
header="$(cat <<EOF
## cairn vs mosquitto

- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)
- cairn: $("$cairn" --version) ($cairn, io_threads = $cairn_threads)
- mosquitto: $(mosquitto -h 2>/dev/null | head -n 1 | sed 's/^mosquitto version //')
- cairn-load: $load; $duration s measured after 1 s of warm-up, median of $rounds round(s), brokers alternating
EOF
)"
started_load="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$header" >&2

: >"$tmp/results"
for i in "${!labels[@]}"; do
  echo "== ${labels[$i]}" >&2
  for ((round = 1; round <= rounds; round++)); do
    for name in mosquitto cairn; do
      # shellcheck disable=SC2086  # the arguments are words
      run_load "$name" ${arguments[$i]}
    done
  done
done
echo "== idle memory, $idle connections" >&2
for ((round = 1; round <= rounds; round++)); do
  for name in mosquitto cairn; do idle_memory "$name"; done
done

table="$(python3 - "$tmp/results" "$idle" "${labels[@]}" <<'EOF'
import json, statistics, sys
path, idle, labels = sys.argv[1], sys.argv[2], sys.argv[3:]
keys = [("pairs", 0), ("pairs", 1), ("pairs", 2), ("fanout", 1), ("fanin", 1)]
runs = [json.loads(line) for line in open(path) if line.strip()]

def median(broker, match, field):
    values = [r[field] for r in runs if r["broker"] == broker and match(r) and field in r]
    return statistics.median(values) if values else None

def cell(value, digits=0):
    return "FAIL" if value is None else f"{value:,.{digits}f}"

def ratio(m, c):
    return "-" if m is None or c is None or m == 0 else f"{c / m:.2f}x"

rows = ["| scenario | mosquitto | cairn | ratio (cairn / mosquitto) |", "| --- | ---: | ---: | ---: |"]
latency = ["| scenario | mosquitto p50 / p99 | cairn p50 / p99 |", "| --- | ---: | ---: |"]
for label, (scenario, qos) in zip(labels, keys):
    match = lambda r: r.get("scenario") == scenario and r.get("qos") == qos
    m, c = median("mosquitto", match, "delivery_rate"), median("cairn", match, "delivery_rate")
    rows.append(f"| {label} | {cell(m)} | {cell(c)} | {ratio(m, c)} |")
    lat = lambda b: "FAIL" if median(b, match, "p50_us") is None else \
        f"{median(b, match, 'p50_us'):,.0f} / {median(b, match, 'p99_us'):,.0f}"
    latency.append(f"| {label.split(' (')[0]} | {lat('mosquitto')} | {lat('cairn')} |")
match = lambda r: r.get("scenario") == "idle_rss"
m, c = median("mosquitto", match, "bytes_per_connection"), median("cairn", match, "bytes_per_connection")
rows.append(f"| idle memory: RSS per connection, {int(idle):,} connections (bytes, lower is better) "
            f"| {cell(m)} | {cell(c)} | {ratio(m, c)} |")
match = lambda r: r.get("scenario") == "idle"
m, c = median("mosquitto", match, "connect_rate"), median("cairn", match, "connect_rate")
rows.append(f"| connect rate, {int(idle):,} connections (connections/s) | {cell(m)} | {cell(c)} | {ratio(m, c)} |")
print("\n".join(rows))
print()
print("Latency, microseconds from publish to delivery (median of the runs' percentiles):")
print()
print("\n".join(latency))
EOF
)"

report="$header
- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: $started_load)

$table"
if ((${#notes[@]} > 0)); then
  report+=$'\n\nProblems:\n'
  for n in "${notes[@]}"; do report+="- $n"$'\n'; done
fi
echo
echo "$report"
if [[ -n "$out" ]]; then
  echo "$report" >"$out"
  cp "$tmp/results" "${out%.md}.jsonl"  # every run's cairn-load JSON, for a closer look
fi
if ((failures > 0)); then
  echo "compare.sh: $failures run(s) failed or lost, duplicated or reordered messages" >&2
  exit 1
fi
