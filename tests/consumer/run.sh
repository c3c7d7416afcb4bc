#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds and runs the consumer programs
# (C, and C++ with the wrapper) against it both ways: CMake's find_package(nnstate) and pkg-config.
set -euo pipefail
build_dir="$1"
source_dir="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
for f in include/nnstate/nnstate.h include/nnstate/nnstate.hpp include/nnstate/cxx/trainer.hpp \
         lib/libnnstate.so.1 lib/cmake/nnstate/nnstateConfig.cmake \
         lib/pkgconfig/nnstate.pc; do
  [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
[[ -L "$work/prefix/lib/libnnstate.so" ]] || { echo "libnnstate.so link missing"; exit 1; }

echo "== find_package(nnstate)"
cmake -S "$source_dir" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/cmake-build" > /dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer_cxx" "$work"

echo "== pkg-config"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror "$source_dir/consumer.c" -o "$work/consumer-pc" \
  $(pkg-config --cflags --libs nnstate)
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer-pc"
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -pedantic -Werror "$source_dir/consumer.cpp" -o "$work/consumer-cxx-pc" \
  $(pkg-config --cflags --libs nnstate)
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer-cxx-pc" "$work"
