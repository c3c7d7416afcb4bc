#!/bin/sh
# nnstate diff on checkpoint pairs that differ in exactly one stored value (written by the
# diff_pairs helper): each must compare different, naming that field with both values, and
# nothing else; wall-clock fields only with --include-times; metadata by glob with
# --ignore-metadata; exit status 0 / 1 / 2 as diff(1).
# Usage: cli_diff.sh NNSTATE_BINARY WORK_DIR DIFF_PAIRS_BINARY
set -u
NNSTATE=$1
WORK=$2
PAIRS=$3
. "$(dirname "$0")/cli_lib.sh"

"$PAIRS" . || exit 1

# differs_only VARIANT PATTERN [LINES]: `diff base VARIANT` exits 1 with exactly LINES (default
# one) difference lines, one of them matching PATTERN (an ERE), and the summary.
differs_only() {
  run 1 diff base.nnst "$1.nnst"
  lines=$(grep -vc '^differ: ' out.txt)
  if [ "$lines" -ne "${3:-1}" ] || ! grep -Eq "$2" out.txt; then
    fail "$1: expected ${3:-1} line(s), one matching '$2', got: $(cat out.txt)"
  fi
  grep -q '^differ: ' out.txt || fail "$1: no 'differ:' summary: $(cat out.txt)"
}

# Two independent builds of one state: identical (creation times are not compared).
run 0 diff base.nnst same.nnst
grep -Eq '^identical: [0-9]+ tensors bitwise, [0-9]+ fields, 2 metadata key\(s\), [0-9]+ wall-clock field\(s\) not compared$' out.txt ||
  fail "base vs same: $(cat out.txt)"

differs_only plateau_bad_epochs '^scheduler\.state\.num_bad_epochs: 0 -> 1$'
differs_only early_stopping_wait '^early_stopping\.state\.wait: [0-9]+ -> [0-9]+$'
differs_only best_weight '^tensor early_stopping\.best\.0\.weight: 1 of 8 values differ, max \|a-b\| [0-9.e-]+ at \[0, 1\] \(([-0-9.e]+) -> ([-0-9.e]+)\), max relative [0-9.e-]+ at \[0, 1\]'
differs_only position '^trainer\.position\.global_step: 8 -> 9$' 3
differs_only position '^trainer\.position\.batch_in_epoch: 0 -> 1$' 3
differs_only position '^trainer\.epoch_partial\.samples: 0 -> 8$' 3
differs_only partial_sum '^trainer\.epoch_partial\.loss_sum: '
differs_only shuffle_rng '^trainer\.epoch_shuffle_rng\.block: [0-9]+ -> [0-9]+$'
differs_only dropout_rng '^rng\[dropout\]\.block: [0-9]+ -> [0-9]+$'
differs_only history_val_loss '^trainer\.history\[0\]\.val_loss: [0-9.e-]+ -> [0-9.e-]+$'
differs_only history_nan_payload '^trainer\.history\[0\]\.accuracy: nan -> nan\(0x7ff8000000000001\)$'
differs_only stopped_early '^trainer\.stopped_early: false -> true$'
differs_only parameter '^tensor 2\.bias: 1 of 2 values differ, max \|a-b\| [0-9.e-]+ at \[0\] '
differs_only adam_moment '^tensor optimizer\.0\.weight\.exp_avg_sq: 1 of 8 values differ, '
# One parameter's Adam step: that parameter's line, and the optimizer's step (their maximum).
run 1 diff base.nnst adam_step.nnst
[ "$(grep -vc '^differ: ' out.txt)" -eq 2 ] && grep -q '^optimizer\.state\[2\.bias\]\.step: 8 -> 9$' out.txt &&
  grep -q '^optimizer\.step: 8 -> 9$' out.txt || fail "adam_step: $(cat out.txt)"
differs_only optimizer_lr '^optimizer\.lr: 0\.001 -> 0\.0010000000000000002$'

# A change in the last bit never prints two equal-looking values.
for v in best_weight partial_sum history_val_loss; do
  run 1 diff base.nnst $v.nnst
  awk -F': ' '/ -> / && !/^differ/ { split($2, p, " -> "); if (p[1] == p[2]) exit 1 }' out.txt ||
    fail "$v: both values print alike: $(cat out.txt)"
  grep -q '(\([-0-9.e]*\) -> \1)' out.txt && fail "$v: tensor values print alike: $(cat out.txt)"
done

# Wall-clock values (epoch seconds) are compared only when asked.
run 0 diff base.nnst history_seconds.nnst
run 1 diff --include-times base.nnst history_seconds.nnst
grep -Eq '^trainer\.history\[0\]\.seconds: [0-9.e-]+ -> [0-9.e-]+$' out.txt ||
  fail "--include-times: $(cat out.txt)"
grep -q '^created_unix_ns: ' out.txt || fail "--include-times: creation time not compared: $(cat out.txt)"

# Long metadata values: where they first differ, with context; ignored by key or glob.
differs_only metadata "^metadata\\[cli\\.command\\]: differ at character 91 \\(line 1, column 91; 93 -> 95 characters\\): \\.\\.\\.' 8 --checkpoint-dir ref' -> \\.\\.\\.' 8 --checkpoint-dir crash'$"
run 0 diff --ignore-metadata cli.command base.nnst metadata.nnst
grep -q '1 metadata key(s) ignored' out.txt || fail "--ignore-metadata: $(cat out.txt)"
run 0 diff --ignore-metadata 'cli.*' --ignore-metadata=note base.nnst metadata.nnst
grep -q '2 metadata key(s) ignored' out.txt || fail "--ignore-metadata glob: $(cat out.txt)"
run 1 diff --ignore-metadata 'other.*' base.nnst metadata.nnst

# Trouble is 2, never 1.
expect_error 2 "missing.nnst: .*No such file" diff base.nnst missing.nnst
expect_error 2 "diff: unknown option '--bogus'" diff --bogus base.nnst same.nnst
head -c 300 base.nnst > cut.nnst
expect_error 2 "cut.nnst: " diff base.nnst cut.nnst

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all checks passed"
