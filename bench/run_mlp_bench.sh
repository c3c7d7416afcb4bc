#!/usr/bin/env bash
# Training throughput of libnnstate beside PyTorch, in the same run and environment.
#
# Usage: bench/run_mlp_bench.sh [build-dir (default: build)]
#   Environment knobs: STEPS (timed steps, 300), WARMUP (30), REPEATS (3),
#   TORCH_UNTUNED=1 also runs PyTorch in its out-of-the-box configuration (slow here).
#
# Builds nothing: configure and build first, e.g.
#   cmake -S . -B build && cmake --build build -j2
# Needs Debian's PyTorch for /usr/bin/python3 (apt-get install -y python3-torch).
#
# Both programs run the same model, loss, optimizer, batch and data sizes (MLP 784-512-256-10
# ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 128, 60 synthetic batches) and both do their
# GEMMs in the same OpenBLAS, so they see the same OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS.
# Each is run REPEATS times, alternating, and the best run counts (the machine is shared).
#
# PyTorch is compared in its best configuration found on this machine, set through variables
# that libnnstate also runs under (neither affects it: it allocates nothing per step and has no
# OpenMP pool):
#   GLIBC_TUNABLES  malloc trim/mmap thresholds at 1 GiB: glibc's defaults hand freed
#                   temporaries back to the kernel, costing PyTorch ~600 page faults per step;
#   OMP_WAIT_POLICY=PASSIVE  PyTorch's OpenMP threads otherwise spin after each element-wise op
#                   and starve OpenBLAS's threads on 2 cores (10-50x slower steps under load);
#   and Adam(foreach=True). Values already set by the caller are kept.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
if [[ ! -d $build && -d $script_dir/../$build ]]; then build=$script_dir/../$build; fi
steps=${STEPS:-300}
warmup=${WARMUP:-30}
repeats=${REPEATS:-3}
python=/usr/bin/python3
nnstate_bin=$build/bench/mlp_train
info_bin=$build/bench/openblas_info
torch_script=$script_dir/mlp_train_torch.py

for f in "$nnstate_bin" "$info_bin"; do
  if [[ ! -x $f ]]; then
    echo "run_mlp_bench.sh: $f not found: build with NNSTATE_BUILD_BENCH=ON first" >&2
    exit 2
  fi
done
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run_mlp_bench.sh: $python cannot import torch: apt-get install -y python3-torch" >&2
  exit 2
fi

# One thread count for OpenBLAS (both programs) and PyTorch's intra-op pool.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$(nproc)}
threads=$OPENBLAS_NUM_THREADS
source "$script_dir/same_blas_core.sh"
tunables=glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=1073741824
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-$tunables}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

field() { # field NAME "RESULT ... NAME=value ..." -> value
  sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"
}

echo "== environment"
echo "host: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset: auto-detect>}"
echo "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS (torch.set_num_threads($threads))"
echo "GLIBC_TUNABLES=$GLIBC_TUNABLES"
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
env | grep -E '^(OPENBLAS_|OMP_|GOMP_|MKL_|MALLOC_)' |
  grep -vE '^(OPENBLAS_CORETYPE|OPENBLAS_NUM_THREADS|OMP_WAIT_POLICY)=' |
  sed 's/^/also set: /' || true
info=$("$info_bin")
corename=$(sed -n 's/^openblas_corename=//p' <<<"$info")
blas_threads=$(sed -n 's/^openblas_num_threads=//p' <<<"$info")
echo "OpenBLAS picked (libnnstate's process): core $corename, $blas_threads threads;" \
  "$(sed -n 's/^openblas_config=//p' <<<"$info")"
echo "steps: warm-up $warmup, timed $steps, best of $repeats runs (alternating)"

nnstate_best=0 nnstate_worst=0 nnstate_median_ms=0
torch_best=0 torch_worst=0 torch_median_ms=0
untuned_best=0 untuned_worst=0
torch_header=""

