"""Checkpoint files: save, load, verify and inspect (see the C API's "Checkpoints")."""
import ctypes
import os

from ._buffers import output_array
from ._handles import Owned, own
from ._native import EpochInfo, LoadOptions, OptimizerOptions, SaveOptions, lib
from .errors import NnstateError, check

ROLES = {0: "parameter", 1: "buffer", 2: "optimizer_state", 3: "best_weight",
         4: "grad_accumulation", 5: "rollback_snapshot"}
OPTIMIZER_KINDS = {0: None, 1: "sgd", 2: "adam", 3: "adamw"}
LOSS_KINDS = {0: None, 1: "mse", 2: "cross_entropy", 3: "bce_with_logits"}
SCHEDULER_KINDS = {0: None, 1: "step", 2: "multi_step", 3: "exponential", 4: "cosine_annealing",
                   5: "linear", 6: "reduce_on_plateau"}


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
    network = Network(_handle=handle.value)
    try:  # the names repr() and summary() show; the file was just verified, skip its CRCs
        with Checkpoint(path, verify_crc=False) as stored:
            network._loss_name = stored.loss
            network._optimizer_name = stored.optimizer[0]
    except NnstateError:
        pass  # the file changed since: the network is loaded, only its description is missing
    return network


def load_into(network, path, weights_only=False):
    """Loads into a network built by the caller; names and shapes must match exactly."""
    options = load_options(weights_only)
    check(lib.nnstate_checkpoint_load_into(network.handle, _path(path), ctypes.byref(options)))


def verify(path):
    """Checks every byte of a checkpoint; raises NnstateError naming what is wrong."""
    check(lib.nnstate_checkpoint_verify(_path(path)))


