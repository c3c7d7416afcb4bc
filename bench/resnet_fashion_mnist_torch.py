#!/usr/bin/python3
"""PyTorch twin of bench/resnet_fashion_mnist.c: torchvision's resnet18 (BasicBlock, [2, 2, 2, 2])
narrowed to `width` channels in layer1 with a 1-channel conv1, the same data scaling, Adam 1e-3,
batch, epochs and training subset, with the same per-epoch report and RESULT line.

Usage: /usr/bin/python3 bench/resnet_fashion_mnist_torch.py [DIR] [epochs (2)] [train samples
       (all)] [width (16)] [batch (128)]
  DIR defaults to /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist; .gz files
  are read directly). Threads: OPENBLAS_NUM_THREADS or nproc, for torch's pool too. Run it with
  the C program's environment (OPENBLAS_CORETYPE; OMP_WAIT_POLICY=PASSIVE, see
  run_mlp_bench.sh); bench/run_resnet_bench.sh runs both.

narrow_resnet18() is also the reference of tests/resnet_torchvision_names.py, which checks that
the C network's state names and shapes equal this model's state_dict().
"""
import gzip
import os
import struct
import sys
import time

import numpy
import torch
from torchvision.models.resnet import BasicBlock, ResNet


class NarrowResNet18(ResNet):
    """torchvision's ResNet-18 with `width` channels in layer1 (torchvision: 64, fixed in its
    constructor) and `in_channels` image channels: the modules are rebuilt by torchvision's own
    _make_layer, so names, blocks, shortcuts and forward are torchvision's. The rebuilt layers keep
    PyTorch's default initialisation, as libnnstate's layers have."""

    def __init__(self, width=16, in_channels=1, num_classes=10):
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
        nn = torch.nn
        self.inplanes = width
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(BasicBlock, width, 2)
        self.layer2 = self._make_layer(BasicBlock, 2 * width, 2, stride=2)
        self.layer3 = self._make_layer(BasicBlock, 4 * width, 2, stride=2)
        self.layer4 = self._make_layer(BasicBlock, 8 * width, 2, stride=2)
        self.fc = nn.Linear(8 * width, num_classes)


def narrow_resnet18(width=16, in_channels=1, num_classes=10):
    return NarrowResNet18(width, in_channels, num_classes)


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


def images(directory, name):
    pixels = read_idx(directory, name).astype(numpy.float32) / 255.0
    return torch.from_numpy(pixels).reshape(-1, 1, 28, 28)


def labels(directory, name):
    return torch.from_numpy(read_idx(directory, name).astype(numpy.int64))


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    subset = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    width = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    train_x = images(directory, "train-images-idx3-ubyte")
    train_y = labels(directory, "train-labels-idx1-ubyte")
    if subset:
        train_x, train_y = train_x[:subset], train_y[:subset]
    test_x = images(directory, "t10k-images-idx3-ubyte")
    test_y = labels(directory, "t10k-labels-idx1-ubyte")

    model = narrow_resnet18(width)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = len(train_x) // batch  # the last incomplete batch is dropped, as in the C program
    print(f"torch {torch.__version__}: the same ResNet-18 structure, width {width}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, Adam 1e-3, batch {batch}; "
          f"threads {threads}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(auto)')}")
    total = 0.0
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
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
        model.eval()
        with torch.no_grad():
            correct = sum((model(test_x[i:i + 500]).argmax(1) == test_y[i:i + 500]).sum().item()
                          for i in range(0, len(test_x), 500))
        accuracy = correct / len(test_x)
        print(f"epoch {epoch}: loss {loss_sum / batches:.4f}, test accuracy {100 * accuracy:.2f}%, "
              f"{seconds:.1f} s, {batches * batch / seconds:.0f} samples/s", flush=True)
    print(f"RESULT torch epochs={epochs} test_accuracy={accuracy:.4f} train_seconds={total:.1f} "
          f"samples_per_s={epochs * batches * batch / total:.0f}")


if __name__ == "__main__":
    main()
