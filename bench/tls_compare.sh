#!/usr/bin/env bash
# tls_compare.sh: what TLS costs cairn, against plain TCP, with cairn-load.
#
#   bench/tls_compare.sh             3 rounds of 10 s per run (~7 minutes)
#   bench/tls_compare.sh --quick     1 round of 2 s per run (under a minute)
#
# Options:
#   --duration S    seconds measured per run (default 10; each run also warms up 1 s)
#   --rounds R      runs per row and transport, alternating TCP, TLS 1.2, TLS 1.3, ...;
#                   the table shows the median (default 3)
#   --data-root DIR cairn's data directory goes in a temporary directory in DIR, which
#                   should be on the real disk, not a tmpfs (default: $CAIRN_BENCH_DIR,
#                   else build/ of this tree)
#   --cairn PATH    the cairn binary (default build/release/src/app/cairn)
#   --load PATH     the cairn-load binary (default build/release/bench/cairn-load)
#   --cairn-threads N   cairn's [broker] io_threads (default 0: one per core, cairn's default)
#   --out FILE.md   also write the report to FILE.md, and every run's JSON line to FILE.jsonl
#   --quick         --duration 2 --rounds 1, and 0.5 s of warm-up
#
# A throwaway CA and server certificate (EC P-256, for 127.0.0.1) are made with
# the openssl CLI. cairn runs with three listeners on loopback: mqtt, mqtts
# (tls_min_version 1.2, the default) and mqtts with tls_min_version = "1.3",
# started fresh for every run and stopped after it. TLS 1.2 runs pin the client
# to 1.2 on the first mqtts listener; TLS 1.3 runs use the second. Every TLS
# connection makes a full handshake (cairn-load keeps no session to resume) and
# verifies the certificate against the CA. Exits non-zero if any run fails or
# reports a lost, duplicated or reordered message.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=10
warmup=1
rounds=3
data_root="${CAIRN_BENCH_DIR:-$root/build}"
cairn="$root/build/release/src/app/cairn"
load="$root/build/release/bench/cairn-load"
cairn_threads=0
out=""

usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
need_value() { (($1 >= 2)) || { echo "tls_compare.sh: $2 needs a value" >&2; exit 2; }; }
while (($# > 0)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --quick) duration=2 warmup=0.5 rounds=1; shift ;;
    --duration) need_value $# "$1"; duration="$2"; shift 2 ;;
    --rounds) need_value $# "$1"; rounds="$2"; shift 2 ;;
    --data-root) need_value $# "$1"; data_root="$2"; shift 2 ;;
    --cairn) need_value $# "$1"; cairn="$2"; shift 2 ;;
    --load) need_value $# "$1"; load="$2"; shift 2 ;;
    --cairn-threads) need_value $# "$1"; cairn_threads="$2"; shift 2 ;;
    --out) need_value $# "$1"; out="$2"; shift 2 ;;
    *) echo "tls_compare.sh: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
for binary in "$cairn" "$load"; do
  [[ -x "$binary" ]] || {
    echo "tls_compare.sh: $binary not found: build it (cmake --preset release &&" \
      "cmake --build --preset release) or pass --cairn/--load" >&2
    exit 2
  }
done
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "tls_compare.sh: $tool is not installed" >&2; exit 2; }
done

tmp="$(mktemp -d -t cairn-tls-compare.XXXXXX)"
# cairn's data directory lives apart from $tmp: /tmp may be a tmpfs. (The rows
# here use clean sessions, which cairn stores nothing for, but its store is
# opened all the same, on the disk a deployment would use.)
mkdir -p "$data_root"
data="$(mktemp -d "$data_root/tls-compare-data.XXXXXX")"
data_fs="$(stat -f -c %T "$data")"
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
  rm -rf "$tmp" "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Four free ports, chosen once: every run's cairn listens on the same ones (its
# listeners set SO_REUSEADDR), since a Python start-up per port costs ~0.5 s here.
read -r port_tcp port_tls port_tls13 port_metrics < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

# --- certificates: a CA and a server certificate for 127.0.0.1, EC P-256 ----------
(
  cd "$tmp"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -subj "/CN=cairn tls_compare CA" -days 2 -out ca.pem
  openssl ecparam -name prime256v1 -genkey -noout -out server.key
  openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.pem
) >/dev/null 2>"$tmp/openssl.err" || {
  echo "tls_compare.sh: openssl could not make the certificates:" >&2
  cat "$tmp/openssl.err" >&2
  exit 1
}

