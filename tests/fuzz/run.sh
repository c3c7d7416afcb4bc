#!/usr/bin/env bash
# Runs libFuzzer targets of a NNSTATE_FUZZ=ON build, for CI (bounded) or for hours by hand.
# Usage: tests/fuzz/run.sh TARGET|all SECONDS [libFuzzer options...]
#   TARGET: checkpoint, checkpoint_crc, gzip, idx, csv, arch_spec, node_json, network_json,
#   safetensors; "all" runs each in turn.
#   NNSTATE_FUZZ_BUILD: the build directory (default build-fuzz), configured as in .ci/run.
#   NNSTATE_FUZZ_JOBS: how many targets run at once (default 1; each libFuzzer run uses one core).
# New inputs go to $NNSTATE_FUZZ_BUILD/fuzz-corpus/TARGET (the checked-in corpus is read only);
# a crash leaves its reproducer in $NNSTATE_FUZZ_BUILD/fuzz-findings/TARGET and makes this
# script fail. To keep one as a regression test, copy it to tests/fuzz/crashes/TARGET/ (replayed
# by ctest) once it is fixed. The last lines of each run give executions and coverage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${NNSTATE_FUZZ_BUILD:-$root/build-fuzz}
targets=(checkpoint checkpoint_crc gzip idx csv arch_spec node_json network_json safetensors)
if [[ $# -lt 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 TARGET|all SECONDS [libFuzzer options...] (targets: ${targets[*]})" >&2
  exit 2
fi
what=$1 seconds=$2
shift 2
[[ $what == all ]] && selected=("${targets[@]}") || selected=("$what")

# Sanitizer reports abort (the build uses -fno-sanitize-recover); leaks count as findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

jobs=${NNSTATE_FUZZ_JOBS:-1}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: NNSTATE_FUZZ_JOBS must be a positive count" >&2; exit 2; }
for target in "${selected[@]}"; do
  if [[ ! -x $build/tests/fuzz/fuzz_$target ]]; then
    echo "run.sh: $build/tests/fuzz/fuzz_$target is missing: build $build with -DNNSTATE_FUZZ=ON first" >&2
    exit 2
  fi
done

# One target's run; its output goes to its log, its exit status says whether it found something.
fuzz_one() {
  local target=$1
  local corpus=$build/fuzz-corpus/$target findings=$build/fuzz-findings/$target
  mkdir -p "$corpus" "$findings"
  local seeds=("$here/corpus/$target")
  [[ -d $here/crashes/$target ]] && seeds+=("$here/crashes/$target")
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the library allocate more than
  # 2 GiB is a finding (allocations must be bounded by the input). -timeout: 25 s per input.
  "$build/tests/fuzz/fuzz_$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$findings/" "${extra[@]}" 2>"$build/fuzz-$target.log"
}

extra=("$@")
declare -A pid_of
running=0
for target in "${selected[@]}"; do
  if ((running == jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  echo "== fuzz_$target for ${seconds}s"
  fuzz_one "$target" &
  pid_of[$target]=$!
  running=$((running + 1))
done

status=0
for target in "${selected[@]}"; do
  if ! wait "${pid_of[$target]}"; then
    status=1
    echo "run.sh: fuzz_$target found a problem; reproducer in $build/fuzz-findings/$target:" >&2
    ls -l "$build/fuzz-findings/$target" >&2
  fi
  echo "-- fuzz_$target"
  grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss|==ERROR|SUMMARY' \
    "$build/fuzz-$target.log" | tail -n 6
done
exit $status
