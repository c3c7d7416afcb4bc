#!/usr/bin/env bash
# Installs the Debian packages libnnstate needs to build and test; does nothing when all are present.
# Usage: cmake/install-deps.sh [--with-bench] [--ci] [--fuzz]
#   --with-bench adds PyTorch and torchvision for the benchmarks (torchvision's resnet18 is also
#   the reference of ctest resnet_state_names_torchvision); --ci adds abigail-tools for the ABI
#   check and clang-format for the formatting check;
#   --fuzz adds clang and its runtime with libFuzzer for the fuzz targets (-DNNSTATE_FUZZ=ON).
set -euo pipefail
# nlohmann-json3-dev: the JSON parser of node descriptions (nnstate_network_add_node).
# python3-venv and python3-wheel: the offline `pip install ./python` of README.md (ctest
# python_install); Debian 12's venv has no wheel of its own.
# openjdk-17-jdk-headless and libjna-java: the Java binding (java/, JNA without compiled glue)
# and its ctests; without them the build skips it.
# libonnx-dev: ONNX's protobuf classes for the ONNX exporter (tools/onnx, NNSTATE_ONNX; with
# libprotobuf-dev); python3-onnx (onnx.checker) and python3-opencv (cv2.dnn runs the exported
# models) for its ctest onnx_export.
# openmpi-bin and libopenmpi-dev: the optional MPI data-parallel component (mpi/,
# libnnstate_mpi) and its mpirun ctests; without them the build leaves it out.
packages=(cmake g++ make pkg-config python3 python3-numpy python3-venv python3-wheel
          dataset-fashion-mnist libopenblas-dev
          libflatbuffers-dev nlohmann-json3-dev
          flatbuffers-compiler doctest-dev zlib1g-dev
          openjdk-17-jdk-headless libjna-java
          libonnx-dev libprotobuf-dev python3-onnx python3-opencv
          openmpi-bin libopenmpi-dev)
for option in "$@"; do
  case "$option" in
    --with-bench) packages+=(python3-torch python3-torchvision python3-numpy) ;;
    --ci) packages+=(abigail-tools clang-format) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown option $option" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
