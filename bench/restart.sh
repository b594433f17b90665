#!/usr/bin/env bash
# bench/restart.sh: what a restart with a backlog costs (issue 17, item 4).
#
# Queues --messages QoS 1 messages (cairn-load's backlog scenario) for each of
# --sessions offline persistent sessions, SIGKILLs cairn once they are all
# acknowledged, starts it again on the same data directory and reports the
# seconds until its listener accepts, and its peak (VmHWM) and resident
# (VmRSS) memory then. The whole backlog stays queued: nothing drains it.
#
#   bench/restart.sh                            100 sessions x 100k (10M deliveries)
#   bench/restart.sh --sessions 10000 --messages 100
#   bench/restart.sh --cairn OLD --again        an older build opening the same store
#
# Options: --cairn BIN (default build/release/src/app/cairn, else
# build/ci-release's), --load BIN (cairn-load beside it), --sessions N,
# --messages M, --payload B (64), --dir DIR (default: a fresh directory under
# build/, on the real disk; kept, so that --again can reopen it), --again
# (skip the backlog: restart on --dir as it is).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
pick() { for b in "$@"; do [[ -x "$b" ]] && { echo "$b"; return; }; done; echo "$1"; }
cairn="$(pick "$root/build/release/src/app/cairn" "$root/build/ci-release/src/app/cairn")"
load=""
sessions=100
messages=100000
payload=64
dir=""
again=""
while (($#)); do
  case "$1" in
    --cairn) cairn="$2"; shift 2 ;;
    --load) load="$2"; shift 2 ;;
    --sessions) sessions="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --payload) payload="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --again) again=yes; shift ;;
    *) echo "restart.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ -n "$load" ]] || load="$(pick "$root/build/release/bench/cairn-load" "$root/build/ci-release/bench/cairn-load")"
for b in "$cairn" "$load"; do
  [[ -x "$b" ]] || { echo "restart.sh: $b is not built" >&2; exit 2; }
done
if [[ -z "$dir" ]]; then
  [[ -z "$again" ]] || { echo "restart.sh: --again needs --dir" >&2; exit 2; }
  mkdir -p "$root/build"
  dir="$(mktemp -d "$root/build/restart.XXXXXX")"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
metrics="$(free_port)"
pid=""
cleanup() { [[ -z "$pid" ]] || kill -KILL "$pid" 2>/dev/null || true; }
trap cleanup EXIT

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
start() {
  "$cairn" --data-dir "$dir/data" --listen "127.0.0.1:$port" \
    --metrics-listen "127.0.0.1:$metrics" >>"$dir/cairn.log" 2>&1 &
  pid=$!
  until accepts; do
    kill -0 "$pid" 2>/dev/null || { echo "restart.sh: cairn ended; see $dir/cairn.log" >&2; exit 1; }
    sleep 0.005
  done
}
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

if [[ -z "$again" ]]; then
  start
  echo "queueing $messages messages for each of $sessions offline sessions in $dir ..."
  "$load" --port "$port" --scenario backlog --clients "$sessions" --qos 1 --payload "$payload" \
    --messages "$messages" >/dev/null 2>"$dir/load.err" &
  load_pid=$!
  until grep -q "messages queued for" "$dir/load.err"; do
    kill -0 "$load_pid" 2>/dev/null || { echo "restart.sh: cairn-load ended:" >&2; tail -n 3 "$dir/load.err" >&2; exit 1; }
    sleep 0.05
  done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  kill "$load_pid" 2>/dev/null || true
  wait "$load_pid" 2>/dev/null || true
fi

sync
started="$(date +%s%N)"
start
listening="$(date +%s%N)"
hwm="$(status_kib "$pid" VmHWM)"
rss="$(status_kib "$pid" VmRSS)"
store="$(du -sm "$dir/data" | cut -f1)"
what="$sessions sessions x $messages messages ($((sessions * messages)) deliveries), "
[[ -z "$again" ]] || what=""
printf 'restart: %sstore %s MiB: listening after %.2f s, VmHWM %s MiB, VmRSS %s MiB\n' \
  "$what" "$store" "$(echo "($listening - $started) / 1000000000" | bc -l)" "$((hwm / 1024))" \
  "$((rss / 1024))"
grep "store .*recovered" "$dir/cairn.log" | tail -n 1 | sed 's/^/  /' || true
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
pid=""
