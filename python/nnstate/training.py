"""What the training loop is configured with: datasets, schedules and early stopping."""
import ctypes

from ._buffers import FloatBuffer, check_rows, target_rows
from ._handles import own
from ._native import EarlyStoppingOptions, SchedulerOptions, lib
from .errors import NnstateError, check

SCHEDULERS = {"step": 1, "multi_step": 2, "exponential": 3, "cosine_annealing": 4, "linear": 5,
              "reduce_on_plateau": 6}
MODES = {"auto": 0, "min": 1, "max": 2}
THRESHOLD_MODES = {"rel": 0, "abs": 1}


class Dataset:
    """Inputs and targets over float32 memory, one row per sample (as Keras: the first dimension
    of x and y is the sample axis). The library borrows the memory; this object keeps it alive.
    Class indices for cross-entropy are given as numbers (stored as floats). Flat inputs need
    `samples` (the number of rows they hold)."""

    def __init__(self, inputs, targets, samples=None):
        self._inputs = FloatBuffer(inputs)
        self._targets = FloatBuffer(targets)
        if samples is None:
            if self._inputs.rows is None:
                raise NnstateError(-2, f"x is flat ({self._inputs.count} values): give one row "
                                       "per sample (a list of rows, a 2-D array or memoryview) "
                                       "or samples=")
            samples = self._inputs.rows
            check_rows(samples, target_rows(self._targets, samples, False))
        handle = ctypes.c_void_p()
        check(lib.nnstate_dataset_create(ctypes.byref(handle), self._inputs.pointer,
                                         self._inputs.count, self._targets.pointer,
                                         self._targets.count, samples))
        own(self, handle, lib.nnstate_dataset_free, "dataset")
        self.samples = samples

    def close(self):
        self._native.close()

    def __len__(self):
        return self.samples

    def __repr__(self):
        state = "" if self._native.alive else " (closed)"
        return (f"<nnstate.Dataset: {self.samples} samples, {self._inputs.count} input values, "
                f"{self._targets.count} target values{state}>")


class Scheduler:
    """A learning-rate schedule, PyTorch's names: Scheduler("step", step_size=3, gamma=0.5),
    Scheduler("reduce_on_plateau", patience=2, monitor="val_loss"), ... per_batch=True steps
    after every batch. ReduceLROnPlateau's min_lr may be a list, one per param group of the
    network's optimizer (torch's min_lr list; the default group then keeps 0)."""

    def __init__(self, kind, **options):
        if kind not in SCHEDULERS:
            raise NnstateError(-1, f"unknown scheduler {kind!r} (known: {sorted(SCHEDULERS)})")
        self.options = SchedulerOptions()
        check(lib.nnstate_scheduler_options_init(ctypes.byref(self.options), SCHEDULERS[kind]))
        self._keep = []
        self.group_min_lr = None
        for key, value in options.items():
            if key == "min_lr" and isinstance(value, (list, tuple)):
                self.group_min_lr = [float(v) for v in value]
            elif key == "milestones":
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


