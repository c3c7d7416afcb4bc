#!/usr/bin/env bash
# ABI check of libnnstate.so, and of libnnstate_mpi.so when it was built (the optional MPI
# component, mpi/), against the committed baselines (abi/libnnstate.abi, abi/libnnstate_mpi.abi,
# from abidw).
#   abi/check.sh BUILD_DIR                 compare; fails on any difference unless SOVERSION was bumped
#   abi/check.sh BUILD_DIR --update [LIB]  regenerate the baselines (or only LIB's: libnnstate or
#                                          libnnstate_mpi); commit them with the API change
# The build must have debug info (-g, e.g. CMAKE_BUILD_TYPE=RelWithDebInfo).
set -euo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"

# The one file libNAME.so.N (N: the SOVERSION) in DIR, or nothing.
find_library() { ls "$2/$1".so.[0-9]* 2>/dev/null | grep -E '\.so\.[0-9]+$' | head -1 || true; }

# dump LIBRARY HEADERS_DIRS OUT: the library's exported interface, with only the types of the
# headers in HEADERS_DIRS (':'-separated).
dump() {
  local dirs=() dir
  IFS=':' read -r -a dirs <<< "$2"
  local options=()
  for dir in "${dirs[@]}"; do options+=(--headers-dir "$dir"); done
  abidw --no-corpus-path --no-comp-dir-path "${options[@]}" \
    --drop-private-types --exported-interfaces-only --out-file "$3" "$1"
}

# check NAME LIBRARY HEADERS_DIR: 0 when LIBRARY matches abi/NAME.abi.
check() {
  local name=$1 library=$2 headers=$3
  local baseline="$here/$name.abi" current
  current="$(mktemp)"
  dump "$library" "$headers" "$current"
  local old_soname new_soname status=0 additions=0
  old_soname=$(grep -o 'soname=.[^"]*' "$baseline" | head -1 | cut -d"'" -f2 | tr -d '"')
  new_soname=$(grep -o 'soname=.[^"]*' "$current" | head -1 | cut -d"'" -f2 | tr -d '"')
  abidiff --no-added-syms --fail-no-debug-info "$baseline" "$current" > "$current.report" ||
    status=$?
  abidiff "$baseline" "$current" > "$current.full" || additions=$?
  if (( status == 0 && additions == 0 )); then
    echo "abi: $library matches the baseline ($new_soname)"
    rm -f "$current" "$current.report" "$current.full"
    return 0
  fi
  cat "$current.full"
  rm -f "$current" "$current.report" "$current.full"
  if [[ "$old_soname" != "$new_soname" ]]; then
    echo "abi: SONAME changed ($old_soname -> $new_soname): incompatible changes are allowed;" \
         "update the baseline with: abi/check.sh $build --update $name"
  elif (( status != 0 )); then
    echo "abi: $name: symbols were removed or changed without bumping SOVERSION ($new_soname)"
  else
    echo "abi: $name: symbols were added; update the baseline with:" \
         "abi/check.sh $build --update $name"
  fi
  return 1
}

core="$(find_library libnnstate "$build")"
[[ -n "$core" ]] || { echo "abi: no libnnstate.so.N in $build"; exit 1; }
mpi="$(find_library libnnstate_mpi "$build/mpi")"
# name|library|headers: the MPI component's header includes nnstate.h, whose types it uses.
targets=("libnnstate|$core|$here/../include")
if [[ -n "$mpi" ]]; then
  targets+=("libnnstate_mpi|$mpi|$here/../mpi/include:$here/../include")
else
  echo "abi: libnnstate_mpi was not built in $build: its baseline is not checked"
fi

failed=0
for target in "${targets[@]}"; do
  IFS='|' read -r name library headers <<< "$target"
  if [[ "${2:-}" == "--update" ]]; then
    if [[ -z "${3:-}" || "$3" == "$name" ]]; then
      dump "$library" "$headers" "$here/$name.abi"
      echo "abi: baseline $name.abi updated from $library"
    fi
  else
    check "$name" "$library" "$headers" || failed=1
  fi
done
exit "$failed"
