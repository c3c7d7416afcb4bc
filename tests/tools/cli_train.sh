#!/bin/sh
# End-to-end test of the nnstate program: trains on small generated IDX (gzip'ed) and CSV
# datasets, checks the epoch lines, checkpoints, evaluate/predict, resume and signals, and
# that bad input gives a clear "nnstate: " message and exit status 1 or 2, never a crash.
# Usage: cli_train.sh NNSTATE_BINARY WORK_DIR
set -u
NNSTATE=$1
WORK=$2
. "$(dirname "$0")/cli_lib.sh"

# ---- Data: 4x4 images of three classes, a bright row band per class, with noise -----------
# (perl-base is essential on Debian, so the script needs nothing else.)
make_idx() {
  perl -e '
    my ($n, $images, $labels, $seed) = @ARGV;
    my $x = $seed;
    sub rnd { $x = ($x * 1103515245 + 12345) % 2147483648; return $x / 2147483648; }
    open(my $fi, ">:raw", $images) or die; open(my $fl, ">:raw", $labels) or die;
    print $fi pack("NNNN", 0x803, $n, 4, 4);
    print $fl pack("NN", 0x801, $n);
    for my $i (0 .. $n - 1) {
      my $c = $i % 3;
      print $fl pack("C", $c);
      for my $p (0 .. 15) {
        print $fi pack("C", (int($p / 4) == $c ? 200 : 30) + int(rnd() * 50));
      }
    }' "$@" || exit 1
}
make_idx 300 train-images train-labels 1
make_idx 60 val-images val-labels 2
gzip -9 -k train-images train-labels val-images || exit 1

IDX="--images train-images.gz --labels train-labels.gz --val-images val-images.gz --val-labels val-labels"
ARCH="--arch 16-32-relu-3"

# ---- Training on IDX: one line per epoch, learning happens --------------------------------
run 0 train $ARCH $IDX --epochs 8 --batch-size 16 --lr 0.01 --seed 3
[ "$(grep -c '^epoch ' out.txt)" -eq 8 ] || fail "expected 8 epoch lines, got: $(cat out.txt)"
line='^epoch [0-9]+/8 loss=[0-9.e+-]+ accuracy=[0-9.]+ val_loss=[0-9.e+-]+ val_accuracy=[0-9.]+ lr=0.01 seconds=[0-9.]+ samples_per_second=[0-9]+$'
[ "$(grep -Ec "$line" out.txt)" -eq 8 ] || fail "epoch lines do not have the documented form: $(head -2 out.txt)"
grep -q '^done reason=completed epochs=8$' out.txt || fail "no final 'done' line: $(tail -1 out.txt)"
awk '/^epoch 8\/8/ { split($6, a, "="); exit !(a[2] >= 0.9) }' out.txt ||
  fail "val_accuracy below 0.9 after 8 epochs: $(grep '^epoch 8' out.txt)"
grep -q '^nnstate: Linear(16, 32), ReLU, Linear(32, 3), loss cross_entropy' err.txt ||
  fail "no summary on stderr: $(cat err.txt)"

# Same seed, same lines (apart from the timings).
strip_times() { sed 's/ seconds=.*//' "$1"; }
cp out.txt first.txt
run 0 train $ARCH $IDX --epochs 8 --batch-size 16 --lr 0.01 --seed 3
[ "$(strip_times out.txt)" = "$(strip_times first.txt)" ] || fail "two runs with one seed differ"

# Progress bar forced: carriage returns, and the epoch lines are still there.
run 0 train $ARCH $IDX --epochs 2 --batch-size 1 --progress bar
[ "$(grep -c 'epoch 2/2 loss=' out.txt)" -eq 1 ] || fail "bar mode lost the epoch line"
grep -q "$(printf '\r')epoch 1/2 \[" out.txt || fail "bar mode drew no bar"

# ---- Checkpoints, evaluate, predict, resume ----------------------------------------------
run 0 train $ARCH $IDX --epochs 3 --batch-size 16 --lr 0.01 --checkpoint-dir ck --scheduler step \
  --step-size 2 --gamma 0.5 --early-stopping-patience 5 --restore-best-weights
