#!/usr/bin/env bash
# Integration: the real cairn binary scraped by a real Prometheus server
# (Debian's prometheus, every second). Known traffic goes through
# mosquitto_pub and mosquitto_sub, then each series of metrics/README.md that
# the traffic determines is asserted through Prometheus' HTTP API
# (/api/v1/query, by prometheus_query.py, polled until it holds or 20 s pass,
# to tolerate scrape timing): the traffic counters, the offline session's
# queue, the commit (lag) and disk families; then the subscriber drains its
# queue and the queue must fall to 0.
#
# usage: prometheus_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(mktemp -d)"
cairn_pid=""
prometheus_pid=""
passed=0
failed=0

# Whether a background job still runs, from bash's own job table: once bash
# has reaped it its PID may belong to another process (see
# mosquitto_clients_test.sh), so nothing is signalled unless this says so.
running() { [[ -n "$1" ]] && jobs -r -p | grep -qx "$1"; }

stop() {  # pid name
  if running "$1"; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do
      running "$1" || break
      sleep 0.1
    done
    if running "$1"; then
      echo "$2 still runs 10 s after SIGTERM: SIGKILL"
      kill -KILL "$1" 2>/dev/null || true
    fi
  fi
  if [[ -n "$1" ]]; then wait "$1" 2>/dev/null || true; fi
}

