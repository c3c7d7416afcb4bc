"""Turning numpy arrays, buffers and plain sequences into float32 memory for the C API, and
counting their samples the way Keras does (the first dimension is the sample axis)."""
import array
import ctypes

from .errors import NnstateError

try:
    import numpy
except ImportError:  # numpy is optional
    numpy = None

SHAPE_MISMATCH = -2


def _flatten(values, out):
    for value in values:
        if isinstance(value, (list, tuple)):
            _flatten(value, out)
        else:
            out.append(float(value))


class FloatBuffer:
    """Contiguous float32 data with a C pointer. Holds a reference to its storage, so the
    pointer stays valid as long as this object lives. `rows` is the leading dimension when
    the input has two or more dimensions (numpy arrays, multi-dimensional memoryviews, nested
    sequences), else None (flat data)."""

    def __init__(self, data):
        self.rows = None
        if numpy is not None and isinstance(data, numpy.ndarray):
            self._storage = numpy.ascontiguousarray(data, dtype=numpy.float32)
            self.rows = self._storage.shape[0] if self._storage.ndim > 1 else None
            self.count = int(self._storage.size)
            self.pointer = ctypes.c_void_p(self._storage.ctypes.data)
            return
        try:
            view = memoryview(data)
        except TypeError:
            view = None
        if view is not None and view.format == "f" and view.c_contiguous and not view.readonly:
            # Zero copy: a writable float32 buffer (array('f'), a ctypes array, a memoryview
            # cast to a shape such as memoryview(a).cast("B").cast("f", (n, 4)), ...).
            self._storage = view
            self.rows = view.shape[0] if view.ndim > 1 else None
            self.count = view.nbytes // 4
            self.pointer = ctypes.c_void_p(
                ctypes.addressof(ctypes.c_char.from_buffer(view)) if self.count else None)
            return
        if view is not None and view.c_contiguous and len(view.format) == 1 and view.nbytes:
            # Other formats (e.g. the uint8 images of nnstate.datasets without numpy) are
            # converted value by value, without an intermediate list of lists.
            self.rows = view.shape[0] if view.ndim > 1 else None
            self._storage = array.array("f", view.cast("B").cast(view.format))
            self.count = len(self._storage)
            self.pointer = ctypes.c_void_p(self._storage.buffer_info()[0])
            return
        if view is not None:
            self.rows = view.shape[0] if view.ndim > 1 else None
            data = view.tolist()
        values = list(data)
        if values and isinstance(values[0], (list, tuple)):
            self.rows = len(values)
        flat = []
        _flatten(values, flat)
        self._storage = array.array("f", flat)
        self.count = len(self._storage)
        address, _ = self._storage.buffer_info()
        self.pointer = ctypes.c_void_p(address)


def sample_rows(x, sample_size):
    """The number of samples in x (a FloatBuffer) for a network taking `sample_size` floats per
    sample. Flat x is one sample when it holds exactly one; a flat x of any other length is
    refused (never silently reshaped), except for networks with one input value per sample."""
    if x.rows is not None:
        return x.rows
    if sample_size and x.count == sample_size:
        return 1
    if sample_size == 1:
        return x.count
    raise NnstateError(SHAPE_MISMATCH,
                       f"x is flat with {x.count} values but one sample has {sample_size}: give "
                       f"one row per sample (a list of rows, a 2-D array or memoryview)")


def target_rows(y, x_rows, x_is_one_flat_sample):
    """The number of samples in the targets y: its first dimension; a flat y holds one value
    per sample, or is the one target of a single flat x."""
    if y.rows is not None:
        return y.rows
    if x_is_one_flat_sample:
        return 1
    return y.count


def check_rows(x_rows, y_rows):
    if x_rows != y_rows:
        raise NnstateError(SHAPE_MISMATCH, f"x has {x_rows} rows, y has {y_rows}: every sample "
                                           "needs one target row")


def output_array(count):
    """A writable float32 buffer of `count` values: numpy when available, else array('f')."""
    if numpy is not None:
        out = numpy.empty(count, dtype=numpy.float32)
        return out, ctypes.c_void_p(out.ctypes.data)
    out = array.array("f", bytes(4 * count))
    return out, ctypes.c_void_p(out.buffer_info()[0])
