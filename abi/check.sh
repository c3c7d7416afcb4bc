#!/usr/bin/env bash
# ABI check of libnnstate.so against the committed baseline (abi/libnnstate.abi, from abidw).
#   abi/check.sh BUILD_DIR           compare; fails on any difference unless SOVERSION was bumped
#   abi/check.sh BUILD_DIR --update  regenerate the baseline (commit it with the API change)
# The build must have debug info (-g, e.g. CMAKE_BUILD_TYPE=RelWithDebInfo).
set -euo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"
baseline="$here/libnnstate.abi"
library="$(ls "$build"/libnnstate.so.[0-9]* | grep -E '\.so\.[0-9]+$' | head -1)"
[[ -f "$library" ]] || { echo "abi: no libnnstate.so.N in $build"; exit 1; }

dump() {
  abidw --no-corpus-path --no-comp-dir-path --headers-dir "$here/../include" \
    --drop-private-types --exported-interfaces-only --out-file "$1" "$library"
}

if [[ "${2:-}" == "--update" ]]; then
  dump "$baseline"
  echo "abi: baseline updated from $library"
  exit 0
fi

current="$(mktemp)"
trap 'rm -f "$current"' EXIT
dump "$current"
old_soname=$(grep -o 'soname=.[^"]*' "$baseline" | head -1 | cut -d"'" -f2 | tr -d '"')
new_soname=$(grep -o 'soname=.[^"]*' "$current" | head -1 | cut -d"'" -f2 | tr -d '"')
status=0
abidiff --no-added-syms --fail-no-debug-info "$baseline" "$current" > "$current.report" || status=$?
additions=0
abidiff "$baseline" "$current" > "$current.full" || additions=$?
if (( status == 0 && additions == 0 )); then
  echo "abi: $library matches the baseline ($new_soname)"
  exit 0
fi
cat "$current.full"
if [[ "$old_soname" != "$new_soname" ]]; then
  echo "abi: SONAME changed ($old_soname -> $new_soname): incompatible changes are allowed;" \
       "update the baseline with: abi/check.sh $build --update"
  exit 1
fi
if (( status != 0 )); then
  echo "abi: symbols were removed or changed without bumping SOVERSION ($new_soname)"
else
  echo "abi: symbols were added; update the baseline with: abi/check.sh $build --update"
fi
exit 1
