#!/bin/sh
# End-to-end test of networks given as JSON documents: `nnstate train --model FILE` trains a
# residual CNN on IDX images (which keep their 4x4 shape), resumes with or without --model and
# refuses another network; evaluate and predict read the result; `inspect` shows the graph and
# `inspect --model-json` prints a document that trains again; `dump` has "model" and "graph";
# bad documents are refused naming the file, the node and the field.
# Usage: cli_model.sh NNSTATE_BINARY WORK_DIR
set -u
NNSTATE=$1
WORK=$2
. "$(dirname "$0")/cli_lib.sh"

expect_out() {  # expect_out PATTERN WHAT: out.txt has a line matching PATTERN
  grep -Eq "$1" out.txt || fail "$2: no line matching '$1' in: $(head -40 out.txt)"
}

# 4x4 images of three classes (a bright row per class), as cli_train.sh makes them.
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
    for my $p (0 .. 15) { print $fi pack("C", (int($p / 4) == $c ? 200 : 30) + int(rnd() * 50)); }
  }' 300 images labels 1 || exit 1
DATA="--images images --labels labels --validation-split 0.2 --batch-size 16 --lr 0.01 --seed 4"

cat > net.json << 'JSON'
{"input_shape": [1, 4, 4], "nodes": [
  {"kind": "Conv2d", "name": "conv1", "in_channels": 1, "out_channels": 4, "kernel_size": 3,
   "padding": "same", "bias": false},
  {"kind": "BatchNorm2d", "name": "bn1", "num_features": 4},
  {"kind": "ReLU", "name": "relu"},
  {"kind": "Conv2d", "name": "shortcut", "inputs": [-1], "in_channels": 1, "out_channels": 4,
   "kernel_size": 1},
  {"kind": "Add", "inputs": ["relu", "shortcut"]},
  {"kind": "AdaptiveAvgPool2d", "name": "pool", "output_size": [4, 1]},
  {"kind": "Flatten"},
  {"kind": "Linear", "name": "fc", "in_features": 16, "out_features": 3}
]}
JSON

# ---- Training a residual CNN from IDX images ------------------------------------------------
# shellcheck disable=SC2086
run 0 train --model net.json $DATA --epochs 6 --checkpoint-dir ck
[ "$(grep -c '^epoch ' out.txt)" -eq 6 ] || fail "expected 6 epoch lines, got: $(cat out.txt)"
awk '/^epoch 6\/6/ { split($6, a, "="); exit !(a[2] >= 0.9) }' out.txt ||
  fail "val_accuracy below 0.9 after 6 epochs: $(grep '^epoch 6' out.txt)"
grep -q '^nnstate: net.json: 8 nodes, input \[1, 4, 4\], 103 parameters, loss cross_entropy; training on 240 samples of images' err.txt ||
  fail "no summary of the model on stderr: $(cat err.txt)"
# Same seed, same run: an uninterrupted 8-epoch run is the reference for the resumes below.
# shellcheck disable=SC2086
run 0 train --model net.json $DATA --epochs 8 --checkpoint-dir ref
grep '^epoch 8/8' out.txt | sed 's/ seconds=.*//' > reference.txt

# Resuming: with the same document (spelt differently: it is compared as the network it
# builds), then without --model (last.nnst records the document).
tr -d ' \n' < net.json > compact.json
# shellcheck disable=SC2086
run 0 train --model compact.json $DATA --epochs 7 --checkpoint-dir ck
grep -q '^nnstate: resumed after epoch 6' err.txt || fail "no resume with --model: $(cat err.txt)"
# shellcheck disable=SC2086
run 0 train $DATA --epochs 8 --checkpoint-dir ck
grep -q '^nnstate: resumed after epoch 7' err.txt || fail "no resume without --model: $(cat err.txt)"
[ "$(grep '^epoch 8/8' out.txt | sed 's/ seconds=.*//')" = "$(cat reference.txt)" ] ||
  fail "resumed run differs from the uninterrupted one: $(grep '^epoch 8/8' out.txt) vs $(cat reference.txt)"
# Another network, or --arch, for that directory: refused.
sed 's/"bias": false}/"bias": true}/' net.json > other.json
# shellcheck disable=SC2086
expect_error 2 "--model other.json describes another network than the one recorded in ck/last.nnst (to start a new run" \
  train --model other.json $DATA --epochs 9 --checkpoint-dir ck
# shellcheck disable=SC2086
expect_error 2 "--arch 16-3 differs from the model recorded in ck/last.nnst" \
  train --arch 16-3 $DATA --epochs 9 --checkpoint-dir ck

run 0 evaluate ck/last.nnst --images images --labels labels
expect_out '^loss=[0-9.e+-]+ accuracy=(0\.9[0-9]*|1\.0000) samples=300$' "evaluate of the CNN"
run 0 predict ck/last.nnst --images images --output predictions.csv
[ "$(wc -l < predictions.csv)" -eq 301 ] || fail "predict wrote $(wc -l < predictions.csv) lines"

