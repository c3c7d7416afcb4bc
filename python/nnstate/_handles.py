"""Ownership of native handles, so that no call can reach freed or busy C memory.

A NativeHandle owns one C pointer and the function that frees it. A handle that depends on
another (a trainer on its network) is registered as its child: closing the parent closes the
children first, in the order the C API needs, and a closed handle refuses every use with
NnstateError(STATE) instead of passing a dangling pointer to C. While nnstate_trainer_fit runs,
the trainer leases its network and datasets: they may not be closed or used elsewhere (the C
API forbids it), for example from a training callback.
"""
import contextlib
import weakref

from .errors import NnstateError

STATE = -8


class NativeHandle:
    def __init__(self, pointer, free, what, parent=None):
        self._pointer = pointer
        self._free = free
        self.what = what
        self._children = weakref.WeakSet()
        self._parent = parent  # a strong reference: the parent outlives its children
        self._closed_reason = None
        self._lease = None
        if parent is not None:
            parent._children.add(self)

    @property
    def alive(self):
        return self._pointer is not None

    def get(self):
        """The C pointer for a call; raises NnstateError(STATE) when closed or leased."""
        if self._pointer is None:
            raise NnstateError(STATE, self._closed_reason or f"the {self.what} is closed")
        if self._lease is not None:
            raise NnstateError(STATE, f"the {self.what} is in use by {self._lease}; "
                                      "call it after fit returns")
        return self._pointer

    def pointer_for_lessee(self):
        """The pointer for the code holding the lease (fit itself)."""
        if self._pointer is None:
            raise NnstateError(STATE, self._closed_reason or f"the {self.what} is closed")
        return self._pointer

    @contextlib.contextmanager
    def leased(self, by):
        """Marks the handle busy for the duration of a C call that borrows it."""
        self.get()
        self._lease = by
        try:
            yield self._pointer
        finally:
            self._lease = None

    def close(self, reason=None):
        """Frees the children, then this handle; idempotent. Refused while leased."""
        if self._lease is not None:
            raise NnstateError(STATE, f"cannot close the {self.what} while {self._lease} runs")
        for child in list(self._children):
            child.close(f"the {child.what}'s {self.what} was closed")
        if self._pointer is not None:
            pointer, self._pointer = self._pointer, None
            self._closed_reason = reason
            self._free(pointer)


class Owned:
    """close() and the context-manager protocol of an object whose native handle is
    self._native (a NativeHandle)."""

    def close(self):
        self._native.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def own(owner, pointer, free, what, parent=None):
    """Attaches a NativeHandle to `owner`, freed by close() or when `owner` is collected."""
    handle = NativeHandle(pointer, free, what, parent)
    owner._native = handle
    owner._finalizer = weakref.finalize(owner, _close_quietly, handle)
    return handle


def _close_quietly(handle):
    # Garbage collection cannot fail: a leased handle is never collected (fit holds it).
    handle._lease = None
    handle.close()
