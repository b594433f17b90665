#!/usr/bin/env python3
"""One assertion on a Prometheus instant query, polled until it holds.

usage: prometheus_query.py --url http://HOST:PORT [--timeout SECONDS] QUERY OP [EXPECTED]
       prometheus_query.py --url http://HOST:PORT --value QUERY

OP is one of  ==  >=  >  <=  <  (against the number EXPECTED),  exists  (the
query returns at least one series) or  finite>  (a finite number greater than
EXPECTED, so neither NaN nor ±Inf). A vector result must hold exactly one
series: a query that matches two series is ambiguous and fails. The query is
sent to /api/v1/query (evaluated at "now") every 0.25 s until the assertion
holds or the timeout passes; one line says PASS or FAIL with the query, the
expectation and the last value seen. Exit status 0 on PASS, 1 on FAIL.
With --value it prints the query's one value instead (exit 1 if it has none).
Standard library only.
"""

import argparse
import json
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

OPS = {
    "==": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "finite>": lambda a, b: math.isfinite(a) and a > b,
}


def query(url, expr):
    """The query's result: ("ok", [(labels, value-string), ...]) or ("error", text)."""
    full = url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(full, timeout=5) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:  # 400/422: a bad query; say why
        try:
            body = json.load(error)
        except ValueError:
            return "error", f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return "error", str(error)
    if body.get("status") != "success":
        return "error", f"{body.get('errorType')}: {body.get('error')}"
    data = body["data"]
    if data["resultType"] == "vector":
        return "ok", [(sample["metric"], sample["value"][1]) for sample in data["result"]]
    if data["resultType"] == "scalar":
        return "ok", [({}, data["result"][1])]
    return "error", f"unexpected result type {data['resultType']}"


def evaluate(url, expr, op, expected):
    """(holds, description of what was seen)."""
    status, result = query(url, expr)
    if status == "error":
        return False, f"query error: {result}"
    if op == "exists":
        return bool(result), (f"{len(result)} series, value {result[0][1]}" if result
                              else "no series")
    if not result:
        return False, "no series"
    if len(result) > 1:
        return False, f"{len(result)} series, expected one: {result}"
    text = result[0][1]
    return OPS[op](float(text), expected), text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--value", action="store_true")
    parser.add_argument("query")
    parser.add_argument("op", nargs="?", choices=sorted(OPS) + ["exists"])
    parser.add_argument("expected", nargs="?", default=None)
    args = parser.parse_args()
    if args.value:
        status, result = query(args.url, args.query)
        if status == "ok" and len(result) == 1:
            print(result[0][1])
            return 0
        print(f"{args.query}: no single value: {result}", file=sys.stderr)
        return 1
    if args.op is None:
        parser.error("OP is required")
    expected = None
    if args.op != "exists":
        if args.expected is None:
            parser.error(f"{args.op} needs EXPECTED")
        expected = float(args.expected)

    deadline = time.monotonic() + args.timeout
    while True:
        holds, seen = evaluate(args.url, args.query, args.op, expected)
        if holds or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    expectation = args.op if args.op == "exists" else f"{args.op} {args.expected}"
    print(f"{'PASS' if holds else 'FAIL'}  {args.query}  expected {expectation}, actual {seen}",
          flush=True)
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
