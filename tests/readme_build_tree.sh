#!/bin/sh
# README.md stays true: its C++ example (the ```cpp block of "Using it from C++") and its two
# "Compiling against the build tree" commands, run exactly as written from a directory laid out
# like the source tree (include/ and build/).
# Usage: readme_build_tree.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -u
SRC=$1
BUILD=$2
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
ln -s "$SRC/include" include && ln -s "$BUILD" build || exit 1
fail() {
  echo "FAIL: $*"
  exit 1
}

awk '/^## Using it from C\+\+/ { section = 1 } section && /^```cpp$/ { code = 1; next }
     code && /^```$/ { exit } code' "$SRC/README.md" > app.cpp
grep -q 'nnstate::Network' app.cpp || fail "no C++ example found in README.md"
cat > app.c << 'C'
#include <nnstate/nnstate.h>
#include <stdio.h>
int main(void) {
  nnstate_network *net = NULL;
  if (nnstate_network_create(&net, 1) != NNSTATE_OK) return 1;
  printf("libnnstate %s\n", nnstate_version_string());
  nnstate_network_free(net);
  return 0;
}
C
for compiler in cc c++; do
  command=$(grep "^$compiler .*-Iinclude -Lbuild -lnnstate" "$SRC/README.md")
  [ -n "$command" ] || fail "README.md has no '$compiler ... -Iinclude -Lbuild -lnnstate' command"
  eval "$command" || fail "README's command failed: $command"
  ./app > out.txt || fail "the program built by '$command' failed: $(cat out.txt)"
done
grep -q '^refused: .*' out.txt || fail "the C++ example did not report the refused call: $(cat out.txt)"
grep -Eq '^loss 0\.0[0-4][0-9]* after 500 steps, 33 parameters$' out.txt ||
  fail "the C++ example's result: $(cat out.txt)"
[ -f xor.nnst ] || fail "the C++ example saved no checkpoint"
echo "README build-tree commands and C++ example: OK"
