#!/usr/bin/python3
"""safetensors against the real other side, PyTorch 1.13, both ways, on a small CNN with
BatchNorm (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear):

1. trained here, exported with save_safetensors, read by a plain numpy reader of the format and
   loaded into the equivalent torch.nn.Sequential with load_state_dict(strict=True): the same
   eval-mode predictions (1e-6);
2. initialised and trained by torch, written by a plain numpy writer of the format, imported
   here with load_safetensors(strict=True): torch's predictions (1e-6); then both sides train
   on (SGD, the same batches, BatchNorm in training mode) and still agree (1e-5).

Exits 77 (skipped) when numpy or torch cannot be imported. The binding is found through
PYTHONPATH and NNSTATE_LIBRARY. Usage: safetensors_torch.py WORK_DIR
"""
import json
import os
import struct
import sys

NETWORK = {"input_shape": [1, 8, 8], "nodes": [
    {"kind": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"kind": "BatchNorm2d", "num_features": 4},
    {"kind": "ReLU"},
    {"kind": "MaxPool2d", "kernel_size": 2},
    {"kind": "Flatten"},
    {"kind": "Linear", "in_features": 64, "out_features": 3}]}
DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8"}


def read_safetensors(path, numpy):
    """The format alone: u64 little-endian header length, JSON header, data area."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = numpy.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(
            info["shape"])
    return tensors, header.get("__metadata__", {})


def write_safetensors(path, tensors, numpy):
    """The reverse: tensors in order, offsets back to back, header padded with spaces to 8."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        array = numpy.array(array, order="C")  # (ascontiguousarray makes a 0-d array 1-d)
        dtype = {numpy.dtype("float32"): "F32", numpy.dtype("int64"): "I64"}[array.dtype]
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def torch_model(torch):
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))


def batches(numpy, count, seed):
    rng = numpy.random.default_rng(seed)
    return [(rng.standard_normal((16, 1, 8, 8)).astype(numpy.float32),
             rng.integers(0, 3, 16)) for _ in range(count)]


def max_error(a, b, numpy):
    return float(numpy.abs(numpy.asarray(a).reshape(-1) - numpy.asarray(b).reshape(-1)).max())


def ours_to_torch(work, numpy, torch, nnstate):
    net = nnstate.Network.from_json(NETWORK, seed=11)
    net.set_loss("cross_entropy").set_optimizer("adam", lr=0.01)
    for x, y in batches(numpy, 5, 1):
        net.train_step(x.reshape(16, -1), y.astype(numpy.float32))
    path = os.path.join(work, "ours.safetensors")
    net.save_safetensors(path)
    tensors, metadata = read_safetensors(path, numpy)
    assert json.loads(metadata["nnstate.architecture"])["nodes"][0]["kind"] == "Conv2d"
    model = torch_model(torch)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
                          strict=True)
    assert int(model[1].num_batches_tracked) == 5
    model.eval()
    x = batches(numpy, 1, 2)[0][0]
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    ours = net.predict(x.reshape(16, -1))
    error = max_error(ours, theirs, numpy)
    print(f"trained here, run by torch: max |difference| of eval outputs {error:.2e}")
    assert error <= 1e-6, error
    net.close()


def torch_to_ours(work, numpy, torch, nnstate):
    torch.manual_seed(5)
    model = torch_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()

    def torch_step(x, y):
        model.train()
        optimizer.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        optimizer.step()

    for x, y in batches(numpy, 4, 3):
        torch_step(x, y)
    path = os.path.join(work, "torch.safetensors")
    write_safetensors(path, {k: v.detach().numpy() for k, v in model.state_dict().items()}, numpy)

    net = nnstate.Network.from_json(NETWORK, seed=99)  # other initial weights, all replaced
    net.set_loss("cross_entropy").set_optimizer("sgd", lr=0.1)
    assert net.load_safetensors(path, strict=True) == ([], [])
    x_test = batches(numpy, 1, 4)[0][0]

    def compare(what, tolerance):
        model.eval()
        with torch.no_grad():
            theirs = model(torch.from_numpy(x_test)).numpy()
        error = max_error(net.predict(x_test.reshape(16, -1)), theirs, numpy)
        print(f"{what}: max |difference| of eval outputs {error:.2e}")
        assert error <= tolerance, (what, error)

    compare("trained by torch, run here", 1e-6)
    # Training goes on from torch's weights: the same steps on both sides.
    for x, y in batches(numpy, 5, 6):
        torch_step(x, y)
        net.train_step(x.reshape(16, -1), y.astype(numpy.float32))
    compare("then 5 more SGD steps on each side", 1e-5)
    # torch's own state_dict (tensors, int64 num_batches_tracked) goes in as it is, too.
    other = nnstate.Network.from_json(NETWORK, seed=3)
    assert other.load_state_dict(model.state_dict(), strict=True) == ([], [])
    assert max_error(other.predict(x_test.reshape(16, -1)), net.predict(x_test.reshape(16, -1)),
                     numpy) <= 1e-5
    other.close()
    ours = net.state_dict()
    for name, value in model.state_dict().items():
        error = max_error(ours[name], value.numpy().astype(numpy.float32), numpy)
        assert error <= 1e-5, (name, error)
    net.close()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import numpy
        import torch
    except ImportError as e:
        print(f"SKIPPED: numpy and torch are needed ({e}); apt-get install python3-torch")
        return 77
    import nnstate
    torch.set_num_threads(1)
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    ours_to_torch(work, numpy, torch, nnstate)
    torch_to_ours(work, numpy, torch, nnstate)
    print("safetensors_torch: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
