#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds and runs the consumer programs
# (C, and C++ with the wrapper) against it both ways: CMake's find_package(nnstate) and pkg-config;
# when the MPI component was built, also its consumer (find_package(nnstate COMPONENTS mpi) and
# pkg-config nnstate_mpi), run on 2 ranks.
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

[[ -e "$work/prefix/lib/libnnstate_mpi.so.1" ]] || { echo "(no MPI component installed)"; exit 0; }
for f in include/nnstate/nnstate_mpi.h lib/cmake/nnstate/nnstateMpiTargets.cmake \
         lib/pkgconfig/nnstate_mpi.pc; do
  [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
echo "== find_package(nnstate COMPONENTS mpi)"
cmake -S "$source_dir" -B "$work/cmake-build" -DNNSTATE_CONSUMER_MPI=ON > /dev/null
cmake --build "$work/cmake-build" --target consumer_mpi > /dev/null
LD_LIBRARY_PATH="$work/prefix/lib" mpirun -np 2 "$work/cmake-build/consumer_mpi"
# A component the package does not have fails find_package.
mkdir -p "$work/bogus"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(bogus LANGUAGES C)\n%s\n' \
  'find_package(nnstate REQUIRED CONFIG COMPONENTS nonesuch)' > "$work/bogus/CMakeLists.txt"
if cmake -S "$work/bogus" -B "$work/bogus/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  > "$work/bogus.log" 2>&1; then
  echo "find_package(nnstate COMPONENTS nonesuch) succeeded"
  exit 1
fi
grep -q "no such component" "$work/bogus.log" || { cat "$work/bogus.log"; exit 1; }

echo "== pkg-config nnstate_mpi"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror "$source_dir/consumer_mpi.c" -o "$work/consumer-mpi-pc" \
  $(pkg-config --cflags --libs nnstate_mpi)
LD_LIBRARY_PATH="$work/prefix/lib" mpirun -np 2 "$work/consumer-mpi-pc"