faults() { # "minor page faults ...: N (X per step)" -> "X page faults/step"
  local per_step='s/^minor page faults during the timed steps: [0-9]* (\([0-9.]*\) per step)'
  sed -n "$per_step/\\1 page faults\\/step/p" <<<"$1"
}
better() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
track() { # track PREFIX VALUE: updates PREFIX_best / PREFIX_worst
  local best=${1}_best worst=${1}_worst
  if better "$2" "${!best}"; then printf -v "$best" '%s' "$2"; fi
  if [[ ${!worst} == 0 ]] || better "${!worst}" "$2"; then printf -v "$worst" '%s' "$2"; fi
}

for ((r = 1; r <= repeats; ++r)); do
  out=$("$nnstate_bin" "$steps" "$warmup")
  line=$(grep '^RESULT nnstate' <<<"$out")
  sps=$(field samples_per_s "$line")
  med=$(field median_ms_per_step "$line")
  track nnstate "$sps"
  if [[ $nnstate_median_ms == 0 ]] || better "$nnstate_median_ms" "$med"; then
    nnstate_median_ms=$med
  fi
  echo "run $r libnnstate: $sps samples/s, $(field ms_per_step "$line") ms/step (median $med)," \
    "$(faults "$out")"

  out=$("$python" "$torch_script" "$steps" "$warmup" --threads "$threads" --foreach)
  if [[ -z $torch_header ]]; then
    torch_header=$(grep -E '^(torch|OpenBLAS in torch)' <<<"$out" | grep -v samples/s || true)
  fi
  line=$(grep '^RESULT torch' <<<"$out")
  sps=$(field samples_per_s "$line")
  med=$(field median_ms_per_step "$line")
  track torch "$sps"
  if [[ $torch_median_ms == 0 ]] || better "$torch_median_ms" "$med"; then
    torch_median_ms=$med
  fi
  echo "run $r PyTorch:    $sps samples/s, $(field ms_per_step "$line") ms/step (median $med)," \
    "$(faults "$out")"

  if [[ ${TORCH_UNTUNED:-0} == 1 ]]; then
    out=$(env -u GLIBC_TUNABLES -u OMP_WAIT_POLICY "$python" "$torch_script" "$steps" "$warmup" \
      --threads "$threads")
    line=$(grep '^RESULT torch' <<<"$out")
    sps=$(field samples_per_s "$line")
    track untuned "$sps"
    echo "run $r PyTorch out of the box (glibc malloc defaults, OpenMP spinning, Adam" \
      "foreach=False): $sps samples/s, $(field ms_per_step "$line") ms/step" \
      "(median $(field median_ms_per_step "$line"))," \
      "$(faults "$out")"
  fi
done

spread() { awk -v b="$1" -v w="$2" 'BEGIN { printf "%.0f%%", 100 * (b - w) / b }'; }
echo "== PyTorch side"
echo "$torch_header"
echo "== result (core $corename, $threads OpenBLAS threads, torch intra-op $threads threads," \
  "load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf 'libnnstate: %8.0f samples/s best (worst %.0f, spread %s), best median step %s ms\n' \
  "$nnstate_best" "$nnstate_worst" "$(spread "$nnstate_best" "$nnstate_worst")" \
  "$nnstate_median_ms"
printf 'PyTorch:    %8.0f samples/s best (worst %.0f, spread %s), best median step %s ms\n' \
  "$torch_best" "$torch_worst" "$(spread "$torch_best" "$torch_worst")" "$torch_median_ms"
if [[ ${TORCH_UNTUNED:-0} == 1 ]]; then
  printf 'PyTorch out of the box: %.0f samples/s best (worst %.0f)\n' "$untuned_best" \
    "$untuned_worst"
fi
awk -v a="$nnstate_best" -v b="$torch_best" -v ma="$nnstate_median_ms" -v mb="$torch_median_ms" \
  'BEGIN { printf "ratio libnnstate / PyTorch: %.3f (best samples/s), %.3f (best median step)\n",
           a / b, mb / ma }'
if [[ ${TORCH_UNTUNED:-0} == 1 ]]; then
  awk -v a="$nnstate_best" -v b="$untuned_best" \
    'BEGIN { printf "ratio libnnstate / PyTorch out of the box: %.3f\n", a / b }'
fi
