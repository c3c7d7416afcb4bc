#!/usr/bin/env bash
# The Fashion-MNIST demo from Java (examples/java/FashionMnist.java, the C demo's program
# written with the org.nnstate binding): the run is killed part-way (SIGKILL, as a crash),
# started again (it resumes from the newest valid checkpoint), and its final checkpoint is
# compared with `nnstate diff` to the C program's uninterrupted run with the same seed: they
# must be identical (every weight, Adam moment, scheduler and early-stopping value, RNG stream,
# position and history row; only timings differ).
#
# Usage: examples/java/fashion_mnist_java_demo.sh [BUILD_DIR] [OUT_DIR] [C_FINAL]
#   (defaults: build, demo-java). C_FINAL is a final.nnst of the C program's uninterrupted run
#   (the ctest passes the one the C demo left); without it the C program is run here.
set -euo pipefail
build="${1:-build}"
out="${2:-demo-java}"
c_final="${3:-}"
data=/usr/share/datasets/fashion-mnist
nnstate="$build/tools/nnstate"
jna=/usr/share/java/jna.jar
classpath="$jna:$build/java/nnstate.jar:$build/java/nnstate-examples.jar"
java=("${JAVA:-java}" -Dnnstate.library="$build/libnnstate.so.1" -cp "$classpath" FashionMnist)
fail() { echo "java demo: $*" >&2; exit 1; }

[[ -f "$jna" ]] || fail "$jna is missing (apt-get install libjna-java)"
[[ -f "$build/java/nnstate-examples.jar" ]] || fail "build the Java binding first (cmake --build $build)"
mkdir -p "$out/data"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
            t10k-labels-idx1-ubyte; do
  [[ -f "$data/$name.gz" ]] || fail "$data/$name.gz is missing (apt-get install dataset-fashion-mnist)"
  [[ -s "$out/data/$name" ]] || gzip -dc "$data/$name.gz" > "$out/data/$name"
done
rm -rf "$out/run" "$out/c-reference"

echo "== 1. Java training, killed part-way through epoch 3 (simulated crash)"
status=0
"${java[@]}" "$out/data" "$out/run" --crash-after-steps 1050 || status=$?
[[ $status -eq 137 ]] || fail "the crashing run exited with $status, expected 137 (SIGKILL)"
echo "   exit status 137 = 128 + SIGKILL: the simulated crash, as intended"
"$nnstate" verify "$out/run"/ckpt-*.nnst

echo "== 2. the same command again: resumes from the newest valid checkpoint"
"${java[@]}" "$out/data" "$out/run" | tee "$out/run.log"
grep -q "^resumed from" "$out/run.log" || fail "the second run did not resume"

if [[ -z "$c_final" ]]; then
  echo "== 3. the C program, uninterrupted, with the same seed"
  "$build/examples/fashion_mnist" "$out/data" "$out/c-reference" > "$out/c-reference.log"
  c_final="$out/c-reference/final.nnst"
fi

echo "== 4. nnstate diff: Java killed and resumed vs C uninterrupted"
"$nnstate" diff "$out/run/final.nnst" "$c_final" \
  || fail "the Java run differs from the C run"
accuracy=$(awk '/^test accuracy:/ {print $3}' "$out/run.log")
echo "test accuracy: $accuracy (checkpoint: $out/run/final.nnst)"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.88) }' || fail "test accuracy $accuracy is below 0.88"