cleanup() {
  local status=$?
  set +e
  trap '' PIPE  # a reader that went away (| head) must not stop the clean-up
  stop "$prometheus_pid" prometheus
  stop "$cairn_pid" cairn
  if [[ "$status" != 0 ]]; then
    echo "---- prometheus log ($dir/prometheus.log)"
    cat "$dir/prometheus.log" 2>/dev/null
    echo "---- cairn log ($dir/cairn.log)"
    cat "$dir/cairn.log" 2>/dev/null
    echo "----"
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

die() {
  echo "FAIL: $*"
  exit 1
}

read -r mqtt_port metrics_port prometheus_port < <(free_ports 3)
prometheus_url="http://127.0.0.1:$prometheus_port"

accepts() { (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }  # connects, sends nothing

# --- cairn ---------------------------------------------------------------
"$cairn" --listen "127.0.0.1:$mqtt_port" --metrics-listen "127.0.0.1:$metrics_port" \
  --data-dir "$dir/data" >"$dir/cairn.log" 2>&1 &
cairn_pid=$!
# (Each probe is an accepted connection that never sends CONNECT.)
for endpoint in "MQTT $mqtt_port" "metrics $metrics_port"; do
  port="${endpoint#* }"
  up=no
  for _ in $(seq 200); do
    running "$cairn_pid" || die "cairn exited at start-up"
    if accepts "$port"; then
      up=yes
      break
    fi
    sleep 0.05
  done
  [[ "$up" == yes ]] || die "cairn does not accept ${endpoint% *} connections on 127.0.0.1:$port after 10 s"
done

# --- prometheus ----------------------------------------------------------
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: cairn
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
EOF
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn \
  >"$dir/prometheus.log" 2>&1 &
prometheus_pid=$!
ready=no
for _ in $(seq 300); do
  running "$prometheus_pid" || die "prometheus exited at start-up"
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "$prometheus_url/-/ready" 2>/dev/null; then
    ready=yes
    break
  fi
  sleep 0.1
done
[[ "$ready" == yes ]] || die "prometheus not ready after 30 s"

# Each check polls until it holds or 20 s pass (check_timeout), but all of
# them together no longer than until $deadline (at least 2 s each), so that a
# broken endpoint, which fails them all, still ends within ctest's timeout.
deadline=$((SECONDS + 300))
check() {  # QUERY OP [EXPECTED]: through prometheus_query.py
  local wait=$((deadline - SECONDS))
  if ((wait > ${check_timeout:-20})); then wait=${check_timeout:-20}; fi
  if ((wait < 2)); then wait=2; fi
  if python3 "$here/prometheus_query.py" --url "$prometheus_url" --timeout "$wait" "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

check_local() {  # name expected actual
  if [[ "$2" == "$3" ]]; then
    echo "PASS  $1  expected $2, actual $3"
    passed=$((passed + 1))
  else
    echo "FAIL  $1  expected $2, actual $3"
    failed=$((failed + 1))
  fi
}

# A scrape before any traffic, so that rate() over the traffic has a start;
# without one, nothing below can hold.
check_timeout=30 check 'up{job="cairn"}' == 1
((failed == 0)) || die "prometheus cannot scrape cairn on 127.0.0.1:$metrics_port/metrics"
# Before the traffic: the retained messages ($SYS/broker/... are retained
# too) and the connections accepted so far (the probes above).
value() { python3 "$here/prometheus_query.py" --url "$prometheus_url" --value "$1"; }
retained_before="$(value cairn_retained_messages)" || die "no cairn_retained_messages"
accepted_before="$(value cairn_connections_accepted_total)" || die "no cairn_connections_accepted_total"
echo "before the traffic: cairn_retained_messages $retained_before," \
  "cairn_connections_accepted_total $accepted_before"

# --- traffic -------------------------------------------------------------
# MQTT 3.1.1 throughout. A persistent subscriber subscribes and leaves (-E):
# its session is offline and queues every QoS 1 message on m/#.
mqtt=(-h 127.0.0.1 -p "$mqtt_port" -V 311)
messages=50
payload_size=10
retained_payload=kept
connections=0
mosquitto_sub "${mqtt[@]}" -c -i metrics-sub -q 1 -t 'm/#' -E
connections=$((connections + 1))
# One mosquitto_pub per message: each exits only once its PUBACK came back.
for i in $(seq "$messages"); do
  payload="$(printf 'payload%03d' "$i")"
  [[ "${#payload}" == "$payload_size" ]] || die "payload '$payload' is not $payload_size bytes"
  mosquitto_pub "${mqtt[@]}" -q 1 -t m/x -m "$payload"
  connections=$((connections + 1))
done
# A retained message (QoS 1, so it counts there too), a QoS 0 and a QoS 2
# message, on topics the subscriber does not match.
mosquitto_pub "${mqtt[@]}" -q 1 -r -t r/1 -m "$retained_payload"
mosquitto_pub "${mqtt[@]}" -q 0 -t t/0 -m zero
mosquitto_pub "${mqtt[@]}" -q 2 -t t/2 -m two
connections=$((connections + 3))
qos1_messages=$((messages + 1))
qos1_bytes=$((messages * payload_size + ${#retained_payload}))
traffic_end="$(date +%s.%N)"

# --- assertions ----------------------------------------------------------
deadline=$((SECONDS + 80))
# A scrape that began after the last publish was acknowledged.
check_timeout=30 check 'timestamp(up{job="cairn"})' '>' "$traffic_end"
check 'up{job="cairn"}' == 1

# Traffic.
check 'cairn_messages_received_total{qos="1"}' == "$qos1_messages"
check 'cairn_messages_received_total{qos="0"}' == 1
check 'cairn_messages_received_total{qos="2"}' == 1
check 'cairn_message_bytes_received_total{qos="1"}' == "$qos1_bytes"
check 'cairn_message_bytes_received_total{qos="0"}' == 4
check 'cairn_message_bytes_received_total{qos="2"}' == 3
check 'cairn_connections_accepted_total' == "$((accepted_before + connections))"
check 'cairn_retained_messages' '>=' "$((retained_before + 1))"
check 'cairn_sessions{state="offline"}' '>=' 1
check 'cairn_subscriptions' '>=' 1

# Delivery: the offline session holds every QoS 1 message on m/x.
check 'cairn_queued_messages' '>=' "$messages"
check 'cairn_session_queued_messages{client_id="metrics-sub"}' '>=' "$messages"

# Commit (the write-ahead log).
check 'cairn_store_commits_total' '>' 0
check 'cairn_commit_lag_seconds_count' '>' 0
check 'histogram_quantile(0.99, rate(cairn_commit_lag_seconds_bucket[1m]))' 'finite>' 0
check 'cairn_store_sync_duration_seconds_count' '>' 0
check 'cairn_store_failed' == 0

# Disk.
check 'cairn_store_size_bytes' '>' 0
check 'cairn_data_volume_free_bytes' '>' 0
check 'cairn_data_volume_size_bytes - cairn_data_volume_free_bytes' '>=' 0

# Process and recovery.
check 'process_resident_memory_bytes' '>' 0
check 'cairn_recovery_duration_seconds' exists

# --- drain ---------------------------------------------------------------
# The subscriber comes back (session present) and takes its queue.
received="$(timeout 25 mosquitto_sub "${mqtt[@]}" -c -i metrics-sub -q 1 -t 'm/#' \
  -C "$messages" -W 20 | wc -l || true)"
deadline=$((SECONDS + 30))
check_local "messages the subscriber drained" "$messages" "$received"
check 'cairn_queued_messages' == 0
check 'cairn_messages_sent_total{qos="1"}' '>=' "$messages"

echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
