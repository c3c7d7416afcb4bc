"""Checkpoint files: save, load, verify and inspect (see the C API's "Checkpoints")."""
import ctypes
import os
import weakref

from ._buffers import output_array
from ._native import LoadOptions, SaveOptions, lib
from .errors import check

ROLES = {0: "parameter", 1: "buffer", 2: "optimizer_state", 3: "best_weight"}
OPTIMIZER_KINDS = {0: None, 1: "sgd", 2: "adam", 3: "adamw"}


def _path(path):
    return os.fsencode(path)


def save_options(metadata=None, fsync=True):
    """A C save-options struct; the returned tuple keeps the metadata strings alive."""
    options = SaveOptions()
    check(lib.nnstate_save_options_init(ctypes.byref(options)))
    options.fsync = int(bool(fsync))
    keep = ()
    if metadata:
        keys = [str(k).encode() for k in metadata]
        values = [str(metadata[k]).encode() for k in metadata]
        key_array = (ctypes.c_char_p * len(keys))(*keys)
        value_array = (ctypes.c_char_p * len(values))(*values)
        options.metadata_keys = ctypes.cast(key_array, ctypes.POINTER(ctypes.c_char_p))
        options.metadata_values = ctypes.cast(value_array, ctypes.POINTER(ctypes.c_char_p))
        options.metadata_count = len(keys)
        keep = (keys, values, key_array, value_array)
    return options, keep


def load_options(weights_only=False, verify_crc=True):
    options = LoadOptions()
    check(lib.nnstate_load_options_init(ctypes.byref(options)))
    options.what = 1 if weights_only else 0
    options.verify_crc = int(bool(verify_crc))
    return options


def save(network, path, metadata=None, fsync=True):
    """Saves a network's complete state (weights, buffers, optimizer state, RNG) crash-safely."""
    options, _keep = save_options(metadata, fsync)
    check(lib.nnstate_checkpoint_save(network.handle, _path(path), ctypes.byref(options)))


def load(path, weights_only=False):
    """Rebuilds a Network (layers, loss, optimizer and its state) from the file alone."""
    from .network import Network
    handle = ctypes.c_void_p()
    options = load_options(weights_only)
    check(lib.nnstate_checkpoint_load(ctypes.byref(handle), _path(path), ctypes.byref(options)))
    return Network(_handle=handle.value)


def load_into(network, path, weights_only=False):
    """Loads into a network built by the caller; names and shapes must match exactly."""
    options = load_options(weights_only)
    check(lib.nnstate_checkpoint_load_into(network.handle, _path(path), ctypes.byref(options)))


def verify(path):
    """Checks every byte of a checkpoint; raises NnstateError naming what is wrong."""
    check(lib.nnstate_checkpoint_verify(_path(path)))


class Checkpoint:
    """A checkpoint opened for inspection (memory-mapped, validated)."""

    def __init__(self, path):
        handle = ctypes.c_void_p()
        check(lib.nnstate_checkpoint_open(ctypes.byref(handle), _path(path), None))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.nnstate_checkpoint_free, handle)

    def close(self):
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def format_version(self):
        major, minor = ctypes.c_uint32(), ctypes.c_uint32()
        check(lib.nnstate_checkpoint_format(self._handle, ctypes.byref(major), ctypes.byref(minor)))
        return major.value, minor.value

    @property
    def writer_version(self):
        out = ctypes.c_char_p()
        check(lib.nnstate_checkpoint_writer_version(self._handle, ctypes.byref(out)))
        return out.value.decode()

    def tensors(self):
        """{name: (shape, role)} of every stored tensor."""
        count = ctypes.c_size_t()
        check(lib.nnstate_checkpoint_tensor_count(self._handle, ctypes.byref(count)))
        result = {}
        for index in range(count.value):
            name = ctypes.c_char_p()
            role, dtype, rank = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
            dims = (ctypes.c_int64 * 4)()
            check(lib.nnstate_checkpoint_tensor_info(
                self._handle, index, ctypes.byref(name), ctypes.byref(role),
                ctypes.byref(dtype), ctypes.byref(rank), dims))
            result[name.value.decode()] = (tuple(dims[: rank.value]), ROLES[role.value])
        return result

    def tensor(self, name):
        shape, _ = self.tensors()[name]
        count = 1
        for d in shape:
            count *= d
        out, pointer = output_array(count)
        check(lib.nnstate_checkpoint_read_tensor(self._handle, name.encode(), pointer, count))
        return out.reshape(shape) if hasattr(out, "reshape") else out

    @property
    def optimizer(self):
        """(kind name or None, step)."""
        kind, step = ctypes.c_int32(), ctypes.c_int64()
        check(lib.nnstate_checkpoint_optimizer(self._handle, ctypes.byref(kind),
                                               ctypes.byref(step)))
        return OPTIMIZER_KINDS.get(kind.value, kind.value), step.value

    @property
    def metadata(self):
        count = ctypes.c_size_t()
        check(lib.nnstate_checkpoint_metadata_count(self._handle, ctypes.byref(count)))
        result = {}
        for index in range(count.value):
            key, value = ctypes.c_char_p(), ctypes.c_char_p()
            check(lib.nnstate_checkpoint_metadata_at(self._handle, index, ctypes.byref(key),
                                                     ctypes.byref(value)))
            result[key.value.decode()] = value.value.decode()
        return result
