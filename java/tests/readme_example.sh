#!/bin/sh
# README.md stays true: the Java example (the ```java block after the marker in "Using it from
# Java") run with the README's own command line, from a directory laid out like the source tree
# (build/ is the build directory). Then checks what it printed.
# Usage: readme_example.sh README.md BUILD_DIR WORK_DIR   (java on PATH or in $JAVA)
set -u
README=$1
BUILD=$2
WORK=$3
fail() {
  echo "FAIL: $*"
  exit 1
}
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
ln -s "$BUILD" build || exit 1
awk '/<!-- java example: run by ctest java_readme_example -->/ { marker = 1 }
     marker && /^```java$/ { code = 1; next } code && /^```$/ { exit } code' "$README" > Xor.java
grep -q 'class Xor' Xor.java || fail "no Java example after the marker in $README"
command=$(awk '/^## Using it from Java/ { section = 1 } section && /^java / { print; exit }' "$README")
[ -n "$command" ] || fail "no java command line in the Java section of $README"
[ -n "${JAVA:-}" ] && command="$JAVA${command#java}"
echo "$command"
output=$(eval "$command" 2>&1)
status=$?
echo "$output"
[ $status -eq 0 ] || fail "the README example exited with $status"
echo "$output" | grep -q "^refused: SHAPE_MISMATCH: " || fail "the wrong-size call was not refused"
echo "$output" | grep -q "^steps 500, loss 0\.0[0-4][0-9]*, task xor$" \
  || fail "no 500 steps with a loss below 0.05 and the metadata"