# ---- inspect and dump show the graph -------------------------------------------------------
run 0 inspect ck/last.nnst --no-tensors
expect_out '^graph: +8 node\(s\), input \[1, 4, 4\]$' "inspect graph line"
expect_out '^  # +name +kind +inputs +output +parameters$' "inspect graph header"
expect_out '^  0 +conv1 +Conv2d +input +\[4, 4, 4\] +36$' "inspect conv1"
expect_out '^  1 +bn1 +BatchNorm2d +conv1 +\[4, 4, 4\] +8$' "inspect bn1"
expect_out '^  4 +- +Add +relu, shortcut +\[4, 4, 4\] +0$' "inspect the merge"
expect_out '^  5 +pool +AdaptiveAvgPool2d +4 +\[4, 4, 1\] +0$' "inspect pool"
expect_out '^  7 +fc +Linear +6 +\[3\] +51$' "inspect fc"
run 0 inspect --model-json ck/last.nnst
cp out.txt printed.json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["input_shape"] == [1, 4, 4], d
assert [n.get("name") for n in d["nodes"]] == ["conv1", "bn1", "relu", "shortcut", None, "pool", None, "fc"], d
assert d["nodes"][4]["inputs"] == ["relu", "shortcut"] and d["nodes"][0]["padding"] == "same", d
' printed.json || fail "inspect --model-json: not the document: $(cat printed.json)"
# The printed document trains the same network.
# shellcheck disable=SC2086
run 0 train --model printed.json $DATA --epochs 8 -o again.nnst
[ "$(grep '^epoch 8/8' out.txt | sed 's/ seconds=.*//')" = "$(cat reference.txt)" ] ||
  fail "the printed document trains differently: $(grep '^epoch 8/8' out.txt)"
run 0 dump ck/last.nnst
cp out.txt dump.json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
printed = json.load(open(sys.argv[2]))
assert d["model"] == printed, "dump model differs from inspect --model-json"
g = d["graph"]
assert g["input_shape"] == [1, 4, 4], g
assert g["nodes"][4] == {"index": 4, "name": None, "kind": "Add", "inputs": ["relu", "shortcut"],
                         "output_shape": [4, 4, 4], "parameters": 0}, g["nodes"][4]
assert [n["parameters"] for n in g["nodes"]] == [36, 8, 0, 8, 0, 0, 0, 51], g
assert sum(n["parameters"] for n in g["nodes"]) == d["architecture"]["parameter_count"]
' dump.json printed.json || fail "dump: graph or model wrong"
# An --arch MLP has its graph too.
run 0 train --arch 16-8-relu-3 --images images --labels labels --epochs 1 -o mlp.nnst
run 0 inspect mlp.nnst --no-tensors
expect_out '^  2 +- +Linear +1 +\[3\] +27$' "inspect of an MLP's graph"

# ---- Shapes of images -----------------------------------------------------------------------
# A flat input takes the images as vectors (as --arch does); another 2-D shape is refused.
printf '%s' '{"nodes": [{"kind": "Linear", "in_features": 16, "out_features": 3}]}' > flat.json
run 0 train --model flat.json --images images --labels labels --epochs 1 -o flat.nnst
printf '%s' '{"input_shape": [2, 8], "nodes": [{"kind": "Flatten"},
  {"kind": "Linear", "in_features": 16, "out_features": 3}]}' > wide.json
expect_error 1 "images: samples of shape 4x4, but the model wide.json takes samples of shape \[2, 8\]" \
  train --model wide.json --images images --labels labels --epochs 1 -o wide.nnst
sed 's/"input_shape": \[1, 4, 4\]/"input_shape": [1, 8, 2]/' net.json > shifted.json
expect_error 1 "the model shifted.json takes samples of shape \[1, 8, 2\]" \
  train --model shifted.json --images images --labels labels --epochs 1 -o shifted.nnst

# ---- Bad documents ---------------------------------------------------------------------------
sed 's/"kernel_size": 1}/"kernel_size": "x"}/' net.json > badfield.json
expect_error 2 'badfield.json: node "shortcut" (Conv2d): field "kernel_size": expected an integer or \[h, w\], got "x"' \
  train --model badfield.json --images images --labels labels
sed 's/"in_features": 16/"in_features": 15/' net.json > badshape.json
expect_error 2 'badshape.json: node "fc" (Linear): ' train --model badshape.json --images images --labels labels
printf '%s' '{"nodes": [{"kind": "ReLU"}], "nodes": []}' > duplicate.json
expect_error 2 'duplicate.json: network description: duplicate field "nodes"' \
  train --model duplicate.json --images images --labels labels
printf '{"nodes": []}\000' > nul.json
expect_error 2 'nul.json: a NUL byte at offset 13' train --model nul.json --images images --labels labels
printf '%s' '{"nodes": []}' > empty.json
expect_error 2 'the model empty.json: the network has no layer that fixes its input shape' \
  train --model empty.json --images images --labels labels
expect_error 1 'missing.json: cannot open' train --model missing.json --images images --labels labels
expect_error 2 'give --arch or --model, not both' \
  train --model net.json --arch 16-3 --images images --labels labels
expect_error 1 'nope.nnst' inspect --model-json nope.nnst

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "cli_model: all checks passed"
