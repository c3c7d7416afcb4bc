#!/bin/sh
# End-to-end test of the checkpoint tools of the nnstate program: trains a tiny model with
# `nnstate train --checkpoint-dir`, then checks inspect, dump (valid JSON), verify (flipped
# byte, truncation), diff (same file, another epoch), plot (an SVG with a path per curve), and
# that bad input gives a clear "nnstate: " message and a non-zero exit, never a crash.
# Usage: cli_inspect.sh NNSTATE_BINARY WORK_DIR
set -u
NNSTATE=$1
WORK=$2
GOLDEN_1_3="$(cd "$(dirname "$0")/../data/v1" && pwd)/frozen_groups_trainer.nnst"
. "$(dirname "$0")/cli_lib.sh"

expect_out() {  # expect_out PATTERN WHAT: out.txt has a line matching PATTERN
  grep -Eq "$1" out.txt || fail "$2: no line matching '$1' in: $(head -40 out.txt)"
}

# json FILE PYTHON: parses FILE as strict JSON (NaN/Infinity refused) and runs the check.
json() {
  python3 -c '
import json, sys
def refuse(name): raise ValueError("non-standard JSON constant " + name)
d = json.load(open(sys.argv[1]), parse_constant=refuse)
'"$2" "$1"
}

# ---- A tiny run: 2 inputs, two classes, validation split, a schedule ----------------------
awk 'BEGIN { print "a,b,y"; for (i = 0; i < 120; i++) { a = (i % 20) / 10; b = (i % 7) / 7;
       printf "%g,%g,%d\n", a, b, (a + b > 1.2) ? 1 : 0 } }' > data.csv
TRAIN="train --arch 2-8-relu-2 --csv data.csv --validation-split 0.25 --batch-size 16 --lr 0.05 --seed 7 --scheduler exponential --gamma 0.5"
# shellcheck disable=SC2086
run 0 $TRAIN --epochs 2 --checkpoint-dir ck
cp ck/last.nnst epoch2.nnst || exit 1
# shellcheck disable=SC2086
run 0 $TRAIN --epochs 3 --checkpoint-dir ck --resume
CK=ck/last.nnst

# ---- inspect --------------------------------------------------------------------------------
run 0 inspect $CK
expect_out '^file: +ck/last.nnst \([0-9]+ B.*verified\)$' "inspect file"
expect_out '^format: +1\.[0-9]+$' "inspect format"
expect_out '^writer: +libnnstate [0-9]+\.[0-9]+\.[0-9]+' "inspect writer"
expect_out '^created: +20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:]+ UTC$' "inspect created"
expect_out '^environment: +OpenBLAS core .*, [0-9]+ thread' "inspect environment"
expect_out '^architecture: +3 layer\(s\), 2-8-relu-2 \(cli.arch\), input 2, output 2$' "inspect architecture"
expect_out '^parameters: +42 in 4 tensor\(s\)$' "inspect parameters"
expect_out '^optimizer: +adam, step [0-9]+, lr [0-9.e-]+, 8 state tensor\(s\)$' "inspect optimizer"
expect_out '^scheduler: ' "inspect scheduler"
expect_out '^early stopping: ' "inspect early stopping"
expect_out '^training: +3 epoch\(s\) completed, step 18$' "inspect training"
expect_out '^layers: +Linear\(2, 8\), ReLU, Linear\(8, 2\)$' "inspect layer kinds"
expect_out '^loss: +cross_entropy$' "inspect loss"
[ "$(grep -c 'epoch(s) completed' out.txt)" -eq 1 ] && ! grep -q '^position:' out.txt ||
  fail "inspect: the training position is printed more than once: $(grep -E 'completed|^position' out.txt)"
expect_out '^history: +3 epoch\(s\) \((cli.history metadata|training-loop state)\)$' "inspect history"
expect_out '^best epoch: +val_loss [0-9.e-]+ at epoch [1-3]' "inspect best"
expect_out '^  cli.arch = 2-8-relu-2$' "inspect metadata"
expect_out '^  0.weight +parameter +float32 +\[8, 2\] +64 B$' "inspect tensor list"
expect_out '^  optimizer.2.bias.exp_avg_sq +optimizer_state +float32 +\[2\] +8 B$' "inspect tensor list"
expect_out '^  parameters +168 B$' "inspect size breakdown"
expect_out '^  optimizer state +336 B$' "inspect size breakdown"
expect_out '^  header, manifest and padding +[0-9]+ B' "inspect size breakdown"

# A policy checkpoint has no cli.* metadata: layers and loss still come from the file.
run 0 inspect "$(ls ck/ckpt-e*-s*.nnst | sort | tail -1)"
expect_out '^layers: +Linear\(2, 8\), ReLU, Linear\(8, 2\)$' "inspect policy checkpoint layers"
expect_out '^loss: +cross_entropy$' "inspect policy checkpoint loss"
expect_out '^metadata: +0 entries$' "inspect policy checkpoint metadata"

