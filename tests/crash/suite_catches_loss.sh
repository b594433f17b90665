#!/usr/bin/env bash
# crash.suite_catches_loss: cairn-crashtest against cairn-broken-early-ack, a
# cairn that acknowledges before its store commits (tests/crash/broken). The
# suite must report the broken promise and exit 1: a suite that passes a
# broken broker proves nothing. The broken promise shows as acknowledged
# messages lost (an offline session's queue) or as QoS 2 messages delivered
# twice (the dedup record was not stored before PUBREC); the suite stops at
# the first cycle that shows either.
#
#   suite_catches_loss.sh CRASHTEST BROKEN_CAIRN WORK_DIR
set -euo pipefail
crashtest="$1" broken="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
rc=0
"$crashtest" --cairn "$broken" --modes sigkill --cycles 20 --data-dir "$work/data" \
  --report-dir "$work" >"$work/output.txt" 2>&1 || rc=$?
tail -n 20 "$work/output.txt"
if ((rc != 1)); then
  echo "suite_catches_loss: cairn-crashtest exited $rc on a broken broker; expected 1" >&2
  exit 1
fi
python3 - "$work/crashtest-report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
mode = report["modes"][0]
assert not report["passed"], "the report says passed"
assert mode["mode"] == "sigkill", mode
assert mode["lost"] > 0 or mode["duplicated_qos2"] > 0, f"no loss or QoS 2 duplicate: {mode}"
assert mode["failed_cycle"] > 0 and ("LOST" in mode["failure"] or " times" in mode["failure"]), \
    f"no failure named: {mode}"
print(f"suite_catches_loss: the suite reported {mode['lost']} acknowledged messages lost and "
      f"{mode['duplicated_qos2']} QoS 2 duplicates at cycle {mode['failed_cycle']} and exited 1, "
      "as it must")
PY
