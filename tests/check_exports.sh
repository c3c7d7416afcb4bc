#!/usr/bin/env bash
# Fails when the shared library exports any symbol outside the C API (nnstate_*).
set -euo pipefail
lib="$1"
symbols=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//')
[[ -n "$symbols" ]] || { echo "no exported symbols found in $lib"; exit 1; }
leaked=$(echo "$symbols" | grep -vE '^(nnstate_[a-z0-9_]+|LIBNNSTATE_1)$' || true)
if [[ -n "$leaked" ]]; then
  echo "symbols outside the C API exported by $lib:"
  echo "$leaked"
  exit 1
fi
echo "$(echo "$symbols" | grep -c '^nnstate_') nnstate_ symbols exported, nothing else"
