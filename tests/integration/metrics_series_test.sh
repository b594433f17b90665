#!/usr/bin/env bash
# Integration: every metric the Grafana dashboard (ops/grafana/cairn.json)
# and the alert rules (ops/prometheus/alerts.yml) use is one the real cairn
# serves. Starts the broker with its metrics endpoint on free loopback ports,
# makes some traffic with mosquitto_pub/mosquitto_sub so that the labelled
# series exist (QoS 0/1/2 publishes, a persistent session with messages
# queued, a retained message, a client online, a malformed connection), reads
# GET /metrics, and checks each metric name of every `expr` of the two files:
# a `# TYPE name` line or a sample of that name must be there (a histogram's
# series, NAME_bucket, NAME_sum and NAME_count, count as its family NAME).
# `up` is Prometheus' own and is skipped. Fails naming every missing metric, and
# when it finds fewer than 10 names in the two files (a parser that finds
# nothing must not pass).
#
# usage: metrics_series_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

(($# == 1)) || fail "usage: $0 CAIRN_BINARY"
cairn="$1"
[[ -x "$cairn" ]] || fail "not an executable: $cairn"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dashboard="$root/ops/grafana/cairn.json"
alerts="$root/ops/prometheus/alerts.yml"
for file in "$dashboard" "$alerts"; do
  [[ -f "$file" ]] || fail "missing $file"
done
for tool in python3 curl mosquitto_pub mosquitto_sub timeout; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (ops/install-deps.sh)"
done

dir="$(mktemp -d)"
pid=""
online=""
# Whether a background job of this shell still runs, from bash's own job
# table: once bash has reaped it, its PID may belong to another process.
running() { [[ -n "$1" ]] && jobs -r -p | grep -qx "$1"; }
stop() {  # PID: SIGTERM, then SIGKILL after 10 s, only while it is our job
  local job="$1"
  running "$job" || return 0
  kill -0 "$job" 2>/dev/null || return 0
  kill -TERM "$job" 2>/dev/null || true
  for _ in $(seq 100); do
    running "$job" || break
    sleep 0.1
  done
  if running "$job"; then kill -KILL "$job" 2>/dev/null || true; fi
  wait "$job" 2>/dev/null || true
}
cleanup() {
  stop "$online"
  stop "$pid"
  rm -rf "$dir"
}
trap cleanup EXIT

# ---- the metric names the dashboard and the alerts use ----
python3 - "$dashboard" "$alerts" >"$dir/names" <<'EOF' ||
import json, re, sys

dashboard_path, alerts_path = sys.argv[1], sys.argv[2]

def dashboard_exprs(path):
    out = []
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    data = json.load(open(path))
    walk(data)
    # Template variables: label_values(METRIC{...}, label) names a metric too.
    for var in data.get("templating", {}).get("list", []):
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if var.get("type") == "query" and isinstance(query, str):
            m = re.match(r"\s*label_values\((.*),\s*\w+\s*\)\s*$", query)
            if m:
                out.append(m.group(1))
            elif m is None and query.startswith("query_result("):
                out.append(query[len("query_result("):-1])
    return out

def yaml_exprs(path):
    """The `expr:` values of a YAML file: plain, quoted or block scalars.
    (No YAML module: Debian's python3 has none without python3-yaml.)"""
    lines = open(path).read().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:-\s+)?expr:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2).strip()
        if value and value[0] in "|>":
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            out.append(" ".join(block))
        elif value.startswith('"'):
            out.append(json.loads(value))
        elif value.startswith("'"):
            out.append(value[1:-1].replace("''", "'"))
        else:
            # A plain scalar may go on over more-indented lines.
            parts = [re.sub(r"\s+#.*$", "", value)]
            while i < len(lines) and lines[i].strip() and \
                    len(lines[i]) - len(lines[i].lstrip()) > indent and \
                    not re.match(r"^\s*[\w-]+:(\s|$)", lines[i]):
                parts.append(lines[i].strip())
                i += 1
            out.append(" ".join(parts))
    return out

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "inf", "nan", "start", "end", "atan2"}

def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', " ", expr)  # strings
    e = re.sub(r"\$\{[^}]*\}|\$\w+", " ", e)                               # Grafana variables
    e = re.sub(r"\{[^}]*\}", " ", e)                                        # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                                       # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\b0[xX][0-9a-fA-F]+\b|(?<![\w:])\d+(\.\d*)?([eE][+-]?\d+)?(ms|[smhdwy])?\b"
               r"|(?<![\w:])\.\d+([eE][+-]?\d+)?", " ", e)                   # numbers, durations
    names = []
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        name = m.group(0)
        if re.match(r"\s*\(", e[m.end():]):
            continue  # a function (or an aggregation)
        if name.lower() in KEYWORDS or name == "up":
            continue
        names.append(name)
    return names

