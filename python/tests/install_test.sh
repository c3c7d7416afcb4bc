#!/usr/bin/env bash
# The Python package installed two ways, each then imported and used to train:
#  1. by `cmake --install` into a prefix: imported through PYTHONPATH, it loads the installed
#     library by itself (no NNSTATE_LIBRARY, no LD_LIBRARY_PATH);
#  2. by pip into a fresh venv, offline, as README.md says (Debian's setuptools and wheel).
# Usage: install_test.sh BUILD_DIR PYTHON PYTHON_INSTALL_DIR
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
python="$2"
python_dir="$3"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unset NNSTATE_LIBRARY PYTHONPATH
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

echo "== cmake --install, then import from <prefix>/$python_dir"
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
for f in "$python_dir/nnstate/__init__.py" "$python_dir/nnstate/_installed_library.py"; do
  [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$work/prefix/$python_dir" \
  "$python" "$here/smoke_installed.py" "$work/prefix/$python_dir" "$work/prefix")

echo "== python3 -m venv --system-site-packages && pip install --no-index --no-build-isolation"
# pip builds in the source directory: copy the package so the checkout stays clean.
mkdir "$work/pkg"
cp -r "$here/../pyproject.toml" "$here/../README.md" "$here/../nnstate" "$work/pkg/"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --no-index --no-build-isolation "$work/pkg" > "$work/pip.log" 2>&1 ||
  { cat "$work/pip.log"; echo "pip install failed"; exit 1; }
(cd "$work" && NNSTATE_LIBRARY="$build_dir/libnnstate.so.1" \
  "$work/venv/bin/python" "$here/smoke_installed.py" "$work/venv" "$build_dir" --pip)
