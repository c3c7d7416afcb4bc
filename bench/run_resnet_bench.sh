#!/usr/bin/env bash
# The ResNet-18-style network on Fashion-MNIST: libnnstate (bench/resnet_fashion_mnist.c) beside
# PyTorch with torchvision's resnet18 narrowed the same way (bench/resnet_fashion_mnist_torch.py),
# in the same run and environment, at 1 and 2 threads: test accuracy, samples/s and their ratio.
#
# Usage: bench/run_resnet_bench.sh [build-dir (default: build)]
#   Environment knobs: EPOCHS (1), TRAIN_SAMPLES (0: all 60000), WIDTH (16), BATCH (128),
#   THREADS ("1 2").
# Builds nothing: configure and build first (cmake -S . -B build && cmake --build build -j2).
# Needs /usr/bin/python3 with torch and torchvision (cmake/install-deps.sh --with-bench).
#
# Same architecture (names and shapes checked by ctest resnet_state_names_torchvision), default
# initialisation of PyTorch's layers on both sides, CrossEntropyLoss, Adam lr 1e-3, batch, data
# (pixels / 255), epochs, reshuffling every epoch and dropping the last incomplete batch. Both do
# their GEMMs in the same OpenBLAS and see the same OPENBLAS_CORETYPE and thread count. PyTorch
# runs in the configuration run_mlp_bench.sh found best here (GLIBC_TUNABLES,
# OMP_WAIT_POLICY=PASSIVE, Adam foreach=True); values already set by the caller are kept.
# Samples/s count training steps only (not the test-set evaluation after each epoch).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
if [[ ! -d $build && -d $script_dir/../$build ]]; then build=$script_dir/../$build; fi
epochs=${EPOCHS:-1}
subset=${TRAIN_SAMPLES:-0}
width=${WIDTH:-16}
batch=${BATCH:-128}
threads_list=${THREADS:-1 2}
python=/usr/bin/python3
nnstate_bin=$build/bench/resnet_fashion_mnist
torch_script=$script_dir/resnet_fashion_mnist_torch.py
data=$build/bench/fashion-mnist

if [[ ! -x $nnstate_bin ]]; then
  echo "run_resnet_bench.sh: $nnstate_bin not found: build with NNSTATE_BUILD_BENCH=ON first" >&2
  exit 2
fi
if ! "$python" -c 'import torch, torchvision' 2>/dev/null; then
  echo "run_resnet_bench.sh: $python cannot import torch and torchvision:" \
    "apt-get install -y python3-torch python3-torchvision" >&2
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
echo "host: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset: auto-detect>} GLIBC_TUNABLES=$GLIBC_TUNABLES" \
  "OMP_WAIT_POLICY=$OMP_WAIT_POLICY OPENBLAS_THREAD_TIMEOUT=$OPENBLAS_THREAD_TIMEOUT"
echo "ResNet-18 structure, width $width, batch $batch, $epochs epoch(s) of" \
  "$([[ $subset == 0 ]] && echo all || echo "$subset") training images, Adam 1e-3"

# Each program's output is shown as it runs and kept in a file for its RESULT line.
outputs=$(mktemp -d)
trap 'rm -rf "$outputs"' EXIT
results=()
for threads in $threads_list; do
  export OPENBLAS_NUM_THREADS=$threads
  echo "== $threads thread(s): libnnstate"
  "$nnstate_bin" "$data" "$epochs" "$subset" "$width" "$batch" | tee "$outputs/nnstate"
  ours=$(grep '^RESULT nnstate' "$outputs/nnstate")
  echo "== $threads thread(s): PyTorch"
  "$python" "$torch_script" "$data" "$epochs" "$subset" "$width" "$batch" | tee "$outputs/torch"
  theirs=$(grep '^RESULT torch' "$outputs/torch")
  results+=("$threads $(field test_accuracy "$ours") $(field samples_per_s "$ours")"`
           `" $(field test_accuracy "$theirs") $(field samples_per_s "$theirs")")
done

echo "== result (load average now $(cut -d' ' -f1-3 /proc/loadavg); the machine may be shared)"
printf '%-8s %-22s %-22s %s\n' threads "libnnstate acc, smp/s" "PyTorch acc, smp/s" \
  "ratio libnnstate/PyTorch (samples/s)"
for row in "${results[@]}"; do
  read -r t a s ta ts <<<"$row"
  awk -v t="$t" -v a="$a" -v s="$s" -v ta="$ta" -v ts="$ts" \
    'BEGIN { printf "%-8s %.4f %8.0f        %.4f %8.0f        %.2f\n", t, a, s, ta, ts, s / ts }'
done
