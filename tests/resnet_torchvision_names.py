#!/usr/bin/python3
"""The ResNet example's state names equal torchvision's resnet18 state_dict() keys, with the same
shapes, roles (parameter or buffer) and order.

Usage: resnet_torchvision_names.py committed PROGRAM LISTING
         PROGRAM's tensors (resnet_fashion_mnist --print-state, width 16) equal LISTING, the
         committed listing of torchvision's model (runs without torch).
       resnet_torchvision_names.py torchvision PROGRAM LISTING
         torchvision's narrowed resnet18 (bench/resnet_fashion_mnist_torch.py), built now, equals
         LISTING and PROGRAM's tensors at widths 16 and 8; exits 77 (skipped) when torch or
         torchvision cannot be imported.
       resnet_torchvision_names.py write LISTING
         writes LISTING from torchvision (run it when the example's network changes).
A listing line is "name role dim...", as resnet_fashion_mnist --print-state prints it.
"""
import os
import subprocess
import sys

WIDTH = 16
HERE = os.path.dirname(os.path.abspath(__file__))


def ours(program, width):
    out = subprocess.run([program, "--print-state", "--width", str(width)], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def torchvision_listing(width):
    sys.path.insert(0, os.path.join(HERE, "..", "bench"))
    from resnet_fashion_mnist_torch import narrow_resnet18
    model = narrow_resnet18(width=width, in_channels=1, num_classes=10)
    parameters = {name for name, _ in model.named_parameters()}
    return [" ".join([name, "parameter" if name in parameters else "buffer"] +
                     [str(d) for d in tensor.shape])
            for name, tensor in model.state_dict().items()]


def compare(what, expected, actual):
    if expected == actual:
        print(f"{what}: {len(actual)} tensors, the same names, roles, shapes and order")
        return True
    print(f"{what}: DIFFERENT ({len(expected)} expected, {len(actual)} found)")
    for i in range(max(len(expected), len(actual))):
        e = expected[i] if i < len(expected) else "(none)"
        a = actual[i] if i < len(actual) else "(none)"
        if e != a:
            print(f"  tensor {i}: expected \"{e}\", found \"{a}\"")
    return False


def read_listing(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "write" and len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            f.write("\n".join(torchvision_listing(WIDTH)) + "\n")
        return 0
    if mode not in ("committed", "torchvision") or len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    program, listing = sys.argv[2], read_listing(sys.argv[3])
    if mode == "committed":
        return 0 if compare(f"example (width {WIDTH}) vs committed torchvision listing", listing,
                            ours(program, WIDTH)) else 1
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: torch and torchvision are needed ({e}); "
              "apt-get install python3-torch python3-torchvision")
        return 77
    ok = compare(f"torchvision {torchvision.__version__} (width {WIDTH}) vs committed listing",
                 torchvision_listing(WIDTH), listing)
    for width in (WIDTH, 8):
        ok &= compare(f"example vs torchvision, width {width}", torchvision_listing(width),
                      ours(program, width))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
