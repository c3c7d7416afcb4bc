"""nnstate.datasets: the IDX reader on hand-made and hostile files, and Fashion-MNIST from
Debian's dataset-fashion-mnist (a dependency installed by cmake/install-deps.sh)."""
import gzip
import os
import struct
import tempfile
import unittest

import nnstate
from nnstate import datasets


def as_list(values):
    return values.tolist()  # numpy arrays and memoryviews both have it


def idx(code, dims, payload):
    return struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims) + payload


class IdxTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)

    def write(self, name, data, compress=False):
        path = os.path.join(self.directory.name, name)
        with (gzip.open(path, "wb") if compress else open(path, "wb")) as f:
            f.write(data)
        return path

    def corrupt(self, path, *expected):
        with self.assertRaises(nnstate.NnstateError) as caught:
            datasets.read_idx(path)
        self.assertEqual(caught.exception.status_name, "CORRUPT")
        for text in expected:
            self.assertIn(text, str(caught.exception))

    def test_reads_types_and_shapes_plain_and_gzip(self):
        data = idx(0x08, (2, 3), bytes([0, 1, 2, 250, 251, 255]))
        for compress in (False, True):
            values = datasets.read_idx(self.write(f"u8{compress}.idx", data, compress))
            self.assertEqual(tuple(values.shape), (2, 3))
            self.assertEqual(as_list(values), [[0, 1, 2], [250, 251, 255]])
        shorts = datasets.read_idx(self.write("i2.idx", idx(0x0B, (2,),
                                                           struct.pack(">hh", -2, 300))))
        self.assertEqual(as_list(shorts), [-2, 300])
        floats = datasets.read_idx(self.write("f4.idx", idx(0x0D, (1,), struct.pack(">f", 1.5))))
        self.assertEqual(as_list(floats), [1.5])

    def test_hostile_headers_are_refused_before_allocating(self):
        self.corrupt(self.write("magic.idx", b"\x01\x02\x08\x01" + bytes(8)), "not an IDX file")
        self.corrupt(self.write("type.idx", idx(0x07, (1,), b"\0")), "not an IDX file")
        self.corrupt(self.write("rank.idx", struct.pack(">HBB", 0, 8, 0)), "rank 0")
        # 2^32-1 ^ 3 bytes announced by a 16-byte file: refused by the limit, nothing allocated
        self.corrupt(self.write("huge.idx", idx(0x08, (0xFFFFFFFF,) * 3, b"")), "max_bytes")
        self.corrupt(self.write("huge.gz", idx(0x08, (0xFFFFFFFF,) * 3, b""), True),
                     "max_bytes")
        self.corrupt(self.write("short.idx", idx(0x08, (10,), bytes(4))),
                     "announce 18 bytes but the file has 12")
        self.corrupt(self.write("long.idx", idx(0x08, (2,), bytes(5))),
                     "announce 10 bytes but the file has 13")
        self.corrupt(self.write("short.gz", idx(0x08, (10,), bytes(4)), True),
                     "gzip trailer says 12")
        self.corrupt(self.write("dims.idx", b"\0\0\x08\x03\0\0"), "the file ends after 2 of 12")
        whole = gzip.compress(idx(0x08, (4,), bytes(4)))
        self.corrupt(self.write("cut.gz", whole[:-9]), "dims [4]")
        with self.assertRaises(FileNotFoundError):
            datasets.read_idx(os.path.join(self.directory.name, "missing.idx"))

    def test_fashion_mnist_missing_directory_says_what_to_install(self):
        with self.assertRaises(FileNotFoundError) as caught:
            datasets.fashion_mnist(path=self.directory.name)
        self.assertIn("dataset-fashion-mnist", str(caught.exception))


class FashionMnistTest(unittest.TestCase):
    def test_keras_shapes_and_known_labels(self):
        (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist()
        self.assertEqual((tuple(x_train.shape), tuple(y_train.shape)), ((60000, 28, 28), (60000,)))
        self.assertEqual((tuple(x_test.shape), tuple(y_test.shape)), ((10000, 28, 28), (10000,)))
        self.assertEqual(as_list(y_train[:10]), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        self.assertEqual(sorted(set(as_list(y_test))), list(range(10)))
        with nnstate.Network(seed=1) as net:  # uint8 rows go straight into predict
            net.set_input_shape((28, 28)).add_flatten().add_linear(784, 10)
            outputs = net.predict(x_test[:5])
            values = outputs.ravel().tolist() if hasattr(outputs, "ravel") else list(outputs)
            self.assertEqual(len(values), 50)

if __name__ == "__main__":
    unittest.main()
