#!/usr/bin/python3
"""The trained ResNet example predicts what torchvision's resnet18 (narrowed the same way,
bench/resnet_fashion_mnist_torch.py) predicts with its weights: the example trains briefly, its
final checkpoint is loaded through the Python binding, every tensor goes into the torchvision
model by name (load_state_dict, strict), and the eval-mode outputs on test images must agree to
float32 rounding. Exits 77 (skipped) when torch or torchvision cannot be imported.

Usage: resnet_torch_parity.py PROGRAM WORK_DIR
  PROGRAM is resnet_fashion_mnist; the data is decompressed into WORK_DIR/data; the binding is
  found through PYTHONPATH and NNSTATE_LIBRARY.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    program, work = sys.argv[1:]
    data, run = os.path.join(work, "data"), os.path.join(work, "run")
    try:
        import numpy
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: numpy, torch and torchvision are needed ({e}); "
              "apt-get install python3-torch python3-torchvision")
        return 77
    import nnstate
    sys.path.insert(0, os.path.join(HERE, "..", "bench"))
    from resnet_fashion_mnist_torch import images, narrow_resnet18

    subprocess.run([os.path.join(HERE, "..", "examples", "fashion_mnist_data.sh"), data], check=True)
    shutil.rmtree(run, ignore_errors=True)
    # 16 steps: weights and running statistics far from their initial values.
    subprocess.run([program, "--epochs", "1", "--train-samples", "512", "--test-samples", "100",
                    "--batch-size", "32", "--checkpoint-every", "1000", data, run], check=True)
    net = nnstate.load(os.path.join(run, "final.nnst"))
    model = narrow_resnet18(width=16, in_channels=1, num_classes=10)
    reference = model.state_dict()
    state = {}
    for name in net.tensors():
        values = numpy.array(net.get_tensor(name), dtype=numpy.float32)
        state[name] = torch.from_numpy(values).reshape(reference[name].shape).to(
            reference[name].dtype)
    model.load_state_dict(state)  # strict: every key of torchvision's model, no other
    model.eval()
    x = images(data, "t10k-images-idx3-ubyte")[:100]
    ours = numpy.array(net.predict(x.reshape(100, -1).numpy()), dtype=numpy.float32)
    with torch.no_grad():
        theirs = model(x).numpy()
    error = float(numpy.abs(ours.reshape(theirs.shape) - theirs).max())
    scale = float(numpy.abs(theirs).max())
    print(f"eval outputs of 100 test images: max |libnnstate - torchvision| {error:.2e} "
          f"(outputs up to {scale:.2f})")
    if not error <= 1e-5 * max(1.0, scale):
        print("FAILED: the outputs differ by more than float32 rounding")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
