#!/usr/bin/env bash
# Installs the Debian packages libnnstate needs to build and test; does nothing when all are present.
# Usage: cmake/install-deps.sh [--with-bench] [--ci]
#   --with-bench adds PyTorch for the benchmarks; --ci adds abigail-tools for the ABI check and
#   clang-format for the formatting check. (zlib1g-dev: the nnstate program reads gzip'ed data.)
set -euo pipefail
packages=(cmake g++ make pkg-config python3 python3-numpy dataset-fashion-mnist libopenblas-dev
          libflatbuffers-dev
          flatbuffers-compiler doctest-dev zlib1g-dev)
for option in "$@"; do
  case "$option" in
    --with-bench) packages+=(python3-torch python3-numpy) ;;
    --ci) packages+=(abigail-tools clang-format) ;;
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
