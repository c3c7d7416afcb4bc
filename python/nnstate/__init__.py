"""libnnstate for Python: train neural networks through libnnstate's C API (ctypes only).

    import nnstate
    (x, y), (x_test, y_test) = nnstate.datasets.fashion_mnist()
    with nnstate.Network(seed=42) as net:
        net.set_input_shape((28, 28)).add_flatten().add_linear(784, 64).add_relu()
        net.add_linear(64, 10).set_loss("cross_entropy").set_optimizer("adam", lr=1e-3)
        history = nnstate.Trainer(net, batch_size=64).fit((x / 255, y), epochs=5)
        loss, accuracy = net.evaluate(x_test / 255, y_test)

The shared library is found through NNSTATE_LIBRARY, the prefix cmake --install put it in,
a copy next to this package, or the system loader (see _native.py). numpy arrays are used
without copies when they are float32 and contiguous; lists of rows, buffers and memoryviews
work without numpy. Data is one row per sample, as in Keras.
"""
from ._native import lib as _lib
from . import checkpoint, datasets, state_dict
from .checkpoint import Checkpoint, load, load_into, save, verify
from .errors import NnstateError
from .network import Network
from .state_dict import safetensors_metadata
from .history import History
from .training import Dataset, EarlyStopping, Scheduler
from .trainer import Trainer

__version__ = _lib.nnstate_version_string().decode()
abi_version = _lib.nnstate_abi_version()

__all__ = ["Checkpoint", "Dataset", "EarlyStopping", "History", "Network", "NnstateError",
           "Scheduler", "Trainer", "__version__", "abi_version", "checkpoint", "datasets", "load",
           "load_into", "safetensors_metadata", "save", "state_dict", "verify"]
