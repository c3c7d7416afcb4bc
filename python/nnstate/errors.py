"""Exceptions carrying libnnstate's status code and message."""
from ._native import lib

STATUS_NAMES = {
    0: "OK",
    -1: "INVALID_ARGUMENT",
    -2: "SHAPE_MISMATCH",
    -3: "OUT_OF_MEMORY",
    -4: "IO",
    -5: "CORRUPT",
    -6: "VERSION",
    -7: "NOT_FOUND",
    -8: "STATE",
    -9: "INTERNAL",
}


class NnstateError(Exception):
    """A libnnstate call failed. `status` is the C status code, `status_name` its name
    (e.g. "SHAPE_MISMATCH"), `message` the library's explanation."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = STATUS_NAMES.get(status, str(status))
        self.message = message
        super().__init__(f"{self.status_name}: {message}")


def check(status):
    """Raises NnstateError for a failed status, with the calling thread's last error."""
    if status != 0:
        raise NnstateError(status, lib.nnstate_last_error().decode("utf-8", "replace"))
