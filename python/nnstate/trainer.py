"""Trainer: fit with Keras-like results (History, verbose, Ctrl-C), checkpoints and resuming.

Epochs are counted as Keras counts them with initial_epoch: `epochs` is the total number of
epochs the run should have completed, and a fit continues from the trainer's position. After
fit(epochs=5) the run has epochs 0..4 (shown as "Epoch 1/5" .. "Epoch 5/5"); fit(epochs=8)
then trains epochs 5..7 and returns a History of those three. A stopped fit (Ctrl-C,
request_stop, a callback returning True) continues mid-epoch where it stopped.
"""
import contextlib
import ctypes
import os
import signal
import sys
import threading
import weakref

from ._buffers import FloatBuffer, check_rows, sample_rows, target_rows
from ._handles import Owned, own
from ._native import (BATCH_CALLBACK, EPOCH_CALLBACK, CheckpointPolicy, EpochInfo,
                      RollbackEvent, RollbackOptions, SaveStats, StepOptions, TrainerOptions,
                      lib)
from .checkpoint import save_options
from .errors import NnstateError, check
from .history import History
from .progress import Progress, resolve_verbose
from .training import MODES, Dataset

STOP_REASONS = {0: "completed", 1: "early_stopping", 2: "requested", 3: "diverged"}
DIVERGENCE_REASONS = {0: "nonfinite_loss", 1: "loss_spike", 2: "nonfinite_grad_norm"}
SAVE_WHEN_BUSY = {"wait": 0, "skip": 1}  # NNSTATE_SAVE_WAIT, NNSTATE_SAVE_SKIP
ROLLBACK_FIELDS = ("max_rollbacks", "lr_factor", "skip_batches", "snapshot_every", "spike_factor")


def _step_options(clip_grad_norm, clip_norm_type, clip_error_if_nonfinite, clip_grad_value,
                  accumulate_steps):
    options = StepOptions()
    check(lib.nnstate_step_options_init(ctypes.byref(options)))
    options.clip_grad_norm = clip_grad_norm or 0.0
    options.clip_norm_type = float(clip_norm_type)
    options.clip_error_if_nonfinite = int(bool(clip_error_if_nonfinite))
    options.clip_grad_value = clip_grad_value or 0.0
    options.accumulate_steps = accumulate_steps
    return options


def _rollback_options(rollback):
    """None/False: off; True: the defaults; a dict: the defaults with these fields changed."""
    options = RollbackOptions()
    check(lib.nnstate_rollback_options_init(ctypes.byref(options)))
    if rollback is None or rollback is False:
        return options
    options.enabled = 1
    if rollback is not True:
        if not isinstance(rollback, dict):
            raise NnstateError(-1, f"rollback must be None, True or a dict, got {rollback!r}")
        for name, value in rollback.items():
            if name not in ROLLBACK_FIELDS:
                raise NnstateError(-1, f"unknown rollback option {name!r} "
                                       f"(known: {', '.join(ROLLBACK_FIELDS)})")
            setattr(options, name, value)
    return options


def epoch_dict(info):
    return {name: getattr(info, name) for name, _ in info._fields_ if name != "struct_size"}


def _weak_callback(owner, method_name):
    """A C callback that calls owner.<method_name>(info) without keeping owner alive."""
    ref = weakref.ref(owner)

    def call(info, _user_data):
        target = ref()
        return getattr(target, method_name)(info) if target is not None else 1
    return call


