#!/usr/bin/env bash
# The demo: Fashion-MNIST (Debian's dataset-fashion-mnist) with an MLP, Adam, ReduceLROnPlateau
# and early stopping, checkpointed. The run is killed part-way (SIGKILL, as a crash), started
# again (it resumes from the newest valid checkpoint), and compared with `nnstate diff` to an
# uninterrupted run of the same training: they must be identical. Prints the test accuracy
# (>= 0.88 required) and leaves the checkpoints and demo/curves.svg.
#
# Usage: examples/fashion_mnist_demo.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, demo)
set -euo pipefail
build="${1:-build}"
out="${2:-demo}"
program="$build/examples/fashion_mnist"
nnstate="$build/tools/nnstate"
fail() { echo "demo: $*" >&2; exit 1; }

"$(dirname "${BASH_SOURCE[0]}")/fashion_mnist_data.sh" "$out/data"
rm -rf "$out/run" "$out/reference"

echo "== 1. training, killed part-way through epoch 3 (simulated crash)"
echo "   the program SIGKILLs itself after step 1050, so the shell will report it as 'Killed'"
status=0
"$program" "$out/data" "$out/run" --crash-after-steps 1050 || status=$?
[[ $status -eq 137 ]] || fail "the crashing run exited with $status, expected 137 (SIGKILL)"
echo "   that 'Killed' was the simulated crash (exit status 137 = 128 + SIGKILL), as intended"
echo "   checkpoints on disk: $(ls "$out/run" | tr '\n' ' ')"
"$nnstate" verify "$out/run"/ckpt-*.nnst

echo "== 2. the same command again: resumes from the newest valid checkpoint"
"$program" "$out/data" "$out/run" | tee "$out/run.log"

echo "== 3. the same training without interruption, for comparison"
"$program" "$out/data" "$out/reference" > "$out/reference.log"
tail -2 "$out/reference.log"

echo "== 4. nnstate diff: resumed result vs uninterrupted result"
"$nnstate" diff "$out/run/final.nnst" "$out/reference/final.nnst" \
  || fail "the resumed run differs from the uninterrupted run"
echo "   identical: every weight, Adam moment, scheduler and early-stopping value, RNG stream,"
echo "   training position and history row (timings aside)"

"$nnstate" plot "$out/run/final.nnst" -o "$out/curves.svg"
accuracy=$(awk '/^test accuracy:/ {print $3}' "$out/run.log")
echo "test accuracy: $accuracy (checkpoint: $out/run/final.nnst, curves: $out/curves.svg)"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.88) }' || fail "test accuracy $accuracy is below 0.88"
