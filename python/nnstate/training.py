"""The training loop: datasets, schedules, early stopping, callbacks and history."""
import ctypes
import os
import weakref

from ._buffers import FloatBuffer
from ._native import (BATCH_CALLBACK, EPOCH_CALLBACK, CheckpointPolicy, EarlyStoppingOptions,
                      SchedulerOptions, TrainerOptions, lib)
from .checkpoint import save_options
from .errors import NnstateError, check

SCHEDULERS = {"step": 1, "multi_step": 2, "exponential": 3, "cosine_annealing": 4, "linear": 5,
              "reduce_on_plateau": 6}
MODES = {"auto": 0, "min": 1, "max": 2}
THRESHOLD_MODES = {"rel": 0, "abs": 1}
STOP_REASONS = {0: "completed", 1: "early_stopping", 2: "requested"}


class Dataset:
    """Inputs and targets over float32 memory. The library borrows the memory; this object
    keeps it alive. Class indices for cross-entropy are given as numbers (stored as floats)."""

    def __init__(self, inputs, targets, samples=None):
        self._inputs = FloatBuffer(inputs)
        self._targets = FloatBuffer(targets)
        if samples is None:
            samples = self._inputs.rows if self._inputs.rows is not None else self._targets.count
        handle = ctypes.c_void_p()
        check(lib.nnstate_dataset_create(ctypes.byref(handle), self._inputs.pointer,
                                         self._inputs.count, self._targets.pointer,
                                         self._targets.count, samples))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.nnstate_dataset_free, handle)
        self.samples = samples

    def close(self):
        self._finalizer()


class Scheduler:
    """A learning-rate schedule, PyTorch's names: Scheduler("step", step_size=3, gamma=0.5),
    Scheduler("reduce_on_plateau", patience=2, monitor="val_loss"), ... per_batch=True steps
    after every batch."""

    def __init__(self, kind, **options):
        if kind not in SCHEDULERS:
            raise NnstateError(-1, f"unknown scheduler {kind!r} (known: {sorted(SCHEDULERS)})")
        self.options = SchedulerOptions()
        check(lib.nnstate_scheduler_options_init(ctypes.byref(self.options), SCHEDULERS[kind]))
        self._keep = []
        for key, value in options.items():
            if key == "milestones":
                array = (ctypes.c_int64 * len(value))(*value)
                self._keep.append(array)
                self.options.milestones = ctypes.cast(array, ctypes.POINTER(ctypes.c_int64))
                self.options.milestone_count = len(value)
            elif key == "mode":
                self.options.mode = MODES[value]
            elif key == "threshold_mode":
                self.options.threshold_mode = THRESHOLD_MODES[value]
            elif key == "monitor":
                self._keep.append(value.encode())
                self.options.monitor = self._keep[-1]
            elif key == "T_max":
                self.options.t_max = value
            elif key == "per_batch":
                self.options.per_batch = int(bool(value))
            elif hasattr(self.options, key) and key not in ("struct_size", "kind"):
                setattr(self.options, key, value)
            else:
                raise NnstateError(-1, f"unknown scheduler option {key!r}")


