"""fit's console output, as Keras draws it: verbose 1 is a progress bar per epoch (redrawn at
most every 0.1 s, with ETA and the running loss) ending in the epoch's metrics; verbose 2 is one
line per epoch; 0 is silent. The times shown are for the reader only; nothing depends on them."""
import math
import sys
import time

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


def resolve_verbose(verbose, stream):
    """"auto" (fit's default): 1 on a terminal, 2 otherwise (a log gets no \\r redraws)."""
    if verbose == "auto":
        return 1 if getattr(stream, "isatty", lambda: False)() else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return verbose


def _duration(seconds):
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def _per_step(seconds):
    return f"{seconds * 1e3:.0f}ms/step" if seconds >= 1e-3 else f"{seconds * 1e6:.0f}us/step"


def metrics_text(row):
    parts = []
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        value = row.get(name, math.nan)
        if not math.isnan(value):
            parts.append(f"{name}: {value:.4f}")
    if "lr" in row:
        parts.append(f"lr: {row['lr']:.4g}")
    return " - ".join(parts)


class Progress:
    def __init__(self, verbose, total_epochs, stream=None):
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.total_epochs = total_epochs
        self._epoch_start = None
        self._last_draw = 0.0
        self._drawn = False
        self._steps = None

    def batch(self, info):
        now = time.monotonic()
        if self._epoch_start is None:
            self._epoch_start = now
            if self.verbose == 1:
                self.stream.write(f"Epoch {info['epoch'] + 1}/{self.total_epochs}\n")
        self._steps = info["batches_per_epoch"]
        if self.verbose != 1:
            return
        done, total = info["batch"], info["batches_per_epoch"]
        if done < total and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
        bar = "=" * filled + (">" if filled < BAR_WIDTH else "") + "." * (BAR_WIDTH - filled - 1)
        elapsed = now - self._epoch_start
        eta = elapsed / done * (total - done) if done else 0.0
        width = len(str(total))
        self.stream.write(f"\r{done:>{width}}/{total} [{bar[:BAR_WIDTH]}] - ETA: "
                          f"{_duration(eta)} - loss: {info['loss']:.4f}\033[K")
        self.stream.flush()
        self._drawn = True

    def epoch(self, row):
        seconds = time.monotonic() - self._epoch_start if self._epoch_start else 0.0
        steps = self._steps or 0
        per_step = f" {_per_step(seconds / steps)}" if steps else ""
        if self.verbose == 1:
            bar = "=" * BAR_WIDTH
            self.stream.write(f"\r{steps}/{steps} [{bar}] - {_duration(seconds)}{per_step} - "
                              f"{metrics_text(row)}\033[K\n")
        elif self.verbose == 2:
            self.stream.write(f"Epoch {row['epoch'] + 1}/{self.total_epochs} - "
                              f"{_duration(seconds)}{per_step} - {metrics_text(row)}\n")
        self.stream.flush()
        self._epoch_start = None
        self._drawn = False

    def interrupted(self):
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
