#!/usr/bin/env bash
# Runs libFuzzer targets of a NNSTATE_FUZZ=ON build, for CI (bounded) or for hours by hand.
# Usage: tests/fuzz/run.sh TARGET|all SECONDS [libFuzzer options...]
#   TARGET: checkpoint, checkpoint_crc, gzip, idx, csv, arch_spec, node_json, network_json,
#   safetensors; "all" runs each in turn.
#   NNSTATE_FUZZ_BUILD: the build directory (default build-fuzz), configured as in .ci/run.
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

status=0
for target in "${selected[@]}"; do
  program=$build/tests/fuzz/fuzz_$target
  if [[ ! -x $program ]]; then
    echo "run.sh: $program is missing: build $build with -DNNSTATE_FUZZ=ON first" >&2
    exit 2
  fi
  corpus=$build/fuzz-corpus/$target findings=$build/fuzz-findings/$target
  mkdir -p "$corpus" "$findings"
  seeds=("$here/corpus/$target")
  [[ -d $here/crashes/$target ]] && seeds+=("$here/crashes/$target")
  echo "== fuzz_$target for ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb: an input that makes the library allocate more than
  # 2 GiB is a finding (allocations must be bounded by the input). -timeout: 25 s per input.
  if ! "$program" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -timeout=25 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$@" 2>"$build/fuzz-$target.log"; then
    status=1
    echo "run.sh: fuzz_$target found a problem; reproducer in $findings:" >&2
    ls -l "$findings" >&2
  fi
  grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss|==ERROR|SUMMARY' \
    "$build/fuzz-$target.log" | tail -n 6
done
exit $status