exprs = [(dashboard_path, x) for x in dashboard_exprs(dashboard_path)] + \
        [(alerts_path, x) for x in yaml_exprs(alerts_path)]
if not exprs:
    sys.exit("no expr fields found in the dashboard or the alert rules")
seen = {}
for path, expr in exprs:
    for name in metric_names(expr):
        # A histogram's series name its family: NAME_bucket, NAME_sum, NAME_count.
        seen.setdefault(re.sub(r"_(bucket|sum|count)$", "", name), path)
for name in sorted(seen):
    print(name)
print(f"{len(exprs)} expressions, {len(seen)} metric names", file=sys.stderr)
EOF
  fail "could not read the metric names of $dashboard and $alerts"
mapfile -t names <"$dir/names"
echo "metric names used by the dashboard and the alerts: ${#names[@]}"
((${#names[@]} >= 10)) ||
  fail "found only ${#names[@]} metric names in $dashboard and $alerts (expected at least 10): ${names[*]-}"

# ---- the broker ----
read -r port mport < <(free_ports 2)
"$cairn" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" --data-dir "$dir/data" \
  >"$dir/log" 2>&1 &
pid=$!

wait_port() {  # PORT WHAT
  for _ in $(seq 200); do
    if (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! running "$pid"; then
      cat "$dir/log" >&2
      fail "cairn exited before its $2 port 127.0.0.1:$1 opened (log above)"
    fi
    sleep 0.05
  done
  cat "$dir/log" >&2
  fail "cairn's $2 port 127.0.0.1:$1 did not open within 10 s (log above)"
}
wait_port "$port" MQTT
wait_port "$mport" metrics

# ---- traffic, so that the labelled series exist ----
common=(-h 127.0.0.1 -p "$port" -V 311)
mqtt() {  # mosquitto_pub|mosquitto_sub ARGS...: bounded in time, failure is fatal
  timeout 20 "$@" || fail "'$*' failed (exit $?)"
}
# A persistent session subscribes and leaves; messages queue for it.
mqtt mosquitto_sub "${common[@]}" -c -i metrics-series -q 2 -t 'metrics/#' -E
for qos in 0 1 2; do
  mqtt mosquitto_pub "${common[@]}" -q "$qos" -t "metrics/q$qos" -m "hello $qos"
done
# It comes back for two of them (messages sent, by QoS) and leaves again.
mqtt mosquitto_sub "${common[@]}" -c -i metrics-series -q 2 -t 'metrics/#' -C 2 -W 10 >/dev/null
for qos in 1 2; do
  mqtt mosquitto_pub "${common[@]}" -q "$qos" -t "metrics/later$qos" -m "queued $qos"
done
# A retained message.
mqtt mosquitto_pub "${common[@]}" -q 1 -r -t metrics/retained -m kept
# A malformed first packet: a connection refused for a protocol error.
printf '\x10\x05\x00\x04MQ' | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$port" || true
# A client online while /metrics is read.
mosquitto_sub "${common[@]}" -i metrics-online -t 'online/#' >/dev/null 2>&1 &
online=$!
sleep 0.5

# ---- the scrape ----
url="http://127.0.0.1:$mport/metrics"
curl -sS --max-time 10 -f -o "$dir/metrics.txt" "$url" ||
  fail "GET $url failed (is the metrics endpoint implemented?)"
[[ -s "$dir/metrics.txt" ]] || fail "GET $url returned nothing"
echo "GET $url: $(wc -l <"$dir/metrics.txt") lines, $(grep -c '^# TYPE ' "$dir/metrics.txt" || true) families"

python3 - "$dir/metrics.txt" "${names[@]}" <<'EOF'
import re, sys

text = open(sys.argv[1]).read().splitlines()
wanted = sys.argv[2:]
types, samples = {}, set()
for line in text:
    m = re.match(r"#\s*TYPE\s+([A-Za-z_:][A-Za-z0-9_:]*)\s+(\w+)", line)
    if m:
        types[m.group(1)] = m.group(2)
        continue
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)", line)
    if m:
        samples.add(m.group(1))

def present(name):
    return name in types or name in samples or \
        any(f"{name}_{suffix}" in samples for suffix in ("bucket", "sum", "count"))

def sampled(name):
    return name in samples or \
        any(f"{name}_{suffix}" in samples for suffix in ("bucket", "sum", "count"))

missing = [n for n in wanted if not present(n)]
for n in wanted:
    note = "" if n in missing or sampled(n) else " (declared, but no sample in this scrape)"
    print(f"  {'ok     ' if n not in missing else 'MISSING'} {n}{note}")
if missing:
    print(f"FAIL: {len(missing)} of {len(wanted)} metric names used by ops/grafana/cairn.json or "
          f"ops/prometheus/alerts.yml are not served by cairn's /metrics: {' '.join(missing)}",
          file=sys.stderr)
    sys.exit(1)
print(f"all {len(wanted)} metric names are served")
EOF
