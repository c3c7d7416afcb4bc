#!/usr/bin/env bash
# The train_resume example: a run stopped at step 37 and started again ends with the same
# weights as an uninterrupted run.
set -euo pipefail
example="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
straight=$("$example" "$work/a" | tail -1)
first=$("$example" "$work/b" --stop-after 37)
grep -q "stopped (run again to resume)" <<< "$first"
second=$("$example" "$work/b")
grep -q "resumed at epoch 1, step 37" <<< "$second"
resumed=$(tail -1 <<< "$second")
echo "uninterrupted: $straight"
echo "resumed:       $resumed"
[[ "$straight" == "$resumed" ]]
