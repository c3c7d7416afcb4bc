"""Data sets as keras.datasets gives them, read with the standard library (gzip, struct).

    (x_train, y_train), (x_test, y_test) = nnstate.datasets.fashion_mnist()

With numpy the arrays are numpy arrays (uint8, x of shape (60000, 28, 28)); without it they
are memoryviews of the same shape and format, which fit, evaluate and predict accept too.
read_idx() reads any IDX file (gzip-compressed or not) and checks its header against the file:
the data it announces must be exactly what the file holds.
"""
import array
import gzip
import os
import struct
import sys

from ._buffers import numpy
from .errors import NnstateError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
CORRUPT, NOT_FOUND = -5, -7
# IDX type code -> (struct/array format, size, numpy big-endian dtype)
IDX_TYPES = {0x08: ("B", 1, ">u1"), 0x09: ("b", 1, ">i1"), 0x0B: ("h", 2, ">i2"),
             0x0C: ("i", 4, ">i4"), 0x0D: ("f", 4, ">f4"), 0x0E: ("d", 8, ">f8")}
CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 1 << 31


def _corrupt(path, what):
    return NnstateError(CORRUPT, f"{path}: {what}")


def _read_exactly(stream, count, path, what):
    """Reads `count` bytes in bounded chunks: memory grows with the data actually present,
    never with a number taken from the file."""
    data = bytearray()
    while len(data) < count:
        chunk = stream.read(min(CHUNK, count - len(data)))
        if not chunk:
            raise _corrupt(path, f"{what}: the file ends after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def _gzip_size(path):
    """The uncompressed size modulo 2**32 from the gzip trailer (ISIZE)."""
    with open(path, "rb") as raw:
        raw.seek(0, os.SEEK_END)
        if raw.tell() < 18:
            raise _corrupt(path, "too short for a gzip file")
        raw.seek(-4, os.SEEK_END)
        return struct.unpack("<I", raw.read(4))[0]


def read_idx(path, max_bytes=DEFAULT_MAX_BYTES):
    """Reads an IDX file (http://yann.lecun.com/exdb/mnist/ format; gzip is decompressed).
    Returns a numpy array of the file's shape and type, or without numpy a memoryview of that
    shape. Raises FileNotFoundError, or NnstateError (CORRUPT) naming the field and numbers
    when the header does not match the file or the data would exceed max_bytes."""
    path = os.fspath(path)
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"  # gzip's magic, whatever the file's name
    with (gzip.open(path, "rb") if compressed else open(path, "rb")) as stream:
        try:
            header = _read_exactly(stream, 4, path, "magic")
            zero, code, rank = struct.unpack(">HBB", header)
            if zero != 0 or code not in IDX_TYPES:
                raise _corrupt(path, f"not an IDX file (magic {header.hex()}; expected 0000 "
                                     f"then a type code in {sorted(IDX_TYPES)} and a rank)")
            if not 1 <= rank <= 8:
                raise _corrupt(path, f"rank {rank} is not in 1..8")
            dims = struct.unpack(f">{rank}I", _read_exactly(stream, 4 * rank, path, "dims"))
            fmt, size, dtype = IDX_TYPES[code]
            count = 1
            for d in dims:
                count *= d  # Python ints do not overflow; compared with the limit below
            length = count * size
            if length > max_bytes:
                raise _corrupt(path, f"dims {list(dims)} of {size}-byte values make {length} "
                                     f"bytes, more than max_bytes={max_bytes}")
            if compressed and (4 + 4 * rank + length) % (1 << 32) != _gzip_size(path):
                raise _corrupt(path, f"dims {list(dims)} announce {4 + 4 * rank + length} bytes "
                                     f"but the gzip trailer says {_gzip_size(path)}")
            if not compressed and 4 + 4 * rank + length != os.fstat(stream.fileno()).st_size:
                raise _corrupt(path, f"dims {list(dims)} announce {4 + 4 * rank + length} "
                                     f"bytes but the file has {os.fstat(stream.fileno()).st_size}")
            data = _read_exactly(stream, length, path, f"data of dims {list(dims)}")
            if stream.read(1):
                raise _corrupt(path, f"data continues after the {length} bytes of dims "
                                     f"{list(dims)}")
        except (EOFError, gzip.BadGzipFile, OSError) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise _corrupt(path, f"cannot decompress: {e}") from e
    if numpy is not None:
        return numpy.frombuffer(data, dtype=dtype).astype(dtype[1:]).reshape(dims)
    values = array.array(fmt)
    values.frombytes(data)
    if size > 1 and sys.byteorder == "little":
        values.byteswap()
    return memoryview(values).cast("B").cast(fmt, dims)


def _find(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"{os.path.join(directory, name)}(.gz) not found: install Debian's dataset-fashion-mnist "
        f"(apt-get install dataset-fashion-mnist) or pass path= to the directory holding it")


def fashion_mnist(path=FASHION_MNIST_DIR):
    """Fashion-MNIST as keras.datasets.fashion_mnist.load_data() returns it:
    (x_train, y_train), (x_test, y_test) with x uint8 of shape (n, 28, 28) and y uint8 class
    indices 0..9 (60000 and 10000 samples). Reads Debian's dataset-fashion-mnist files by
    default. Scale x (e.g. x / 255) before training."""
    parts = []
    for prefix in ("train", "t10k"):
        x = read_idx(_find(path, f"{prefix}-images-idx3-ubyte"))
        y = read_idx(_find(path, f"{prefix}-labels-idx1-ubyte"))
        if len(x) != len(y):
            raise NnstateError(CORRUPT, f"{path}: {prefix} images has {len(x)} rows, labels "
                                        f"has {len(y)}")
        parts.append((x, y))
    return tuple(parts)