class Checkpoint(Owned):
    """A checkpoint opened for inspection (memory-mapped, validated): tensors, metadata, the
    architecture, and for trainer checkpoints the training-loop state (trainer, history,
    scheduler, early_stopping)."""

    def __init__(self, path, verify_crc=True):
        handle = ctypes.c_void_p()
        options = load_options(verify_crc=verify_crc)
        check(lib.nnstate_checkpoint_open(ctypes.byref(handle), _path(path),
                                          ctypes.byref(options)))
        own(self, handle, lib.nnstate_checkpoint_free, "checkpoint")
        self.path = path

    def __repr__(self):
        if not self._native.alive:
            return f"<nnstate.Checkpoint {self.path!r} (closed)>"
        trainer = self.trainer
        where = (f", trainer at epoch {trainer['epoch']} step {trainer['global_step']}"
                 if trainer else "")
        return (f"<nnstate.Checkpoint {self.path!r}: format {self.format_version}, "
                f"{len(self.layer_kinds)} layers, {len(self.tensors())} tensors{where}>")

    @property
    def _handle(self):
        return self._native.get()

    def _out(self, function, ctype, *args):
        value = ctype()
        check(function(self._handle, *args, ctypes.byref(value)))
        return value.value
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

    # ---- architecture
    @property
    def layer_kinds(self):
        """The stored layers' kinds, PyTorch's class names ("Linear", "ReLU", ...)."""
        from .network import LAYER_NAMES
        count = self._out(lib.nnstate_checkpoint_layer_count, ctypes.c_size_t)
        return [LAYER_NAMES.get(self._out(lib.nnstate_checkpoint_layer_kind, ctypes.c_int32, i),
                                "?") for i in range(count)]

    def network_json(self):
        """The stored network's JSON document (a str), read from the architecture alone:
        what Network.to_json() gives for the network load() rebuilds, and what
        Network.from_json() takes."""
        from .network import _text
        handle = self._handle
        return _text(lambda buffer, capacity, size:
                     lib.nnstate_checkpoint_network_json(handle, buffer, capacity, size))

    def layers(self):
        """[Layer(kind, output_shape)] from the stored tensors alone; output shapes are known
        up to the first layer whose shape the stored tensors do not imply (None after it)."""
        from .network import Layer
        tensors, shape, result = self.tensors(), None, []
        for index, kind in enumerate(self.layer_kinds):
            weight = tensors.get(f"{index}.weight")
            if kind == "Linear" and weight is not None:
                shape = (weight[0][0],)
            elif kind in ("Conv2d", "MaxPool2d", "Flatten") or (index == 0 and shape is None):
                shape = None
            result.append(Layer(kind, shape))
        return result

    @property
    def loss(self):
        """The loss name, or None."""
        return LOSS_KINDS.get(self._out(lib.nnstate_checkpoint_loss, ctypes.c_int32))

    @property
    def optimizer_options(self):
        """The stored optimizer's hyper-parameters ({} when the file has none)."""
        options = OptimizerOptions()
        options.struct_size = ctypes.sizeof(OptimizerOptions)
        check(lib.nnstate_checkpoint_optimizer_options(self._handle, ctypes.byref(options)))
        if options.kind == 0:
            return {}
        result = {name: getattr(options, name) for name, _ in OptimizerOptions._fields_
                  if name not in ("struct_size", "kind")}
        result["kind"] = OPTIMIZER_KINDS.get(options.kind, options.kind)
        for flag in ("amsgrad", "maximize", "nesterov"):
            result[flag] = bool(result[flag])
        return result

    @property
    def environment(self):
        """(BLAS core type, BLAS thread count) of the writer."""
        core, threads = ctypes.c_char_p(), ctypes.c_int32()
        check(lib.nnstate_checkpoint_environment(self._handle, ctypes.byref(core),
                                                 ctypes.byref(threads)))
        return (core.value.decode() if core.value else ""), threads.value

    # ---- training-loop state (trainer checkpoints)
    @property
    def trainer(self):
        """{"epoch", "global_step", "batch_in_epoch"} of a trainer checkpoint (epochs completed,
        batches in all epochs, batches in the current one), or None."""
        present = ctypes.c_int32()
        values = [ctypes.c_int64() for _ in range(3)]
        check(lib.nnstate_checkpoint_trainer(self._handle, ctypes.byref(present),
                                             *[ctypes.byref(v) for v in values]))
        if not present.value:
            return None
        return dict(zip(("epoch", "global_step", "batch_in_epoch"), (v.value for v in values)))

    @property
    def history(self):
        """The stored history, one dict per completed epoch (as Trainer.history)."""
        from .trainer import epoch_dict
        rows = []
        for index in range(self._out(lib.nnstate_checkpoint_history_count, ctypes.c_size_t)):
            row = EpochInfo()
            row.struct_size = ctypes.sizeof(EpochInfo)
            check(lib.nnstate_checkpoint_history_row(self._handle, index, ctypes.byref(row)))
            rows.append(epoch_dict(row))
        return rows

    @property
    def scheduler(self):
        """{"kind", "last_epoch", "best", "num_bad_epochs", "cooldown_counter"} (PyTorch's
        names; the last three are ReduceLROnPlateau's), or None."""
        kind, last_epoch, best = ctypes.c_int32(), ctypes.c_int64(), ctypes.c_double()
        bad, cooldown = ctypes.c_int64(), ctypes.c_int64()
        check(lib.nnstate_checkpoint_scheduler(self._handle, ctypes.byref(kind),
                                               ctypes.byref(last_epoch), ctypes.byref(best),
                                               ctypes.byref(bad), ctypes.byref(cooldown)))
        if kind.value == 0:
            return None
        return {"kind": SCHEDULER_KINDS.get(kind.value, kind.value),
                "last_epoch": last_epoch.value, "best": best.value,
                "num_bad_epochs": bad.value, "cooldown_counter": cooldown.value}

    @property
    def early_stopping(self):
        """{"monitor", "best", "best_epoch", "wait", "stopped_epoch"} (Keras' names), or None."""
        present, monitor, best = ctypes.c_int32(), ctypes.c_char_p(), ctypes.c_double()
        best_epoch, wait, stopped = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        check(lib.nnstate_checkpoint_early_stopping(
            self._handle, ctypes.byref(present), ctypes.byref(monitor), ctypes.byref(best),
            ctypes.byref(best_epoch), ctypes.byref(wait), ctypes.byref(stopped)))
        if not present.value:
            return None
        return {"monitor": monitor.value.decode() if monitor.value else "", "best": best.value,
                "best_epoch": best_epoch.value, "wait": wait.value,
                "stopped_epoch": stopped.value}