# ---- dump: strict JSON with every tensor ----------------------------------------------------
run 0 dump $CK
json out.txt '
names = [t["name"] for t in d["tensors"]]
assert names[:4] == ["0.weight", "0.bias", "2.weight", "2.bias"], names
assert "optimizer.0.weight.exp_avg" in names and "optimizer.2.bias.exp_avg_sq" in names, names
t = d["tensors"][0]
assert t["role"] == "parameter" and t["dtype"] == "float32" and t["shape"] == [8, 2], t
assert t["bytes"] == 64 and t["crc32c"].startswith("0x") and "values" not in t, t
assert d["format"]["major"] >= 1 and d["optimizer"]["kind"] == "adam", d
assert d["metadata"]["cli.arch"] == "2-8-relu-2", d["metadata"]
assert [e["epoch"] for e in d["history"]["epochs"]] == [1, 2, 3], d["history"]
f = d["fields"]
assert f["scheduler.kind"] == "ExponentialLR" and f["scheduler.gamma"] == "0.5", f
assert f["trainer.position.epoch"] == "3" and f["trainer.history[2].epoch"] == "2", f
assert f["optimizer.lr"] == "0.00625" and "rng[init].block" in f, f
' || fail "dump: invalid JSON or wrong content: $(head -c 600 out.txt)"
run 0 dump --tensors $CK
json out.txt '
w = d["tensors"][0]
assert len(w["values"]) == 16 and all(isinstance(x, float) for x in w["values"]), w
' || fail "dump --tensors: invalid JSON or no values"
# NaN values (a history without validation: val_loss is nan) must come out as null.
run 0 train --arch 2-3-2 --csv data.csv --epochs 1 --checkpoint-dir noval
run 0 dump noval/last.nnst
json out.txt '
e = d["history"]["epochs"][0]
assert e["val_loss"] is None and e["val_accuracy"] is None and e["loss"] > 0, e
' || fail "dump: NaN is not null: $(grep -A2 '"epochs"' out.txt)"

# ---- verify: the file, a copy with one flipped byte, a truncated copy ---------------------
cp $CK flipped.nnst
size=$(wc -c < $CK)
printf '\377' | dd of=flipped.nnst bs=1 seek=$((size - 20)) conv=notrunc 2> /dev/null
cmp -s $CK flipped.nnst && fail "the byte flip did not change the copy"
# The 64-byte header comes first, then the data section: byte 100 is inside tensor 0.weight.
cp $CK flipped-data.nnst
printf '\001' | dd of=flipped-data.nnst bs=1 seek=100 conv=notrunc 2> /dev/null
head -c $((size / 2)) $CK > truncated.nnst
# Byte 20 is inside the header's manifest offset: only the header CRC can tell.
cp $CK flipped-header.nnst
printf '\377' | dd of=flipped-header.nnst bs=1 seek=20 conv=notrunc 2> /dev/null
run 0 verify $CK epoch2.nnst
[ "$(cat out.txt)" = "$(printf 'OK ck/last.nnst\nOK epoch2.nnst')" ] || fail "verify OK lines: $(cat out.txt)"
run 1 verify $CK flipped.nnst truncated.nnst flipped-data.nnst
expect_out '^OK ck/last.nnst$' "verify"
expect_out '^FAIL flipped.nnst: .*CRC32C mismatch' "verify flipped byte"
expect_out '^FAIL truncated.nnst: .*(file size|truncated|shorter)' "verify truncation"
expect_out '^FAIL flipped-data.nnst: tensor "0.weight".*CRC32C mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$' "verify flipped tensor byte (CRCs in hex)"
[ "$(wc -l < out.txt)" -eq 4 ] || fail "verify: expected one line per file: $(cat out.txt)"
run 1 verify flipped-header.nnst
expect_out '^FAIL flipped-header.nnst: header: CRC32C mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$' "verify header CRC (hex)"
run 1 verify missing.nnst
expect_out '^FAIL missing.nnst: .*(No such file|cannot open)' "verify missing"
expect_error 2 "verify: missing the checkpoint FILE" verify

