#!/bin/sh
# End-to-end test of `nnstate export` and `nnstate import`: a trained checkpoint exported to
# .safetensors (the format checked byte by byte here) and imported back -- by the architecture
# in the file's metadata, by --arch, by --model with --rename, into an existing checkpoint with
# --into -- predicts the same; mismatches are listed, --partial loads what matches; bad
# extensions and files are refused with their reason.
# Usage: cli_safetensors.sh NNSTATE_BINARY WORK_DIR
set -u
NNSTATE=$1
WORK=$2
. "$(dirname "$0")/cli_lib.sh"

expect_out() {  # expect_out PATTERN WHAT: out.txt has a line matching PATTERN
  grep -Eq "$1" out.txt || fail "$2: no line matching '$1' in: $(head -20 out.txt)"
}

# 4x4 images of three classes (a bright row per class), as cli_model.sh makes them.
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
  }' 60 images labels 1 || exit 1

run 0 train --arch 16-8-relu-3 --images images --labels labels --epochs 2 --batch-size 10 \
  --seed 3 -o model.nnst
run 0 train --arch 16-8-relu-3 --images images --labels labels --epochs 1 --batch-size 10 \
  --seed 9 -o other.nnst
run 0 predict model.nnst --images images --scores --output expected.csv

# ---- Export -----------------------------------------------------------------------------------
run 0 export model.nnst -o model.safetensors
expect_out '^wrote model.safetensors \(safetensors\)$' "export"
# The format: an 8-byte little-endian header length (a multiple of 8), then the JSON header.
length=$(od -An -tu8 -N8 model.safetensors | tr -d ' ')
[ $((length % 8)) -eq 0 ] || fail "header length $length is not a multiple of 8"
header=$(dd if=model.safetensors bs=1 skip=8 count="$length" 2> /dev/null)
for part in '"0.weight":{"dtype":"F32","shape":[8,16],"data_offsets":[0,512]}' \
  '"2.bias":{"dtype":"F32","shape":[3]' '"format":"pt"' '"nnstate.architecture":'; do
  case $header in *"$part"*) ;; *) fail "the header lacks $part: $header" ;; esac
done
# 8 + header + (8*16 + 8 + 3*8 + 3) floats
[ "$(wc -c < model.safetensors)" -eq $((8 + length + 4 * 163)) ] ||
  fail "file size $(wc -c < model.safetensors)"

# ---- Import back ------------------------------------------------------------------------------
same_predictions() {  # same_predictions CHECKPOINT WHAT
  run 0 predict "$1" --images images --scores --loss cross_entropy --output got.csv
  cmp -s got.csv expected.csv || fail "$2: predictions differ from the exported model's"
}
run 0 import model.safetensors -o from-metadata.nnst
expect_out '^imported 4 tensors from model.safetensors into from-metadata.nnst$' "import"
same_predictions from-metadata.nnst "the architecture of the metadata"
run 0 import model.safetensors --arch 16-8-relu-3 -o from-arch.nnst
same_predictions from-arch.nnst "--arch"
cat > named.json << 'JSON'
{"input_shape": [16], "nodes": [
  {"kind": "Linear", "name": "features", "in_features": 16, "out_features": 8},
  {"kind": "ReLU"},
  {"kind": "Linear", "name": "head", "in_features": 8, "out_features": 3}]}
JSON
run 0 import model.safetensors --model named.json --rename 0.=features. --rename 2.=head. \
  -o renamed.nnst
expect_out '^imported 4 tensors' "--rename"
same_predictions renamed.nnst "--model with --rename"
# Into another run's checkpoint: its network takes the weights, its metadata stays.
run 0 import model.safetensors --into other.nnst -o into.nnst
same_predictions into.nnst "--into"
run 0 inspect into.nnst
grep -q '16-8-relu-3' out.txt || fail "--into lost the checkpoint's metadata: $(head -20 out.txt)"

# ---- Mismatches ---------------------------------------------------------------------------------
expect_error 1 'does not match the network' import model.safetensors --arch 16-8-relu-5 -o x.nnst
grep -q '"2.weight": file \[3, 8\], network \[5, 8\]' err.txt || fail "no shape line: $(cat err.txt)"
grep -q '"2.bias": file \[3\], network \[5\]' err.txt || fail "no bias line: $(cat err.txt)"
[ ! -e x.nnst ] || fail "a failed import wrote its output"
run 0 import model.safetensors --arch 16-8-relu-5 --skip '2.*' --partial -o x.nnst
expect_out '^imported 2 tensors' "--partial"
expect_out '^  skipped \(2\): 2.weight 2.bias$' "--partial's skipped list"
expect_out '^  missing \(left as initialised\) \(2\): 2.weight 2.bias$' "--partial's missing list"
# A checkpoint is a source too (its parameters and buffers).
run 0 import other.nnst --arch 16-8-relu-3 -o from-checkpoint.nnst
expect_out '^imported 4 tensors from other.nnst' "import of a checkpoint"

# ---- Refusals ---------------------------------------------------------------------------------
expect_error 2 "known extensions: .safetensors, .onnx" export model.nnst -o model.bin
expect_error 2 "missing -o OUT" export model.nnst
expect_error 1 "nope.nnst" export nope.nnst -o nope.safetensors
expect_error 2 "give one of --arch, --model and --into" import model.safetensors --arch 16-3 \
  --into other.nnst -o y.nnst
expect_error 2 "--rename: 'abc' is not FROM=TO" import model.safetensors --rename abc -o y.nnst
printf 'garbage!' > bad.safetensors
expect_error 1 'header length .* exceeds' import bad.safetensors --arch 16-3 -o y.nnst
# Without a network option, a checkpoint's own architecture is used.
run 0 import other.nnst -o y.nnst
expect_out '^imported 4 tensors from other.nnst' "import of a checkpoint by its architecture"
# A safetensors file without our metadata needs a network option.
printf '\030\0\0\0\0\0\0\0{"__metadata__":{}}     ' > bare.safetensors
expect_error 1 'has no metadata key "nnstate.architecture"' import bare.safetensors -o y.nnst

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "cli_safetensors: all checks passed"
