"""libnnstate for Python: train neural networks through libnnstate's C API (ctypes only).

    import nnstate
    with nnstate.Network(seed=42) as net:
        net.add_linear(4, 64).add_relu().add_linear(64, 1)
        net.set_loss("mse").set_optimizer("adam", lr=1e-3)
        loss = net.train_step(x, y)

The shared library is found through NNSTATE_LIBRARY, next to this package, or the system
loader. numpy arrays are used without copies when they are float32 and contiguous; plain
sequences and buffers work without numpy.
"""
from ._native import lib as _lib
from . import checkpoint
from .checkpoint import Checkpoint, load, load_into, save, verify
from .errors import NnstateError
from .network import Network
from .history import History
from .training import Dataset, EarlyStopping, Scheduler
from .trainer import Trainer

__version__ = _lib.nnstate_version_string().decode()
abi_version = _lib.nnstate_abi_version()

__all__ = ["Checkpoint", "Dataset", "EarlyStopping", "History", "Network", "NnstateError", "Scheduler",
           "Trainer", "__version__", "abi_version", "checkpoint", "load", "load_into", "save",
           "verify"]
