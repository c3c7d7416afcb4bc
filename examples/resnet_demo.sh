#!/usr/bin/env bash
# The ResNet demo: a ResNet-18-style network (torchvision's structure and names, width 16) on
# Fashion-MNIST, checkpointed every half epoch. The run SIGKILLs itself in the middle of epoch 2
# (triggered by its step count, not by time), is started again (it resumes from the newest valid
# checkpoint, before the crash point, so the steps in between are trained twice), and its final
# checkpoint is compared with `nnstate diff` to an uninterrupted run's: they must be identical,
# bit for bit. Prints the test accuracy and samples/s; fails unless the training loss decreases
# and the test accuracy (eval mode: BatchNorm's running statistics) reaches MIN_ACCURACY.
#
# Usage: examples/resnet_demo.sh [BUILD_DIR] [OUT_DIR] [TRAIN_SAMPLES] [EPOCHS] [BATCH]
#                                [MIN_ACCURACY] [TEST_SAMPLES]
#   defaults: build, demo-resnet, 20000, 2, 128, 0.8, 10000 (a few minutes on 2 busy cores)
#   Threads: OPENBLAS_NUM_THREADS (the same for every run, as bitwise resume needs).
set -euo pipefail
build="${1:-build}"
out="${2:-demo-resnet}"
train="${3:-20000}"
epochs="${4:-2}"
batch="${5:-128}"
min_accuracy="${6:-0.8}"
test="${7:-10000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
program="$build/examples/resnet_fashion_mnist"
nnstate="$build/tools/nnstate"
fail() { echo "resnet demo: $*" >&2; exit 1; }

[[ $epochs -ge 2 ]] || fail "EPOCHS must be at least 2 (the crash is in epoch 2)"
steps_per_epoch=$(( (train + batch - 1) / batch ))
every=$(( steps_per_epoch / 2 ))
[[ $every -ge 2 ]] || fail "TRAIN_SAMPLES / BATCH must give at least 4 steps per epoch"
crash=$(( steps_per_epoch + every + 1 ))
options=(--epochs "$epochs" --train-samples "$train" --test-samples "$test" --batch-size "$batch"
         --checkpoint-every "$every")

"$here/fashion_mnist_data.sh" "$out/data"
rm -rf "$out/run" "$out/reference"

echo "== 1. training, killed in epoch 2 after step $crash (simulated crash; checkpoints every $every steps)"
echo "   the program SIGKILLs itself, so the shell will report it as 'Killed'"
status=0
"$program" "${options[@]}" --crash-after-steps "$crash" "$out/data" "$out/run" || status=$?
[[ $status -eq 137 ]] || fail "the crashing run exited with $status, expected 137 (SIGKILL)"
echo "   exit status 137 = 128 + SIGKILL, as intended"
echo "   checkpoints on disk: $(ls "$out/run" | tr '\n' ' ')"
"$nnstate" verify "$out/run"/ckpt-*.nnst

echo "== 2. the same command again: resumes from the newest valid checkpoint"
"$program" "${options[@]}" "$out/data" "$out/run" | tee "$out/run.log"
resumed_at=$(sed -n 's/^resumed from .* step \([0-9]*\)$/\1/p' "$out/run.log")
[[ -n $resumed_at ]] || fail "the second run did not resume"
[[ $resumed_at -lt $crash ]] || fail "resumed at step $resumed_at, not before the crash ($crash)"

echo "== 3. the same training without interruption, for comparison"
"$program" "${options[@]}" "$out/data" "$out/reference" | tee "$out/reference.log"

echo "== 4. nnstate diff: resumed result vs uninterrupted result"
"$nnstate" diff "$out/run/final.nnst" "$out/reference/final.nnst" \
  || fail "the resumed run differs from the uninterrupted run"
echo "   identical: every weight, BatchNorm statistic, Adam moment, RNG stream and the position"

# It learns: the last epoch's training loss is below the first's.
losses=$(awk '/^epoch / {print $4}' "$out/reference.log")
awk -v first="$(head -1 <<< "$losses")" -v last="$(tail -1 <<< "$losses")" \
  'BEGIN { exit !(last < first) }' || fail "the training loss did not decrease: $(echo $losses)"

accuracy=$(awk '/^test accuracy:/ {print $3}' "$out/run.log")
[[ $accuracy == "$(awk '/^test accuracy:/ {print $3}' "$out/reference.log")" ]] \
  || fail "the two runs' test accuracies differ"
echo "test accuracy: $accuracy; uninterrupted run:" \
  "$(sed -n 's/^trained .*: \([0-9]*\) samples\/s.*/\1/p' "$out/reference.log") samples/s" \
  "(checkpoint: $out/run/final.nnst)"
awk -v a="$accuracy" -v m="$min_accuracy" 'BEGIN { exit !(a >= m) }' \
  || fail "test accuracy $accuracy is below $min_accuracy"
