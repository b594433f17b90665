#!/usr/bin/env bash
# Quick start: install what is missing, build, and run every test. This is CI:
# .ci/run calls it, and it must fit well within 30 minutes on 2 cores.
#
#   ops/test.sh                  every stage, in order
#   ops/test.sh release bench    only the stages named
#   ops/test.sh --skip fuzz      every stage but the ones skipped (repeatable)
#
# Stages:
#   format    clang-format --dry-run -Werror over every .cc/.h in the tree
#   release   ci-release preset (RelWithDebInfo, -Werror): build everything, ctest
#   sanitize  ci-sanitize preset (Debug, ASan + UBSan, -Werror): build, ctest everything
#             (the unit tests as 4 gtest shards, see tests/CMakeLists.txt)
#   fuzz      ci-fuzz preset (clang, libFuzzer): run every tests/fuzz/*_fuzz target on a
#             temporary copy of its seed corpus, 30 s each
#   bench     run every bench/*_bench of the release build once, briefly, and
#             bench/compare.sh --quick (cairn and mosquitto end to end, ~1.5 minutes)
#
# Environment: CAIRN_FUZZ_SECONDS (each fuzz target's seconds; default 30), CAIRN_JOBS
# (default: nproc).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

all_stages=(format release sanitize fuzz bench)
# Each fuzz target runs this long in CI. Every target starts from its seed
# corpus and a dictionary, so most of its coverage comes in the first seconds;
# 30 s each keeps the stage near 3 minutes of the 30-minute budget as targets
# are added (longer runs: CAIRN_FUZZ_SECONDS, tests/fuzz/README.md).
fuzz_seconds="${CAIRN_FUZZ_SECONDS:-30}"
jobs="${CAIRN_JOBS:-$(nproc)}"

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ---- arguments ----
selected=()
skipped=()
while (($# > 0)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --skip)
      (($# >= 2)) || { echo "ops/test.sh: --skip needs a stage" >&2; exit 2; }
      skipped+=("$2")
      shift 2
      ;;
    --skip=*)
      skipped+=("${1#--skip=}")
      shift
      ;;
    *)
      selected+=("$1")
      shift
      ;;
  esac
done
for stage in "${selected[@]}" "${skipped[@]}"; do
  if [[ " ${all_stages[*]} " != *" $stage "* ]]; then
    echo "ops/test.sh: unknown stage '$stage' (stages: ${all_stages[*]})" >&2
    exit 2
  fi
done
((${#selected[@]} > 0)) || selected=("${all_stages[@]}")
stages=()
for stage in "${all_stages[@]}"; do
  if [[ " ${selected[*]} " == *" $stage "* && " ${skipped[*]-} " != *" $stage "* ]]; then
    stages+=("$stage")
  fi
done

# ---- bookkeeping: headers, timings, the verdict ----
current_stage=""
stage_started=0
timings=()
notes=()
tmp="$(mktemp -d -t cairn-test.XXXXXX)"
script_started=$SECONDS

header() {
  echo
  echo "================================================================"
  echo "== $*"
  echo "================================================================"
}

on_exit() {
  local rc=$?
  rm -rf "$tmp"
  echo
  echo "================================================================"
  for line in "${timings[@]}"; do echo "  $line"; done
  for line in "${notes[@]}"; do echo "  $line"; done
  if ((rc != 0)); then
    if [[ -n "$current_stage" ]]; then
      echo "ops/test.sh: FAILED in stage '$current_stage' after $((SECONDS - stage_started)) s (exit $rc)"
    else
      echo "ops/test.sh: FAILED (exit $rc)"
    fi
  else
    echo "ops/test.sh: PASSED (${stages[*]}) in $((SECONDS - script_started)) s"
  fi
  exit "$rc"
}
trap on_exit EXIT

begin_stage() {
  current_stage="$1"
  stage_started=$SECONDS
  header "stage: $1 — $2"
}

end_stage() {
  timings+=("$(printf '%-9s %5d s' "$current_stage" $((SECONDS - stage_started)))")
  current_stage=""
}

# Runs ctest for a test preset. The full log goes to the terminal only when a
# test fails (every test case is a ctest test, so it is long); the summary
# line is kept for the final report.
run_ctest() {
  local preset="$1" log="$tmp/ctest-$1.log"
  local rc=0
  echo "ctest --preset $preset --parallel $jobs"
  ctest --preset "$preset" --parallel "$jobs" >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    cat "$log"
  else
    tail -n 3 "$log"
  fi
  local summary
  summary="$(grep -E '[0-9]+% tests passed' "$log" | tail -n 1 || true)"
  notes+=("ctest $preset: ${summary:-no summary line}")
  return "$rc"
}

# ---- stages ----

stage_format() {
  begin_stage format "clang-format --dry-run -Werror over the whole tree"
  local files=()
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    local f
    while IFS= read -r -d '' f; do
      [[ -f "$f" ]] && files+=("$f")
    done < <(git ls-files -z --cached --others --exclude-standard -- '*.cc' '*.h')
  else
    while IFS= read -r -d '' f; do files+=("$f"); done \
      < <(find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' \) -type f -print0)
  fi
  echo "$(clang-format --version); ${#files[@]} files"
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: clean"
  end_stage
}

stage_release() {
  begin_stage release "ci-release preset: RelWithDebInfo, -Werror, every test"
  cmake --preset ci-release
  cmake --build --preset ci-release --parallel "$jobs"
  run_ctest ci-release
  end_stage
}

stage_sanitize() {
  begin_stage sanitize "ci-sanitize preset: Debug, ASan + UBSan, -Werror, every test"
  cmake --preset ci-sanitize
  cmake --build --preset ci-sanitize --parallel "$jobs"
  run_ctest ci-sanitize
  end_stage
}

# The seeds and dictionary of one fuzz target. A new target adds its case here
# (or checks in tests/fuzz/corpus/<target>/, which is always copied).
fuzz_seed() {
  local name="$1" corpus="$2" bin_dir="$3"
  if [[ -d "tests/fuzz/corpus/$name" ]]; then
    cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  fi
  case "$name" in
    frame_decoder_fuzz)
      "$bin_dir/cairn_fuzz_seeds" "$corpus"
      fuzz_dict="tests/fuzz/mqtt.dict"
      ;;
    config_fuzz)
      # The example file itself, so the seed never drifts from it.
      cp ops/cairn.toml "$corpus/"
      fuzz_dict="tests/fuzz/config.dict"
      ;;
    websocket_fuzz) fuzz_dict="tests/fuzz/websocket.dict" ;;
    *) fuzz_dict="" ;;
  esac
}

# Starts libFuzzer on target $1 in the background (its PID in $!), on a
# temporary copy of its seed corpus, for $4 seconds.
fuzz_start() {  # name bin_dir artifacts seconds
  local name="$1" bin_dir="$2" artifacts="$3" seconds="$4"
  local corpus="$tmp/corpus/$name" log="$tmp/$name.log"
  mkdir -p "$corpus" "$artifacts/$name"
  fuzz_dict=""
  fuzz_seed "$name" "$corpus" "$bin_dir"
  local seeds
  seeds="$(find "$corpus" -type f | wc -l)"
  if ((seeds == 0)); then
    echo "fuzz: $name has no seed corpus" >&2
    return 1
  fi
  echo "fuzz: $name for ${seconds} s: $seeds seeds${fuzz_dict:+, dictionary $fuzz_dict}"
  local args=("$corpus" "-max_total_time=$seconds" -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1 "-artifact_prefix=$artifacts/$name/")
  [[ -n "$fuzz_dict" ]] && args+=("-dict=$fuzz_dict")
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
    "$bin_dir/$name" "${args[@]}" >"$log" 2>&1 &
}

# Waits for the libFuzzer run of target $1 (PID $2) and fails, printing its
# log and where its reproducers are, if it found anything.
fuzz_check() {  # name pid artifacts seconds
  local name="$1" pid="$2" artifacts="$3" seconds="$4" log="$tmp/$1.log"
  local rc=0
  wait "$pid" || rc=$?
  header "fuzz: $name"
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|Done [0-9]+ runs' "$log" || true
  if ((rc != 0)) || grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior|Memory)Sanitizer|ERROR: libFuzzer|^SUMMARY: ' "$log"; then
    cat "$log"
    echo "fuzz: $name FAILED (exit $rc); reproducer(s) in $artifacts/$name/:" >&2
    ls -l "$artifacts/$name/" >&2 || true
    return 1
  fi
  notes+=("fuzz $name: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds} s, clean")
}

stage_fuzz() {
  begin_stage fuzz "ci-fuzz preset: every tests/fuzz/*_fuzz target, ${fuzz_seconds} s each"
  cmake --preset ci-fuzz
  cmake --build --preset ci-fuzz --parallel "$jobs"
  local bin_dir="build/ci-fuzz/tests/fuzz"
  local artifacts="$root/build/ci-fuzz/artifacts"
  local targets=() src
  for src in tests/fuzz/*_fuzz.cc; do
    [[ -e "$src" ]] && targets+=("$(basename "$src" .cc)")
  done
  ((${#targets[@]} > 0)) || { echo "fuzz: no tests/fuzz/*_fuzz.cc targets" >&2; return 1; }
  local seconds="$fuzz_seconds"

  # $jobs targets at a time: each libFuzzer process uses one core, and the
  # stage took a minute and a half longer with one at a time.
  local name i
  local -A pids=()
  for ((i = 0; i < ${#targets[@]}; i += jobs)); do
    for name in "${targets[@]:i:jobs}"; do
      fuzz_start "$name" "$bin_dir" "$artifacts" "$seconds" || return 1
      pids[$name]=$!
    done
    for name in "${targets[@]:i:jobs}"; do
      fuzz_check "$name" "${pids[$name]}" "$artifacts" "$seconds" || return 1
    done
  done
  end_stage
}

stage_bench() {
  begin_stage bench "every bench/*_bench once, briefly, so none rots; compare.sh --quick"
  cmake --preset ci-release
  cmake --build --preset ci-release --parallel "$jobs"
  local src name ran=0
  for src in bench/*_bench.cc; do
    [[ -e "$src" ]] || continue
    name="$(basename "$src" .cc)"
    header "bench: $name"
    "build/ci-release/bench/$name" --benchmark_min_time=0.01
    ran=$((ran + 1))
  done
  ((ran > 0)) || { echo "bench: no bench/*_bench.cc" >&2; return 1; }
  # End to end, cairn beside mosquitto, briefly: fails on any lost,
  # duplicated or reordered message (the full run: bench/README.md).
  header "bench: compare.sh --quick"
  bench/compare.sh --quick --cairn build/ci-release/src/app/cairn \
    --load build/ci-release/bench/cairn-load --out build/ci-release/compare.md
  end_stage
}

# ---- main ----
header "cairn ops/test.sh: ${stages[*]} (jobs $jobs)"
current_stage=install-deps
stage_started=$SECONDS
ops/install-deps.sh
end_stage
for stage in "${stages[@]}"; do
  "stage_$stage"
done