[ -f ck/last.nnst ] || fail "no ck/last.nnst"
grep -q '^epoch 3/3 .* lr=0.005 ' out.txt || fail "StepLR did not halve the rate: $(cat out.txt)"
run 0 evaluate ck/last.nnst --images val-images.gz --labels val-labels
grep -Eq '^loss=[0-9.e+-]+ accuracy=[0-9.]+ samples=60$' out.txt || fail "evaluate output: $(cat out.txt)"
run 0 predict ck/last.nnst --images val-images.gz --output pred.csv
[ "$(head -1 pred.csv)" = "index,class" ] || fail "predict header: $(head -1 pred.csv)"
[ "$(wc -l < pred.csv)" -eq 61 ] || fail "predict rows: $(wc -l < pred.csv)"
run 0 predict ck/last.nnst --images val-images.gz --scores
[ "$(head -1 out.txt)" = "index,class,p0,p1,p2" ] || fail "predict --scores header: $(head -1 out.txt)"

# Resuming is automatic from the newest ckpt-*.nnst in the directory; the trainer must be set
# up alike (only --epochs may change), and the arch may come from ck/last.nnst's metadata.
CKOPTS="--batch-size 16 --lr 0.01 --checkpoint-dir ck --scheduler step --step-size 2 --gamma 0.5 --early-stopping-patience 5 --restore-best-weights"
ls ck/ckpt-e*-s*.nnst > /dev/null 2>&1 || fail "no ck/ckpt-e*-s*.nnst: $(ls ck)"
[ -f ck/best.nnst ] || fail "no ck/best.nnst: $(ls ck)"
run 0 train $ARCH $IDX --epochs 5 $CKOPTS
grep -q '^nnstate: resumed after epoch 3 (step 57)$' err.txt || fail "no resume message: $(cat err.txt)"
[ "$(grep -c '^epoch ' out.txt)" -eq 2 ] && grep -q '^epoch 4/5 ' out.txt && grep -q '^epoch 5/5 ' out.txt ||
  fail "resume should run epochs 4 and 5 only: $(cat out.txt)"
run 0 train $IDX --epochs 5 $CKOPTS
grep -q '^done reason=completed epochs=5' out.txt || fail "finished run resumed: $(cat out.txt)"
[ "$(grep -c '^epoch ' out.txt)" -eq 0 ] || fail "finished run trained again: $(cat out.txt)"
expect_error 2 "differs from 16-32-relu-3.* (to start a new run instead, give another --checkpoint-dir or delete ck)$" \
  train --arch 16-8-relu-3 $IDX --checkpoint-dir ck
run 1 train $ARCH $IDX --epochs 6 --checkpoint-dir ck
grep -q '^nnstate: .*set up differently' err.txt || fail "other setup resumed: $(cat err.txt)"
grep -q '(to start a new run instead, give another --checkpoint-dir or delete ck)$' err.txt ||
  fail "no hint how to start afresh: $(cat err.txt)"

# ---- A real crash (SIGKILL) mid-epoch, then resuming: bitwise the uninterrupted run --------
CRASHOPTS="$ARCH $IDX --epochs 4 --batch-size 16 --lr 0.01 --scheduler plateau --plateau-patience 1 --early-stopping-patience 2 --checkpoint-every-steps 5"
run 0 train $CRASHOPTS --checkpoint-dir ref
run 137 train $CRASHOPTS --checkpoint-dir crash --simulate-crash-after-steps 31
[ -f crash/last.nnst ] && fail "a SIGKILLed run wrote crash/last.nnst"
# One epoch numbering everywhere (1-based): the crash, the resume, the next epoch line and the
# checkpoint names (ckpt-e<epochs completed>) all agree. 19 batches per epoch: step 31 is
# batch 12 of epoch 2; the newest checkpoint is the one of step 30.
grep -q '^nnstate: simulating a crash: SIGKILL in epoch 2 after batch 12 (step 31), without saving$' err.txt ||
  fail "crash message: $(cat err.txt)"
[ "$(basename "$(ls crash/ckpt-e*-s*.nnst | sort | tail -1)")" = ckpt-e000001-s000000000030.nnst ] ||
  fail "checkpoint names: $(ls crash)"
run 0 train $CRASHOPTS --checkpoint-dir crash
grep -q '^nnstate: resumed in epoch 2 after batch 11 (step 30)$' err.txt || fail "no mid-epoch resume: $(cat err.txt)"
[ "$(grep '^epoch ' out.txt | head -1 | cut -d' ' -f2)" = 2/4 ] || fail "resumed run did not go on with epoch 2: $(cat out.txt)"
final() { ls "$1"/ckpt-e*-s*.nnst | sort | tail -1; }
[ "$(basename "$(final crash)")" = "$(basename "$(final ref)")" ] ||
  fail "final checkpoints differ in position: $(final crash) $(final ref)"
