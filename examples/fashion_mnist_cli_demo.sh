#!/bin/sh
# The libnnstate demo: trains an MLP on Fashion-MNIST with `nnstate train`, kills the run with
# SIGKILL in the middle of an epoch, resumes it from its checkpoints, and checks that it ends
# bitwise identical to an uninterrupted run; then evaluates on the test set and plots curves.
# Usage: examples/fashion_mnist_cli_demo.sh BUILD_DIR [OUT_DIR]   (default OUT_DIR: demo)
# (The same demo as examples/fashion_mnist_demo.sh, through the nnstate program instead of C.)
# Data: Debian's dataset-fashion-mnist (cmake/install-deps.sh installs it).
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
NNSTATE=$BUILD/tools/nnstate
D=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
OUT=${2:-demo}
MIN_ACCURACY=0.88
CRASH_STEP=1888 # epoch 5 of 15, batch 200 of 422: mid-epoch

die() {
  echo "demo: FAILED: $*" >&2
  exit 1
}
[ -x "$NNSTATE" ] || die "$NNSTATE not found: build first (cmake --build $BUILD)"
for f in train-images-idx3 train-labels-idx1 t10k-images-idx3 t10k-labels-idx1; do
  [ -f "$D/$f-ubyte.gz" ] || die "$D/$f-ubyte.gz missing (apt-get install dataset-fashion-mnist)"
done

rm -rf "$OUT/run" "$OUT/reference" && mkdir -p "$OUT" || die "cannot create $OUT"
TRAIN="train --arch 784-256-relu-128-relu-10 --images $D/train-images-idx3-ubyte.gz
  --labels $D/train-labels-idx1-ubyte.gz --validation-split 0.1 --seed 1 --optimizer adam
  --lr 1e-3 --batch-size 128 --epochs 15 --scheduler plateau --plateau-patience 1
  --plateau-factor 0.5 --early-stopping-patience 3 --checkpoint-every-steps 100
  --progress lines"
start=$(date +%s)

echo "== 1. training into $OUT/run, crashing (SIGKILL) after step $CRASH_STEP"
echo "(nnstate SIGKILLs itself after step $CRASH_STEP, so the shell will report it as 'Killed')"
# shellcheck disable=SC2086
"$NNSTATE" $TRAIN --checkpoint-dir "$OUT/run" --simulate-crash-after-steps $CRASH_STEP
status=$?
[ "$status" -eq 137 ] || die "the crashing run exited with $status, expected 137 (SIGKILL)"
echo "(that 'Killed' was the simulated crash: exit status $status = 128 + SIGKILL, as intended;"
echo " checkpoints left: $(cd "$OUT/run" && echo ckpt-*.nnst))"

echo "== 2. the same command again: resumes from the newest checkpoint"
# shellcheck disable=SC2086
"$NNSTATE" $TRAIN --checkpoint-dir "$OUT/run" || die "the resumed run failed"

echo "== 3. the same training uninterrupted, into $OUT/reference"
# shellcheck disable=SC2086
"$NNSTATE" $TRAIN --checkpoint-dir "$OUT/reference" || die "the reference run failed"

echo "== 4. comparing the final checkpoints"
final() { ls "$1"/ckpt-e*-s*.nnst | sort | tail -1; }
a=$(final "$OUT/reference")
b=$(final "$OUT/run")
"$NNSTATE" diff "$a" "$b" || die "$b differs from $a"
echo "OK: the crashed-and-resumed run ended identical to the uninterrupted one: every weight,"
echo "    Adam moment, scheduler and early-stopping value, RNG stream and history row"

echo "== 5. test accuracy on t10k"
result=$("$NNSTATE" evaluate "$OUT/run/last.nnst" --images "$D/t10k-images-idx3-ubyte.gz" \
  --labels "$D/t10k-labels-idx1-ubyte.gz") || die "evaluate failed"
echo "$result"
accuracy=$(echo "$result" | sed -n 's/.*accuracy=\([0-9.]*\).*/\1/p')
awk -v a="$accuracy" -v m="$MIN_ACCURACY" 'BEGIN { exit !(a >= m) }' ||
  die "test accuracy $accuracy is below $MIN_ACCURACY"
echo "OK: test accuracy $accuracy >= $MIN_ACCURACY"

echo "== 6. training curves"
"$NNSTATE" plot "$OUT/run/last.nnst" -o "$OUT/curves.svg" || die "plot failed"
echo "demo: all checks passed in $(($(date +%s) - start)) s; curves in $OUT/curves.svg"
