"""Turning numpy arrays, buffers and plain sequences into float32 memory for the C API."""
import array
import ctypes

try:
    import numpy
except ImportError:  # numpy is optional
    numpy = None


class FloatBuffer:
    """Contiguous float32 data with a C pointer. Holds a reference to its storage, so the
    pointer stays valid as long as this object lives. `rows` is the leading dimension when
    the input had one (numpy arrays and nested sequences), else None."""

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
            # Zero copy: a writable float32 buffer (array('f'), a ctypes array, ...).
            self._storage = view
            self.count = view.nbytes // 4
            self.pointer = ctypes.c_void_p(
                ctypes.addressof(ctypes.c_char.from_buffer(view)) if self.count else None)
            return
        if view is not None:
            data = view.tolist()
        values = list(data)
        if values and isinstance(values[0], (list, tuple)):
            self.rows = len(values)
            values = [float(v) for row in values for v in row]
        self._storage = array.array("f", values)
        self.count = len(self._storage)
        address, _ = self._storage.buffer_info()
        self.pointer = ctypes.c_void_p(address)


def output_array(count):
    """A writable float32 buffer of `count` values: numpy when available, else array('f')."""
    if numpy is not None:
        out = numpy.empty(count, dtype=numpy.float32)
        return out, ctypes.c_void_p(out.ctypes.data)
    out = array.array("f", bytes(4 * count))
    return out, ctypes.c_void_p(out.buffer_info()[0])