run 0 diff "$(final ref)" "$(final crash)"
grep -q '^identical' out.txt || fail "resumed run differs from the uninterrupted one: $(cat out.txt)"

# Asynchronous saves (--async-save): the same final checkpoint, and a SIGKILL while the step-30
# save may still be written in the background resumes from a complete checkpoint, exactly.
run 0 train $CRASHOPTS --checkpoint-dir async --async-save
run 0 diff "$(final ref)" "$(final async)"
grep -q '^identical' out.txt || fail "--async-save run differs from the synchronous one: $(cat out.txt)"
run 137 train $CRASHOPTS --checkpoint-dir asynccrash --async-save --simulate-crash-after-steps 31
run 0 train $CRASHOPTS --checkpoint-dir asynccrash --async-save
grep -q '^nnstate: resumed in epoch 2 after batch ' err.txt || fail "--async-save: no resume: $(cat err.txt)"
run 0 diff "$(final ref)" "$(final asynccrash)"
grep -q '^identical' out.txt || fail "--async-save: resumed run differs: $(cat out.txt)"
expect_error 2 "train: --async-save needs --checkpoint-dir" train $ARCH $IDX --async-save

# ---- Fine-tuning: frozen parameters and parameter groups, in the checkpoint and resumed -----
FTOPTS="$ARCH $IDX --epochs 3 --batch-size 16 --lr 0.01 --checkpoint-every-steps 5 --freeze 0 --param-group 2.weight:lr=0.05,weight_decay=0.1 --scheduler plateau --plateau-patience 0 --param-group 2.bias:min_lr=0.002"
run 0 train $FTOPTS --checkpoint-dir ftref
run 0 inspect ftref/last.nnst
grep -q '^frozen: *2 parameter tensor(s)' out.txt || fail "--freeze 0: $(grep -A3 frozen out.txt)"
grep -q '^  1 \[2.weight\]: lr [0-9.e-]*, betas (0.9, 0.999), eps 1e-08, weight_decay 0.1, 1 parameter(s)$' out.txt ||
  fail "--param-group: $(grep -A4 'param groups' out.txt)"
grep -q 'optimizer.0.weight' out.txt && fail "a frozen parameter has optimizer state: $(grep optimizer out.txt)"
# Frozen means unchanged: layer 0 keeps its initial values (the same seed initialises both).
run 0 train $ARCH $IDX --epochs 1 --batch-size 16 --lr 0 -o ftinit.nnst
run 1 diff ftinit.nnst ftref/last.nnst
grep -q '^tensor 2.weight: 96 of 96 values differ' out.txt || fail "2.weight did not train: $(grep tensor out.txt)"
grep -q '^tensor 0\.' out.txt && fail "--freeze 0: layer 0 changed in training: $(grep tensor out.txt)"
run 137 train $FTOPTS --checkpoint-dir ftcrash --simulate-crash-after-steps 23
run 0 train $FTOPTS --checkpoint-dir ftcrash
grep -q '^nnstate: resumed in epoch 2 after batch ' err.txt || fail "fine-tuning: no resume: $(cat err.txt)"
run 0 diff "$(final ftref)" "$(final ftcrash)"
grep -q '^identical' out.txt || fail "fine-tuning: resumed run differs: $(cat out.txt)"
expect_error 2 "--freeze nope: .*\"nope\" names no parameter" train $ARCH $IDX --freeze nope
expect_error 2 "train: --param-group 2.weight: expected PATTERNS:KEY=VALUE" train $ARCH $IDX --param-group 2.weight
expect_error 2 "train: --param-group 2:momentum=0.9: unknown option 'momentum'" train $ARCH $IDX --param-group 2:momentum=0.9
expect_error 2 "train: --param-group 2:lr=x: lr: 'x' is not a number >= 0" train $ARCH $IDX --param-group 2:lr=x
expect_error 2 "train: --param-group 2:min_lr=0.1: min_lr applies only to --scheduler plateau" train $ARCH $IDX --param-group 2:min_lr=0.1
expect_error 2 "invalid optimizer options: .*0.weight" train $ARCH $IDX --param-group 0:lr=0.1 --param-group 0.weight:lr=0.2
expect_error 2 "train: --freeze-batchnorm-eval needs --freeze" train $ARCH $IDX --freeze-batchnorm-eval