# start_broker: a fresh cairn with the three listeners; sets broker_pid, logs to
# $tmp/cairn.log.
start_broker() {
  rm -rf "${data:?}/cairn"
  mkdir -p "$data/cairn"
  log="$tmp/cairn.log"
  cat >"$tmp/cairn.toml" <<EOF
[[listener]]
type = "mqtt"
listen = "127.0.0.1:$port_tcp"

[[listener]]
type = "mqtts"
listen = "127.0.0.1:$port_tls"
cert_file = "$tmp/server.pem"
key_file = "$tmp/server.key"

[[listener]]
type = "mqtts"
listen = "127.0.0.1:$port_tls13"
cert_file = "$tmp/server.pem"
key_file = "$tmp/server.key"
tls_min_version = "1.3"

[storage]
data_dir = "$data/cairn"
[metrics]
listen = "127.0.0.1:$port_metrics"
[broker]
io_threads = $cairn_threads
sys_interval = 0
[limits]
max_connections = 100000
EOF
  "$cairn" --config "$tmp/cairn.toml" >"$log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 400); do
    # The log, not a probe connection, which the listener would count as a
    # failed handshake. cairn opens its listeners in order.
    if grep -q "listening on 127.0.0.1:$port_tls13 (mqtts)" "$log"; then return 0; fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.025
  done
  echo "tls_compare.sh: cairn did not start:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

# cpu_ticks PID: user + system CPU of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
ticks_per_s="$(getconf CLK_TCK)"

failures=0
notes=()
note() {
  notes+=("$1")
  echo "  ! $1" >&2
}

# run_load ROW TRANSPORT ARGS...: one cairn-load run against a fresh cairn over
# TRANSPORT (tcp, tls12, tls13); appends its JSON line, tagged with the row, the
# transport and cairn's CPU seconds over the run, to $tmp/results.
run_load() {
  local row="$1" transport="$2"
  shift 2
  local run_started
  run_started="$(date +%s)"
  start_broker
  local target=()
  case "$transport" in
    tcp) target=(--port "$port_tcp") ;;
    tls12) target=(--port "$port_tls" --cafile "$tmp/ca.pem" --tls-version 1.2) ;;
    tls13) target=(--port "$port_tls13" --cafile "$tmp/ca.pem") ;;
  esac
  local rc=0 cpu0 cpu1 started ended
  cpu0="$(cpu_ticks "$broker_pid")"
  started="$(date +%s%N)"
  "$load" --host 127.0.0.1 "${target[@]}" --duration "$duration" --warmup "$warmup" --json "$@" \
    >"$tmp/run.json" 2>"$tmp/run.err" || rc=$?
  ended="$(date +%s%N)"
  cpu1="$(cpu_ticks "$broker_pid")"
  if ! kill -0 "$broker_pid" 2>/dev/null; then
    failures=$((failures + 1))
    note "cairn exited during the run; its log ends with: $(tail -n 3 "$log" | tr '\n' ' ')"
  fi
  stop_broker
  if grep -E '\[(error|critical)\]' "$log" >/dev/null; then
    note "cairn logged errors: $(grep -E '\[(error|critical)\]' "$log" | head -n 3 | tr '\n' ' ')"
  fi
  local bad=0
  python3 - "$row" "$transport" "$rc" "$*" "$tmp/run.json" "$tmp/run.err" \
    "$((cpu1 - cpu0))" "$ticks_per_s" "$((ended - started))" "$tmp/progress" \
    "$(($(date +%s) - run_started))" >>"$tmp/results" 2>"$tmp/problem" <<'EOF' || bad=1
import json, sys
row, transport, rc, args, json_path, err_path, ticks, hz, wall_ns, progress, took = sys.argv[1:]
err = " ".join(open(err_path).read().split())[:400]
try:
    r = json.loads(open(json_path).read())
except ValueError:
    print(f"{transport} [{args}]: no result (exit {rc}): {err}", file=sys.stderr)
    sys.exit(1)
r["row"] = row
r["transport"] = transport
r["broker_cpu_s"] = int(ticks) / int(hz)
r["wall_s"] = int(wall_ns) / 1e9
print(json.dumps(r))
rate = r["connect_rate"] if r["scenario"] == "connect" else r["delivery_rate"]
with open(progress, "w") as f:
    print(f"  {transport}: {rate:,.0f}/s, p50 {r['p50_us']:,.0f} us ({took} s)", file=f)
bad = [f"{k} {r[k]}" for k in ("lost", "duplicated", "reordered") if r[k]]
if not r["drained"]:
    bad.append("in-flight messages not drained after publishing stopped")
expected = {"tcp": "", "tls12": "TLSv1.2", "tls13": "TLSv1.3"}[transport]
if (r["tls"] != "") if not expected else (not r["tls"].startswith(expected + " ") or "," in r["tls"]):
    bad.append(f"negotiated '{r['tls']}', expected {expected or 'no TLS'}")
if r["errors"] or bad or rc != "0":
    print(f"{transport} [{args}]: exit {rc}: " + "; ".join(r["errors"] + bad), file=sys.stderr)
    sys.exit(1)
EOF
  if ((bad)); then
    failures=$((failures + 1))
    note "$(cat "$tmp/problem")"
  else
    cat "$tmp/progress" >&2
  fi
}

# The rows: label, transports, cairn-load's arguments. 64-byte payloads, MQTT
# 3.1.1, one cairn-load thread throughout.
labels=(
  "connection set-up, 1 at a time"
  "connection set-up, 8 at a time"
  "QoS 1, 8 pairs, 64 B"
)
transports=("tcp tls12 tls13" "tcp tls12 tls13" "tcp tls12 tls13")
arguments=(
  "--scenario connect --clients 1"
  "--scenario connect --clients 8"
  "--scenario pairs --clients 8 --qos 1"
)

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
header="$(cat <<EOF
## cairn: TLS against plain TCP

- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)
- cairn: $("$cairn" --version) ($cairn, io_threads = $cairn_threads)
- $(openssl version)
- cairn-load: $load; $duration s measured after $warmup s of warm-up, median of $rounds round(s), transports alternating
- data directory: $data ($data_fs)
EOF
)"
started_load="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$header" >&2
if [[ "$data_fs" == tmpfs || "$data_fs" == ramfs ]]; then
  note "the data directory is on a $data_fs (use --data-root)"
fi

: >"$tmp/results"
for i in "${!labels[@]}"; do
  echo "== ${labels[$i]} (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  for ((round = 1; round <= rounds; round++)); do
    for transport in ${transports[$i]}; do
      # shellcheck disable=SC2086  # the arguments are words
      run_load "$i" "$transport" ${arguments[$i]}
    done
  done
done

printf '%s\n' "${labels[@]}" >"$tmp/labels"
table="$(python3 - "$tmp/results" "$tmp/labels" <<'EOF'
import json, statistics, sys
path, labels_path = sys.argv[1:3]
labels = open(labels_path).read().splitlines()
runs = [json.loads(line) for line in open(path) if line.strip()]
names = {"tcp": "TCP", "tls12": "TLS 1.2", "tls13": "TLS 1.3"}

def pick(row, transport):
    return [r for r in runs if r["row"] == str(row) and r["transport"] == transport
            and not r["errors"]]

def med(values):
    return statistics.median(values) if values else None

def num(value, digits=0):
    return "FAIL" if value is None else f"{value:,.{digits}f}"

out = ["| scenario | transport | rate | vs TCP | p50 / p99 latency (us) | cairn CPU "
       "| cairn-load CPU | negotiated |",
       "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
for row, label in enumerate(labels):
    connect = "set-up" in label
    base = None
    for transport in ("tcp", "tls12", "tls13"):
        rs = pick(row, transport)
        if not rs and not any(r["row"] == str(row) and r["transport"] == transport for r in runs):
            continue
        if connect:
            rate = med([r["connect_rate"] for r in rs])
            unit = "conn/s"
            # cairn's CPU over the whole run, per connection set up in it.
            cpu = med([r["broker_cpu_s"] / r["connections_total"] * 1e6 for r in rs
                       if r["connections_total"]])
            cpu_text = "FAIL" if cpu is None else f"{cpu:,.0f} us/conn"
        else:
            rate = med([r["delivery_rate"] for r in rs])
            unit = "msgs/s"
            cpu = med([r["broker_cpu_s"] / r["wall_s"] for r in rs])
            cpu_text = "FAIL" if cpu is None else f"{cpu:.2f} cores"
        if transport == "tcp":
            base = rate
        ratio = "-" if transport == "tcp" or not base or rate is None else f"{rate / base:.2f}x"
        p50, p99 = med([r["p50_us"] for r in rs]), med([r["p99_us"] for r in rs])
        lat = "FAIL" if p50 is None else f"{p50:,.0f} / {p99:,.0f}"
        load = med([r["load_cpu"] for r in rs])
        load_text = "FAIL" if load is None else f"{load:.2f} cores"
        tls = rs[0]["tls"] if rs and rs[0]["tls"] else "-"
        out.append(f"| {label} | {names[transport]} | {num(rate)} {unit} | {ratio} | {lat} "
                   f"| {cpu_text} | {load_text} | {tls} |")
print("\n".join(out))
EOF
)"

report="$header
- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: $started_load)

$table

Connection set-up: each cairn-load slot opens a TCP connection, makes a full TLS handshake (no
session resumption; the certificate is verified against the throwaway CA), sends CONNECT (MQTT
3.1.1, clean session), waits for the CONNACK, sends DISCONNECT and closes, then starts the next;
the rate counts whole cycles in the measured seconds, the latency runs from the TCP connect to the
CONNACK. Server certificate: EC P-256 (ECDSA); key exchange: OpenSSL's default group (X25519 with
OpenSSL 3.0, for both versions); TLS 1.3 servers send two session tickets, never used. cairn CPU:
its user + system CPU over the whole cairn-load run (warm-up included), per connection set up in
it, or for the QoS 1 rows in cores (CPU seconds / seconds the run took, connecting and draining
included). cairn-load CPU: the load generator's own CPU in the measured seconds (one I/O thread;
near 1.0 it, not cairn, is the limit; it shares the machine's cores with cairn). QoS 1, 8 pairs:
clean sessions, window 64 per publisher, as in compare.sh; the latency is publish to delivery."
if ((${#notes[@]} > 0)); then
  report+=$'\n\nProblems:\n'
  for n in "${notes[@]}"; do report+="- $n"$'\n'; done
fi
echo
echo "$report"
if [[ -n "$out" ]]; then
  echo "$report" >"$out"
  cp "$tmp/results" "${out%.md}.jsonl"
fi
if ((failures > 0)); then
  echo "tls_compare.sh: $failures run(s) failed or lost, duplicated or reordered messages" >&2
  exit 1
fi
