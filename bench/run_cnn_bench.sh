#!/usr/bin/env bash
# The Fashion-MNIST CNN: libnnstate (bench/cnn_fashion_mnist.c) beside its PyTorch twin
# (bench/cnn_fashion_mnist_torch.py) in the same run and environment, at 1 and 2 threads: test
# accuracy, samples/s of wall time and of process CPU time, and their ratios. On a shared machine
# the wall-time ratio depends on who else runs; the CPU-time ratio compares the work done (with
# 2 threads it counts spinning threads too, so read it beside the wall ratio).
#
# Usage: bench/run_cnn_bench.sh [build-dir (default: build)]
#   Environment knobs: EPOCHS (1), THREADS ("1 2").
# Builds nothing: configure and build first (cmake -S . -B build && cmake --build build -j2).
# PyTorch runs in the configuration run_mlp_bench.sh found best here (GLIBC_TUNABLES,
# OMP_WAIT_POLICY=PASSIVE); values already set by the caller are kept.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
if [[ ! -d $build && -d $script_dir/../$build ]]; then build=$script_dir/../$build; fi
epochs=${EPOCHS:-1}
threads_list=${THREADS:-1 2}
python=/usr/bin/python3
nnstate_bin=$build/bench/cnn_fashion_mnist
data=$build/bench/fashion-mnist

if [[ ! -x $nnstate_bin ]]; then
  echo "run_cnn_bench.sh: $nnstate_bin not found: build with NNSTATE_BUILD_BENCH=ON first" >&2
  exit 2
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_cnn_bench.sh: $python cannot import torch: apt-get install -y python3-torch" >&2
  exit 2
fi
"$script_dir/../examples/fashion_mnist_data.sh" "$data"

source "$script_dir/same_blas_core.sh"
tunables=glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-$tunables}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
# libnnstate's counterpart: OpenBLAS's idle threads sleep after 2^4 cycles instead of spinning
# for 2^28 (its default), which would steal the core the library's own conv threads need.
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
field() { # field NAME "RESULT ... NAME=value ..." -> value
  sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"
}

echo "== environment"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset: auto-detect>} OMP_WAIT_POLICY=$OMP_WAIT_POLICY" \
  "OPENBLAS_THREAD_TIMEOUT=$OPENBLAS_THREAD_TIMEOUT $epochs epoch(s)"

outputs=$(mktemp -d)
trap 'rm -rf "$outputs"' EXIT
results=()
for threads in $threads_list; do
  export OPENBLAS_NUM_THREADS=$threads
  echo "== $threads thread(s): libnnstate"
  "$nnstate_bin" "$data" "$epochs" | tee "$outputs/nnstate"
  ours=$(grep '^RESULT nnstate' "$outputs/nnstate")
  echo "== $threads thread(s): PyTorch"
  "$python" "$script_dir/cnn_fashion_mnist_torch.py" "$data" "$epochs" | tee "$outputs/torch"
  theirs=$(grep '^RESULT torch' "$outputs/torch")
  results+=("$threads $(field test_accuracy "$ours") $(field samples_per_s "$ours")"`
           `" $(field samples_per_cpu_s "$ours") $(field test_accuracy "$theirs")"`
           `" $(field samples_per_s "$theirs") $(field samples_per_cpu_s "$theirs")")
done

echo "== result (load average now $(cut -d' ' -f1-3 /proc/loadavg); the machine may be shared)"
printf '%-8s %-30s %-30s %s\n' threads "libnnstate acc, smp/s, smp/cpu-s" \
  "PyTorch acc, smp/s, smp/cpu-s" "ratio wall, cpu"
for row in "${results[@]}"; do
  read -r t a s c ta ts tc <<<"$row"
  awk -v t="$t" -v a="$a" -v s="$s" -v c="$c" -v ta="$ta" -v ts="$ts" -v tc="$tc" \
    'BEGIN { printf "%-8s %.4f %7.0f %7.0f        %.4f %7.0f %7.0f        %.2f %.2f\n",
             t, a, s, c, ta, ts, tc, s / ts, c / tc }'
done