# ---- The deterministic mode: 1 and 2 library threads end with the same checkpoint -----------
DETOPTS="$ARCH $IDX --epochs 2 --batch-size 16 --lr 0.01 --deterministic 4"
run 0 train $DETOPTS --threads 1 --checkpoint-dir det1
run 0 train $DETOPTS --threads 2 --checkpoint-dir det2
run 0 diff "$(final det1)" "$(final det2)"
grep -q '^identical' out.txt || fail "--deterministic: 1 and 2 threads differ: $(cat out.txt)"
run 0 dump "$(final det2)"
grep -q '"trainer.deterministic_chunk_size": "4"' out.txt || fail "--deterministic not in the checkpoint: $(grep -i determ out.txt)"
expect_error 2 "train: --threads applies only to --deterministic" train $ARCH $IDX --threads 2

# ---- -o FILE keeps the model; a warning when nothing will be saved --------------------------
run 0 train $ARCH $IDX --epochs 2 --batch-size 16 -o model.nnst
grep -q '^done reason=completed epochs=2 output=model.nnst$' out.txt || fail "-o: done line: $(tail -1 out.txt)"
grep -q 'warning' err.txt && fail "-o: warned although the model is saved: $(cat err.txt)"
run 0 evaluate model.nnst --images val-images.gz --labels val-labels
grep -Eq '^loss=[0-9.e+-]+ accuracy=[0-9.]+ samples=60$' out.txt || fail "evaluate -o model: $(cat out.txt)"
run 0 inspect model.nnst
grep -q '^training: .*2 epoch(s) completed' out.txt || fail "-o model: $(grep '^training' out.txt)"
run 0 train $ARCH $IDX --epochs 1 --output=model2.nnst
[ -f model2.nnst ] || fail "--output=FILE wrote nothing"
run 0 train $ARCH $IDX --epochs 1
grep -q '^nnstate: warning: the trained model will not be saved (give -o FILE or --checkpoint-dir DIR)$' err.txt ||
  fail "no warning that nothing is saved: $(cat err.txt)"
# ... at the start, before the data is read.
expect_error 1 "missing.gz: cannot open" train $ARCH --images missing.gz --labels train-labels.gz
head -1 err.txt | grep -q '^nnstate: warning: the trained model will not be saved' ||
  fail "the nothing-saved warning does not come first: $(cat err.txt)"
expect_error 1 "no/such/dir/m.nnst: cannot write into no/such/dir/" train $ARCH $IDX -o no/such/dir/m.nnst
expect_error 2 "train: --output: empty file name" train $ARCH $IDX --output=

# A validation monitor without validation data is a usage error, before any data is read.
expect_error 2 "train: monitor val_loss needs validation data" \
  train $ARCH --images missing.gz --labels missing.gz --early-stopping-patience 2 --monitor val_loss
expect_error 2 "train: monitor val_accuracy needs validation data" \
  train $ARCH --csv missing.csv --scheduler plateau --plateau-monitor val_accuracy
run 0 train $ARCH --images train-images.gz --labels train-labels.gz --epochs 1 --early-stopping-patience 2 --monitor loss

# ---- CSV: regression with a header, two target columns -----------------------------------
awk 'BEGIN { print "a,b,s,d"; for (i = 0; i < 200; i++) { a = (i % 20) / 10; b = (i % 7) / 7;
       printf "%g,%g,%g,%g\n", a, b, a + b, a - b } }' > reg.csv
run 0 train --arch 2-16-tanh-2 --csv reg.csv --target-columns 2 --validation-split 0.2 \
  --epochs 5 --batch-size 8 --lr 0.02 --optimizer adamw
grep -q 'loss mse' err.txt || fail "CSV regression should default to mse: $(cat err.txt)"
grep -q 'accuracy=nan val_loss=[0-9]' out.txt || fail "mse lines: $(head -1 out.txt)"
grep -q 'training on 160 samples of reg.csv, validating on 40 samples' err.txt ||
  fail "validation split: $(cat err.txt)"

# ---- Bad input: a clear message, exit 1 (runtime) or 2 (usage), never a crash -------------
expect_error 1 "missing.gz: cannot open: No such file or directory" train $ARCH --images missing.gz --labels train-labels.gz
expect_error 1 "train-images.gz: 16 values per sample (4x4), but the architecture 10-3 takes 10 inputs" \
  train --arch 10-3 --images train-images.gz --labels train-labels.gz
