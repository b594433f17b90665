#!/usr/bin/env bash
# Integration: ops/prometheus/ is valid for the Prometheus that will load it.
# promtool (Debian package `prometheus`, ops/debian-packages.txt) checks the
# configuration and the alert rules and runs the rules' unit tests
# (alerts_test.yml: every alert fires when it should and not when it should
# not). It also parses every PromQL expression of the Grafana dashboard
# (ops/grafana/cairn.json), with its variables replaced, as a recording rule:
# a panel with a typo fails here rather than showing "no data".
#
# usage: promtool_test.sh [REPOSITORY_ROOT]
#        (default: the repository this script is in)
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
prom="$root/ops/prometheus"
dashboard="$root/ops/grafana/cairn.json"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

command -v promtool >/dev/null ||
  fail "promtool is not installed (Debian package 'prometheus': ops/install-deps.sh)"
command -v python3 >/dev/null || fail "python3 is not installed"
for file in "$prom/prometheus.yml" "$prom/alerts.yml" "$prom/alerts_test.yml" "$dashboard"; do
  [[ -f "$file" ]] || fail "missing $file"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

failed=()
step() {  # name command...
  local name="$1"
  shift
  echo "== $name: $*"
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAIL: $name (exit $?)" >&2
    failed+=("$name")
  fi
}

step "check config" promtool check config "$prom/prometheus.yml"
step "check rules" promtool check rules "$prom/alerts.yml"
step "test rules" promtool test rules "$prom/alerts_test.yml"

# The dashboard's expressions, one recording rule each ($instance -> .*,
# Grafana's interval variables -> 1m).
python3 - "$dashboard" "$tmp/dashboard_rules.yml" <<'EOF'
import json, re, sys

exprs = []
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                exprs.append(value)
            else:
                walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)

walk(json.load(open(sys.argv[1])))
if not exprs:
    sys.exit(f"no expr fields in {sys.argv[1]}")
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for n, expr in enumerate(exprs):
        expr = re.sub(r"\$\{?__(rate_)?interval\}?|\$\{?__range\}?", "1m", expr)
        expr = re.sub(r"\$\{?instance(:\w+)?\}?", ".*", expr)
        if "$" in expr:
            sys.exit(f"a Grafana variable this test does not know in: {expr}")
        out.write(f"      - record: dashboard_expr_{n}\n        expr: {json.dumps(expr)}\n")
print(f"{len(exprs)} dashboard expressions")
EOF
step "dashboard expressions" promtool check rules "$tmp/dashboard_rules.yml"

if ((${#failed[@]} > 0)); then
  echo "promtool_test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "promtool_test: all passed"
