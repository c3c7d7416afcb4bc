#!/usr/bin/env bash
# Decompresses Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz) into DIR,
# the uncompressed IDX files the C examples and benchmarks read; files already there are kept.
# Usage: examples/fashion_mnist_data.sh DIR
set -euo pipefail
data=/usr/share/datasets/fashion-mnist
out="${1:?usage: fashion_mnist_data.sh DIR}"
mkdir -p "$out"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
            t10k-labels-idx1-ubyte; do
  if [[ ! -f "$data/$name.gz" ]]; then
    echo "fashion_mnist_data: $data/$name.gz is missing (apt-get install dataset-fashion-mnist)" >&2
    exit 1
  fi
  # Through a temporary name, so that an interrupted run leaves no truncated file behind.
  [[ -s "$out/$name" ]] || { gzip -dc "$data/$name.gz" > "$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name"; }
done