expect_error 1 "train-labels.gz: target 2 of sample 2 is not a class index 0..1" \
  train --arch 16-2 --images train-images.gz --labels train-labels.gz
expect_error 1 "val-labels: 60 labels, but train-images.gz has 300 images" \
  train $ARCH --images train-images.gz --labels val-labels
expect_error 1 "reg.csv: 3 values per sample, but the architecture 16-3 takes 16 inputs" \
  train --arch 16-3 --csv reg.csv
expect_error 2 "invalid architecture '16-32-rleu-3': item 3 'rleu' is neither" \
  train --arch 16-32-rleu-3 $IDX
expect_error 2 "train: unknown option '--learning-rate'" train $ARCH $IDX --learning-rate 0.1
expect_error 2 "train: --epochs: 'ten' is not an integer" train $ARCH $IDX --epochs ten
expect_error 2 "train: --batch-size: 0 is out of range" train $ARCH $IDX --batch-size 0
expect_error 2 "train: --momentum applies only to --optimizer sgd" train $ARCH $IDX --momentum 0.9
# Values that only the library judges (PyTorch's rules) are usage errors too, with its reason.
expect_error 2 "invalid optimizer options: nesterov momentum requires momentum > 0" \
  train $ARCH $IDX --optimizer sgd --nesterov
expect_error 2 "invalid training options: invalid scheduler option: start_factor must be in (0, 1\]" \
  train $ARCH $IDX --scheduler linear --start-factor 0
expect_error 2 "train: no training data" train $ARCH
expect_error 2 "unknown command 'trian'" trian
expect_error 2 "evaluate: missing the CHECKPOINT file" evaluate --csv reg.csv
head -c 100 train-images.gz > cut.gz
expect_error 1 "cut.gz: truncated gzip data: the input ends inside a member" train $ARCH --images cut.gz --labels train-labels.gz
printf 'garbage' | gzip -c > notidx.gz
expect_error 1 "notidx.gz: not an IDX file: magic 0x67617262" train $ARCH --images notidx.gz --labels train-labels.gz
head -c 1000 train-images > short-images
expect_error 1 "short-images: IDX file truncated or dimensions too large: 300x4x4 needs 4800 bytes" \
  train $ARCH --images short-images --labels train-labels.gz
printf '1,2,3\n4,5\n' > ragged.csv
expect_error 1 "ragged.csv: line 2: 2 fields, expected 3" train --arch 2-1 --csv ragged.csv
expect_error 1 "train-images: not a libnnstate checkpoint\|train-images.*bad magic" \
  evaluate train-images --images val-images.gz --labels val-labels

# Help works everywhere and exits 0.
for cmd in "--help" "train --help" "evaluate --help" "predict --help" "help train"; do
  # shellcheck disable=SC2086
  run 0 $cmd
  grep -q "Usage: nnstate" out.txt || fail "nnstate $cmd: no usage text"
done

# ---- Signals: SIGINT and SIGTERM stop after the current batch, save, exit 130 / 143 --------
for sig in INT TERM; do
  # No sig.out of the previous round: its epoch line would trigger the signal before this
  # process has even started (a race seen on a busy machine).
  rm -rf sigck sig.out sig.err sig.nnst
  "$NNSTATE" train $ARCH $IDX --epochs 100000 --batch-size 1 --checkpoint-dir sigck -o sig.nnst > sig.out 2> sig.err &
  pid=$!
  # Signal once training is under way, however long that takes on a busy machine.
  until grep -q '^epoch 1/' sig.out 2> /dev/null; do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -"$sig" "$pid"
  wait "$pid"
  status=$?
  expected=130
  [ "$sig" = TERM ] && expected=143
  [ "$status" -eq "$expected" ] || fail "SIG$sig: exit status $status, expected $expected"
  grep -q "^nnstate: stopped by signal" sig.err || fail "SIG$sig: no stop message: $(cat sig.err)"
  [ -f sigck/last.nnst ] || fail "SIG$sig: no checkpoint saved"
  [ -f sig.nnst ] || fail "SIG$sig: -o FILE not saved on stop"
  grep -q "^nnstate: saved the model so far to sig.nnst$" sig.err || fail "SIG$sig: $(cat sig.err)"
  ls sigck/ckpt-e*-s*.nnst > /dev/null 2>&1 || fail "SIG$sig: no on-stop ckpt-*.nnst"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all checks passed"