# ---- diff -----------------------------------------------------------------------------------
run 0 diff $CK $CK
expect_out '^identical: 12 tensors bitwise' "diff same"
run 1 diff epoch2.nnst $CK
expect_out '^optimizer.step: [0-9]+ -> [0-9]+$' "diff step"
expect_out '^metadata\[cli.epochs_completed\]: .2. -> .3.$' "diff metadata"
expect_out '^tensor 0.weight: [0-9]+ of 16 values differ, max \|a-b\| [0-9.e-]+ at \[' "diff tensors"
expect_out '^tensor optimizer.0.weight.exp_avg: ' "diff optimizer state"
expect_out '^differ: ' "diff summary"
run 1 diff $CK noval/last.nnst
expect_out '^only in ck/last.nnst: tensor 2.weight parameter \[2, 8\]$' "diff only in A"
expect_out '^tensor 0.weight: parameter float32 \[8, 2\] -> parameter float32 \[3, 2\]$' "diff shapes"
expect_error 2 "diff: needs two checkpoint files" diff $CK
expect_error 2 "diff: unexpected extra argument" diff $CK $CK $CK
expect_error 2 "nope.nnst: .*No such file" diff $CK nope.nnst

# ---- plot -----------------------------------------------------------------------------------
run 0 plot $CK -o curves.svg
grep -q '<svg' curves.svg || fail "plot: no <svg element"
[ "$(grep -c '<path class="curve"' curves.svg)" -eq 5 ] ||
  fail "plot: expected 5 curves (loss, val loss, accuracy, val accuracy, lr): $(grep -c '<path' curves.svg)"
for label in "training loss" "validation loss" "validation accuracy" "learning rate"; do
  grep -q "data-label=\"$label\"" curves.svg || fail "plot: no curve '$label'"
done
grep -q '</svg>' curves.svg || fail "plot: SVG not closed"
if command -v xmllint > /dev/null; then
  xmllint --noout curves.svg || fail "plot: not well-formed XML"
fi
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' curves.svg ||
  fail "plot: not well-formed XML"
run 0 plot noval/last.nnst --output=noval.svg
[ "$(grep -c '<path class="curve"' noval.svg)" -eq 3 ] || fail "plot without validation: 3 curves expected"
expect_error 2 "plot: missing -o OUTPUT.svg" plot $CK
expect_error 1 "nope.nnst: .*No such file" plot nope.nnst -o x.svg
expect_error 1 "no/such/dir/x.svg: cannot create" plot $CK -o no/such/dir/x.svg

# ---- bad input everywhere: a clear message naming the file, never a crash --------------------
for cmd in inspect dump plot; do
  extra=""
  [ "$cmd" = plot ] && extra="-o bad.svg"
  # shellcheck disable=SC2086
  expect_error 1 "flipped.nnst: .*CRC32C mismatch" $cmd flipped.nnst $extra
  # shellcheck disable=SC2086
  expect_error 1 "flipped-data.nnst: tensor \"0.weight\".*CRC32C mismatch" $cmd flipped-data.nnst $extra
  # shellcheck disable=SC2086
  expect_error 1 "truncated.nnst: " $cmd truncated.nnst $extra
  # shellcheck disable=SC2086
  expect_error 1 "data.csv: .*not a libnnstate checkpoint" $cmd data.csv $extra
  # shellcheck disable=SC2086
  expect_error 1 "missing.nnst: .*No such file" $cmd missing.nnst $extra
  expect_error 2 "$cmd: missing the checkpoint FILE" $cmd
  expect_error 2 "$cmd: unexpected extra argument" $cmd $CK $CK
  expect_error 2 "$cmd: unknown option '--bogus'" $cmd $CK --bogus
done
expect_error 1 "empty.nnst: " inspect /dev/null/empty.nnst
: > empty.nnst
expect_error 1 "empty.nnst: " inspect empty.nnst

# ---- format 1.3: the frozen parameters and the param groups of the golden file -------------
run 0 inspect --no-tensors "$GOLDEN_1_3"
expect_out '^format: +1\.3$' "inspect 1.3 format"
expect_out '^param groups: +3 \(0: the default group\)$' "inspect param groups"
expect_out '^  1 \[0, 3\]: lr 0\.004, betas \(0\.8, 0\.99\), eps 1e-08, weight_decay 0, 2 parameter\(s\)$' \
  "inspect group 1"
expect_out '^  2 \[5\]: lr 0\.0125, betas \(0\.9, 0\.999\), eps 1e-06, weight_decay 0\.01, 2 parameter\(s\)$' \
  "inspect group 2"
expect_out '^frozen: +4 parameter tensor\(s\) \(no update, no state\)$' "inspect frozen"
expect_out '^  1\.weight$' "inspect frozen names"

for cmd in inspect dump verify diff plot; do
  run 0 $cmd --help
  grep -q "^Usage: nnstate $cmd " out.txt || fail "nnstate $cmd --help: no usage text"
  grep -q "^Exit status" out.txt || fail "nnstate $cmd --help: no exit status"
done
run 0 --help
for cmd in inspect dump verify diff plot; do
  grep -q "^  $cmd " out.txt || fail "nnstate --help does not list $cmd"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all checks passed"
