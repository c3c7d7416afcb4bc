#!/usr/bin/python3
"""PyTorch twin of bench/cnn_fashion_mnist.c: the same CNN, data scaling, optimizer, batch and
epochs on Fashion-MNIST, with the same per-epoch report and RESULT line.

Usage: /usr/bin/python3 bench/cnn_fashion_mnist_torch.py [DIR] [epochs (default 5)]
  DIR defaults to /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist; the .gz
  files are read directly). Threads: OPENBLAS_NUM_THREADS or nproc, for torch's pool too.
  Run with the environment of the C program (OPENBLAS_CORETYPE) for a fair comparison;
  OMP_WAIT_POLICY=PASSIVE helps PyTorch on this 2-core machine (see run_mlp_bench.sh).
"""
import gzip
import os
import struct
import sys
import time

import numpy
import torch


def read_idx(directory, name):
    path = os.path.join(directory, name)
    opener = open if os.path.exists(path) else gzip.open
    if opener is gzip.open:
        path += ".gz"
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    train_x = torch.from_numpy(read_idx(directory, "train-images-idx3-ubyte").astype(
        numpy.float32) / 255.0).reshape(-1, 1, 28, 28)
    train_y = torch.from_numpy(read_idx(directory, "train-labels-idx1-ubyte").astype(numpy.int64))
    test_x = torch.from_numpy(read_idx(directory, "t10k-images-idx3-ubyte").astype(
        numpy.float32) / 255.0).reshape(-1, 1, 28, 28)
    test_y = torch.from_numpy(read_idx(directory, "t10k-labels-idx1-ubyte").astype(numpy.int64))

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    loss_fn = nn.CrossEntropyLoss()
    batch = 128
    batches = len(train_x) // batch  # the last incomplete batch is dropped, as in the C program
    print(f"torch {torch.__version__}: same CNN, "
          f"{sum(p.numel() for p in model.parameters())} parameters, Adam 1e-3, batch {batch}; "
          f"threads {threads}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(auto)')}")
    total = 0.0
    cpu_total = 0.0  # process CPU time: on a shared machine, the work done without the waits
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        cpu_start = time.process_time()
        order = torch.randperm(len(train_x))
        loss_sum = 0.0
        for b in range(batches):
            index = order[b * batch:(b + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
        seconds = time.perf_counter() - start
        total += seconds
        cpu_total += time.process_time() - cpu_start
        model.eval()
        with torch.no_grad():
            correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item()
                          for i in range(0, len(test_x), 1000))
        accuracy = correct / len(test_x)
        print(f"epoch {epoch}: loss {loss_sum / batches:.4f}, test accuracy {100 * accuracy:.2f}%, "
              f"{seconds:.1f} s, {batches * batch / seconds:.0f} samples/s", flush=True)
    print(f"RESULT torch epochs={epochs} test_accuracy={accuracy:.4f} train_seconds={total:.1f} "
          f"samples_per_s={epochs * batches * batch / total:.0f} train_cpu_seconds={cpu_total:.1f} "
          f"samples_per_cpu_s={epochs * batches * batch / cpu_total:.0f}")


if __name__ == "__main__":
    main()
