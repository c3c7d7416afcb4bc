#!/bin/sh
# End-to-end test of nnstate train's gradient and rollback options: clipping and accumulation
# run, a spiking sample rolls back (reported on stderr), a run whose rollbacks are used up ends
# as diverged (exit 1), and SIGKILL + resume mid-accumulation and after rollbacks is bitwise the
# uninterrupted run. Usage: cli_guard.sh NNSTATE_BINARY WORK_DIR
set -u
NNSTATE=$1
WORK=$2
. "$(dirname "$0")/cli_lib.sh"

# 200 rows x = (a, b), y = a - 2b, in file order; row 150 (batch 16 of 20) has y = 1e4.
perl -e '
  my $s = 5;
  sub rnd { $s = ($s * 1103515245 + 12345) % 2147483648; return $s / 2147483648 - 0.5; }
  print "a,b,y\n";
  for my $i (0 .. 199) {
    my ($a, $b) = (rnd(), rnd());
    printf("%.6f,%.6f,%.6f\n", $a, $b, $i == 150 ? 1e4 : $a - 2 * $b);
  }' > data.csv || exit 1

OPTS="--arch 2-8-tanh-1 --csv data.csv --no-shuffle --epochs 3 --batch-size 10 --optimizer sgd --lr 0.05 --momentum 0.9 --clip-grad-norm 1 --accumulate-steps 2 --rollback --rollback-spike-factor 50 --rollback-skip-batches 2 --rollback-snapshot-every 3"
CKPT="--checkpoint-every-steps 7"

run 0 train $OPTS $CKPT --checkpoint-dir ref
[ "$(grep -c '^nnstate: loss spike in epoch [123] batch 16 ' err.txt)" -eq 3 ] ||
  fail "expected one rollback per epoch at batch 16: $(cat err.txt)"
grep -q '^nnstate: loss spike in epoch 2 batch 16 (step 36, loss=[0-9.e+]*): rolled back to the snapshot of update [0-9]*, lr=0.0125$' err.txt ||
  fail "rollback line: $(grep spike err.txt)"
grep -q '^done reason=completed epochs=3' out.txt || fail "no done line: $(cat out.txt)"
run 0 dump ref/last.nnst
grep -q 'trainer.rollback.events\[2\].reason.*loss_spike' out.txt ||
  fail "the checkpoint does not record the rollbacks: $(grep rollback out.txt | head -3)"

# Killed after step 38 (newest checkpoint: step 35, mid-accumulation, before epoch 2's
# rollback) and after step 45 (newest: step 42, after two rollbacks and the skipped batches).
for crash in 38 45; do
  rm -rf crash
  run 137 train $OPTS $CKPT --checkpoint-dir crash --simulate-crash-after-steps $crash
  run 0 train $OPTS $CKPT --checkpoint-dir crash
  grep -q '^nnstate: resumed ' err.txt || fail "crash $crash: no resume: $(cat err.txt)"
  # The final periodic checkpoints: last.nnst's metadata holds the command line.
  run 0 diff "$(ls ref/ckpt-*.nnst | sort | tail -1)" "$(ls crash/ckpt-*.nnst | sort | tail -1)"
  grep -q '^identical' out.txt || fail "crash $crash: the resumed run differs: $(head -5 out.txt)"
done

# Every rollback used up: the run ends as diverged, saves, and says so.
run 1 train $OPTS --rollback-max 0 -o gaveup.nnst
grep -q '^done reason=diverged epochs=0' out.txt || fail "no diverged done line: $(cat out.txt)"
grep -q '^nnstate: training diverged' err.txt || fail "no divergence message: $(cat err.txt)"
[ -f gaveup.nnst ] || fail "the diverged run saved nothing"

# Usage errors name the option.
expect_error 2 'clip-grad-norm' train $OPTS --clip-grad-norm -1
expect_error 2 'applies only to --rollback' train --arch 2-1 --csv data.csv --rollback-max 2
expect_error 2 'rollback-lr-factor' train $OPTS --rollback-lr-factor 0
expect_error 2 'accumulate-steps' train $OPTS --accumulate-steps 0

[ "$failures" -eq 0 ] || exit 1
echo "cli_guard: all checks passed"