class Trainer(Owned):
    """Trains a Network: Trainer(net, epochs=10, batch_size=32, shuffle=True, drop_last=False,
    scheduler=None, early_stopping=None, on_epoch=None, on_batch=None, clip_grad_norm=None,
    clip_norm_type=2.0, clip_error_if_nonfinite=False, clip_grad_value=None,
    accumulate_steps=1, rollback=None).

    Gradient clipping and accumulation have PyTorch's meaning (clip_grad_norm_,
    clip_grad_value_, loss / accumulate_steps with a step every accumulate_steps batches and at
    each epoch's end). rollback=True (or a dict of max_rollbacks, lr_factor, skip_batches,
    snapshot_every, spike_factor) restores the last good state when the loss diverges; the
    events are in `rollbacks`, and a run that used them all up stops as "diverged".

    The trainer keeps its network alive; closing the network closes the trainer, whose methods
    then raise NnstateError (STATE). on_epoch(row_dict) and on_batch(info_dict) may return True
    to stop (resumably: fit() again continues). An exception raised by a callback stops
    training and is re-raised by fit; Ctrl-C (SIGINT) stops at the next batch boundary, writes
    the checkpoint-on-stop when checkpoint_to() is set, and raises KeyboardInterrupt."""

    def __init__(self, network, epochs=10, batch_size=32, shuffle=True, drop_last=False,
                 scheduler=None, early_stopping=None, on_epoch=None, on_batch=None,
                 clip_grad_norm=None, clip_norm_type=2.0, clip_error_if_nonfinite=False,
                 clip_grad_value=None, accumulate_steps=1, rollback=None):
        self.network = network  # the C trainer borrows the network: keep it alive
        self._settings = (batch_size, shuffle, drop_last, scheduler, early_stopping)
        self._guard = (_step_options(clip_grad_norm, clip_norm_type, clip_error_if_nonfinite,
                                     clip_grad_value, accumulate_steps),
                       _rollback_options(rollback))
        self._on_epoch, self._on_batch = on_epoch, on_batch
        self._policy = None
        self._error = None
        self._progress = None
        self._interrupted = False
        self._steps = None
        # ctypes function objects must outlive every call that may invoke them.
        self._c_epoch = EPOCH_CALLBACK(_weak_callback(self, "_epoch_trampoline"))
        self._c_batch = BATCH_CALLBACK(_weak_callback(self, "_batch_trampoline"))
        self._create(epochs)

    def _create(self, epochs):
        batch_size, shuffle, drop_last, scheduler, early_stopping = self._settings
        options = TrainerOptions()
        check(lib.nnstate_trainer_options_init(ctypes.byref(options)))
        options.epochs, options.batch_size = epochs, batch_size
        options.shuffle, options.drop_last = int(bool(shuffle)), int(bool(drop_last))
        handle = ctypes.c_void_p()
        check(lib.nnstate_trainer_create(
            ctypes.byref(handle), self.network.handle, ctypes.byref(options),
            ctypes.byref(scheduler.options) if scheduler else None,
            ctypes.byref(early_stopping.options) if early_stopping else None))
        own(self, handle, lib.nnstate_trainer_free, "trainer", parent=self.network._native)
        self._epochs = epochs
        check(lib.nnstate_trainer_set_step_options(handle, ctypes.byref(self._guard[0])))
        check(lib.nnstate_trainer_set_rollback(handle, ctypes.byref(self._guard[1])))
        check(lib.nnstate_trainer_set_callbacks(handle, self._c_epoch, self._c_batch, None))
        group_min_lr = getattr(scheduler, "group_min_lr", None)
        if group_min_lr:
            values = (ctypes.c_double * len(group_min_lr))(*group_min_lr)
            check(lib.nnstate_trainer_set_group_min_lr(handle, values, len(group_min_lr)))
        if self._policy is not None:
            check(lib.nnstate_trainer_set_checkpointing(handle, ctypes.byref(self._policy[0])))

    # ---- lifetime
    @property
    def closed(self):
        return not self._native.alive

    @property
    def epochs(self):
        """The total number of epochs the run trains (changed by fit(epochs=...))."""
        return self._epochs

    def __repr__(self):
        try:
            epoch, step, batch = self.position
        except NnstateError as e:
            return f"<nnstate.Trainer ({e.message})>"
        return (f"<nnstate.Trainer: {epoch}/{self._epochs} epochs done, step {step}, "
                f"batch_size {self._settings[0]}>")

    # ---- callbacks (run on the thread that called fit, inside the C call)
    def _batch_trampoline(self, info):
        # The batch is done: its callbacks run even when Ctrl-C arrived meanwhile.
        try:
            stop = False
            self._steps = info.contents.batches_per_epoch
            if self._progress is not None or self._on_batch is not None:
                row = epoch_dict(info.contents)
                if self._progress is not None:
                    self._progress.batch(row)
                stop = self._on_batch is not None and self._on_batch(row)
            return 1 if stop or self._interrupted else 0
        except BaseException as e:  # noqa: B036 -- re-raised after fit returns
            self._error = e
            return 1

    def _epoch_trampoline(self, info):
        try:
            row = epoch_dict(info.contents)
            if self._progress is not None:
                self._progress.epoch(row)
            stop = self._on_epoch is not None and self._on_epoch(row)
            return 1 if stop or self._interrupted else 0
        except BaseException as e:  # noqa: B036
            self._error = e
            return 1

    def _sigint_handler(self, _signum, _frame):
        # Runs on the main thread between two Python bytecodes, i.e. inside a batch callback:
        # ask the C loop to stop at the boundary; fit raises KeyboardInterrupt afterwards.
        self._interrupted = True
        lib.nnstate_trainer_request_stop(self._native.pointer_for_lessee())

    @contextlib.contextmanager
    def _sigint_stops_fit(self):
        """Replaces Python's default SIGINT handler during fit (main thread only; a handler the
        program installed itself is left alone)."""
        installed = (threading.current_thread() is threading.main_thread()
                     and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        if installed:
            signal.signal(signal.SIGINT, self._sigint_handler)
        try:
            yield
        finally:
            if installed:
                signal.signal(signal.SIGINT, signal.default_int_handler)

    # ---- training
    def _dataset(self, data, what):
        if isinstance(data, Dataset):
            return data
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise NnstateError(-1, f"{what} must be a Dataset or an (x, y) pair")
        x, y = FloatBuffer(data[0]), FloatBuffer(data[1])
        rows = sample_rows(x, self.network.input_size)
        check_rows(rows, target_rows(y, rows, x.rows is None))
        return Dataset(data[0], data[1], samples=rows)

    def _set_epochs(self, epochs):
        """Changes the total the run trains to (the C trainer continues from its position)."""
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise NnstateError(-1, f"epochs must be an int >= 0, got {epochs!r}")
        check(lib.nnstate_trainer_set_epochs(self._native.get(), epochs))
        self._epochs = epochs

    def fit(self, train, validation=None, epochs=None, verbose="auto"):
        """Trains and returns a History of the epochs this call completed. `train` and
        `validation` are Dataset objects or (x, y) pairs (one row per sample). `epochs` is the
        total the run should reach (Keras' epochs with initial_epoch = epochs already done;
        None keeps the trainer's). verbose: 0 silent, 1 progress bar, 2 one line per epoch,
        "auto" 1 on a terminal else 2."""
        train = self._dataset(train, "train")
        validation = self._dataset(validation, "validation") if validation is not None else None
        if epochs is not None:
            self._set_epochs(epochs)
        verbose = resolve_verbose(verbose, sys.stdout)
        first_row = len(self.history)
        reason = ctypes.c_int32(-1)
        self._error, self._interrupted = None, False
        self._progress = Progress(verbose, self._epochs) if verbose else None
        try:
            with contextlib.ExitStack() as leases:
                # The network is only marked busy: the C trainer already holds its pointer.
                leases.enter_context(self.network._native.leased("Trainer.fit"))
                trainer = leases.enter_context(self._native.leased("Trainer.fit"))
                train_handle = leases.enter_context(train._native.leased("Trainer.fit"))
                if validation is None:
                    val_handle = None
                elif validation is train:  # one Dataset for both: leased once
                    val_handle = train_handle
                else:
                    val_handle = leases.enter_context(validation._native.leased("Trainer.fit"))
                with self._sigint_stops_fit():
                    status = lib.nnstate_trainer_fit(trainer, train_handle, val_handle,
                                                     ctypes.byref(reason))
                    message = lib.nnstate_last_error() if status else b""
        except KeyboardInterrupt:  # a SIGINT dispatched by the default handler after fit
            self._interrupted = True
            status = 0
        progress, self._progress = self._progress, None
        if status:
            raise NnstateError(status, message.decode("utf-8", "replace"))
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._interrupted:
            if progress is not None:
                progress.interrupted()
            raise KeyboardInterrupt
        params = {"epochs": self._epochs, "steps": self._steps, "verbose": verbose}
        return History(self.history[first_row:], params,
                       STOP_REASONS.get(reason.value, str(reason.value)))

    # ---- checkpoints
    def save(self, path, metadata=None, fsync=True):
        """Saves the network and the whole training-loop state (resumable mid-epoch)."""
        options, _keep = save_options(metadata, fsync)
        check(lib.nnstate_trainer_save(self._native.get(), os.fsencode(path),
                                       ctypes.byref(options)))

    def resume(self, path):
        """Restores this trainer and its network from a file written by save()."""
        check(lib.nnstate_trainer_resume(self._native.get(), os.fsencode(path)))

    def checkpoint_to(self, directory, every_epochs=1, every_steps=0, on_stop=True, keep_last=3,
                      keep_best=1, monitor="val_loss", mode="auto", fsync=True,
                      async_save=False, when_busy="wait", max_staging_bytes=0):
        """Makes fit() write checkpoints into `directory` (see nnstate_checkpoint_policy).
        With async_save, fit copies the state into a staging buffer and a background thread
        writes the file while training goes on; when_busy="skip" skips a periodic save due
        while the previous one is still written; max_staging_bytes bounds the staging buffer
        (larger states are saved synchronously; 0: no bound)."""
        if when_busy not in SAVE_WHEN_BUSY:
            raise ValueError("when_busy must be one of %s, got %r"
                             % (sorted(SAVE_WHEN_BUSY), when_busy))
        policy = CheckpointPolicy()
        check(lib.nnstate_checkpoint_policy_init(ctypes.byref(policy)))
        strings = (os.fsencode(directory), monitor.encode())
        policy.directory, policy.monitor = strings
        policy.every_epochs, policy.every_steps = every_epochs, every_steps
        policy.on_stop, policy.fsync = int(bool(on_stop)), int(bool(fsync))
        policy.keep_last, policy.keep_best = keep_last, keep_best
        policy.mode = MODES[mode]
        policy.async_save = int(bool(async_save))
        policy.when_busy = SAVE_WHEN_BUSY[when_busy]
        policy.max_staging_bytes = max_staging_bytes
        check(lib.nnstate_trainer_set_checkpointing(self._native.get(), ctypes.byref(policy)))
        self._policy = (policy, strings)  # kept alive: the C policy borrows its strings

    def flush_saves(self):
        """Waits until the checkpoint being written in the background (if any) is on disk;
        raises its error if it failed."""
        check(lib.nnstate_trainer_flush_saves(self._native.get()))

    @property
    def save_stats(self):
        """Counters of the checkpoint policy's saves as a dict: completed, failed, skipped,
        waited, synchronous_fallbacks, bytes_written, staging_peak_bytes, in_flight and
        stall_seconds (wall time fit spent in saves)."""
        stats = SaveStats()
        stats.struct_size = ctypes.sizeof(SaveStats)
        check(lib.nnstate_trainer_save_stats(self._native.pointer_for_lessee(),
                                             ctypes.byref(stats)))
        return {name: getattr(stats, name) for name, _ in SaveStats._fields_[1:]}

    def resume_latest(self, directory):
        """Resumes from the newest valid checkpoint in `directory`; returns whether one was
        found. Skipped files and environment differences are listed in `warnings`."""
        found = ctypes.c_int32()
        check(lib.nnstate_trainer_resume_latest(self._native.get(), os.fsencode(directory),
                                                ctypes.byref(found)))
        return bool(found.value)

    # ---- state (readable from callbacks while fit runs)
    @property
    def warnings(self):
        text = lib.nnstate_trainer_warnings(self._native.pointer_for_lessee())
        text = text.decode("utf-8", "replace") if text else ""
        return text.split("\n") if text else []

    @property
    def rollbacks(self):
        """The divergence rollbacks of the run so far: dicts of epoch, batch, global_step,
        restored_step, loss, lr, reason ("nonfinite_loss", "loss_spike",
        "nonfinite_grad_norm") and gave_up."""
        trainer = self._native.pointer_for_lessee()
        count = ctypes.c_size_t()
        check(lib.nnstate_trainer_rollback_count(trainer, ctypes.byref(count)))
        events = []
        for i in range(count.value):
            event = RollbackEvent()
            event.struct_size = ctypes.sizeof(event)
            check(lib.nnstate_trainer_rollback_event(trainer, i, ctypes.byref(event)))
            row = epoch_dict(event)
            row["reason"] = DIVERGENCE_REASONS.get(event.reason, str(event.reason))
            row["gave_up"] = bool(event.gave_up)
            events.append(row)
        return events

    def request_stop(self):
        """Stops a running fit at the next batch boundary; callable from another thread."""
        check(lib.nnstate_trainer_request_stop(self._native.pointer_for_lessee()))

    @property
    def position(self):
        """(epochs completed, global step, batches completed in the current epoch)."""
        values = [ctypes.c_int64() for _ in range(3)]
        check(lib.nnstate_trainer_position(self._native.pointer_for_lessee(),
                                           *[ctypes.byref(v) for v in values]))
        return tuple(v.value for v in values)

    @property
    def history(self):
        """One dict per completed epoch of the whole run (restored ones included): epoch
        (0-based), loss, accuracy, val_loss, val_accuracy, lr, seconds (NaN where a value
        does not exist)."""
        pointer = self._native.pointer_for_lessee()
        count = ctypes.c_size_t()
        check(lib.nnstate_trainer_history_count(pointer, ctypes.byref(count)))
        rows = []
        for index in range(count.value):
            row = EpochInfo()
            row.struct_size = ctypes.sizeof(EpochInfo)
            check(lib.nnstate_trainer_history_row(pointer, index, ctypes.byref(row)))
            rows.append(epoch_dict(row))
        return rows