class EarlyStopping:
    """Keras' EarlyStopping options: monitor, min_delta, patience, mode ("auto"/"min"/"max"),
    baseline, restore_best_weights, start_from_epoch."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        self.options = EarlyStoppingOptions()
        check(lib.nnstate_early_stopping_options_init(ctypes.byref(self.options)))
        self._monitor = monitor.encode()
        self.options.monitor = self._monitor
        self.options.mode = MODES[mode]
        self.options.min_delta = min_delta
        self.options.patience = patience
        self.options.has_baseline = int(baseline is not None)
        self.options.baseline = baseline if baseline is not None else 0.0
        self.options.restore_best_weights = int(bool(restore_best_weights))
        self.options.start_from_epoch = start_from_epoch


def _epoch_dict(info):
    return {name: getattr(info, name) for name, _ in info._fields_ if name != "struct_size"}


class Trainer:
    """Trains a Network: Trainer(net, epochs=10, batch_size=32, shuffle=True, drop_last=False,
    scheduler=None, early_stopping=None, on_epoch=None, on_batch=None).

    on_epoch(row_dict) and on_batch(info_dict) may return True to stop (resumably: fit()
    again continues). An exception raised by a callback stops training and is re-raised."""

    def __init__(self, network, epochs=10, batch_size=32, shuffle=True, drop_last=False,
                 scheduler=None, early_stopping=None, on_epoch=None, on_batch=None):
        options = TrainerOptions()
        check(lib.nnstate_trainer_options_init(ctypes.byref(options)))
        options.epochs, options.batch_size = epochs, batch_size
        options.shuffle, options.drop_last = int(bool(shuffle)), int(bool(drop_last))
        handle = ctypes.c_void_p()
        check(lib.nnstate_trainer_create(
            ctypes.byref(handle), network.handle, ctypes.byref(options),
            ctypes.byref(scheduler.options) if scheduler else None,
            ctypes.byref(early_stopping.options) if early_stopping else None))
        self.network = network  # the trainer borrows the network: keep it alive
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.nnstate_trainer_free, handle)
        self._error = None
        self._on_epoch, self._on_batch = on_epoch, on_batch
        # ctypes function objects must outlive every call that may invoke them.
        self._c_epoch = EPOCH_CALLBACK(self._epoch_trampoline) if on_epoch else EPOCH_CALLBACK()
        self._c_batch = BATCH_CALLBACK(self._batch_trampoline) if on_batch else BATCH_CALLBACK()
        check(lib.nnstate_trainer_set_callbacks(handle, self._c_epoch, self._c_batch, None))

    def close(self):
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, callback, info):
        try:
            return 1 if callback(_epoch_dict(info.contents)) else 0
        except BaseException as e:  # noqa: B036 -- re-raised after fit returns
            self._error = e
            return 1

    def _epoch_trampoline(self, info, _user_data):
        return self._call(self._on_epoch, info)

    def _batch_trampoline(self, info, _user_data):
        return self._call(self._on_batch, info)

    def fit(self, train, validation=None):
        """Trains; returns "completed", "early_stopping" or "requested". `train` and
        `validation` are Dataset objects or (inputs, targets) pairs."""
        if not isinstance(train, Dataset):
            train = Dataset(*train)
        if validation is not None and not isinstance(validation, Dataset):
            validation = Dataset(*validation)
        reason = ctypes.c_int32(-1)
        self._error = None
        check(lib.nnstate_trainer_fit(self._handle, train._handle,
                                      validation._handle if validation else None,
                                      ctypes.byref(reason)))
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return STOP_REASONS.get(reason.value, str(reason.value))

    def save(self, path, metadata=None, fsync=True):
        """Saves the network and the whole training-loop state (resumable mid-epoch)."""
        options, _keep = save_options(metadata, fsync)
        check(lib.nnstate_trainer_save(self._handle, os.fsencode(path), ctypes.byref(options)))

    def resume(self, path):
        """Restores this trainer and its network from a file written by save()."""
        check(lib.nnstate_trainer_resume(self._handle, os.fsencode(path)))

    def checkpoint_to(self, directory, every_epochs=1, every_steps=0, on_stop=True, keep_last=3,
                      keep_best=1, monitor="val_loss", mode="auto", fsync=True):
        """Makes fit() write checkpoints into `directory` (see nnstate_checkpoint_policy)."""
        policy = CheckpointPolicy()
        check(lib.nnstate_checkpoint_policy_init(ctypes.byref(policy)))
        self._policy_strings = (os.fsencode(directory), monitor.encode())
        policy.directory, policy.monitor = self._policy_strings
        policy.every_epochs, policy.every_steps = every_epochs, every_steps
        policy.on_stop, policy.fsync = int(bool(on_stop)), int(bool(fsync))
        policy.keep_last, policy.keep_best = keep_last, keep_best
        policy.mode = MODES[mode]
        check(lib.nnstate_trainer_set_checkpointing(self._handle, ctypes.byref(policy)))

    def resume_latest(self, directory):
        """Resumes from the newest valid checkpoint in `directory`; returns whether one was
        found. Skipped files and environment differences are listed in `warnings`."""
        found = ctypes.c_int32()
        check(lib.nnstate_trainer_resume_latest(self._handle, os.fsencode(directory),
                                                ctypes.byref(found)))
        return bool(found.value)

    @property
    def warnings(self):
        text = lib.nnstate_trainer_warnings(self._handle).decode("utf-8", "replace")
        return text.split("\n") if text else []

    def request_stop(self):
        """Stops a running fit at the next batch boundary; callable from another thread."""
        check(lib.nnstate_trainer_request_stop(self._handle))

    @property
    def position(self):
        """(epochs completed, global step, batches completed in the current epoch)."""
        values = [ctypes.c_int64() for _ in range(3)]
        check(lib.nnstate_trainer_position(self._handle, *[ctypes.byref(v) for v in values]))
        return tuple(v.value for v in values)

    @property
    def history(self):
        """One dict per completed epoch: epoch, loss, accuracy, val_loss, val_accuracy, lr,
        seconds (NaN where a value does not exist)."""
        from ._native import EpochInfo
        count = ctypes.c_size_t()
        check(lib.nnstate_trainer_history_count(self._handle, ctypes.byref(count)))
        rows = []
        for index in range(count.value):
            row = EpochInfo()
            row.struct_size = ctypes.sizeof(EpochInfo)
            check(lib.nnstate_trainer_history_row(self._handle, index, ctypes.byref(row)))
            rows.append(_epoch_dict(row))
        return rows
