"""PyTorch-style weights through the Python binding: safetensors files (read back here by a
plain reader of the format), state_dict() / load_state_dict() and partial loads."""
import json
import os
import shutil
import struct
import tempfile
import unittest

import nnstate
from nnstate import state_dict as sd
from nnstate._buffers import numpy
from test_binding import blobs, classifier, flat


def read_safetensors_header(path):
    """The header of a .safetensors file, by the format alone (8-byte length, JSON)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return length, json.loads(f.read(length))


def bn_network(seed=5):
    net = nnstate.Network(seed=seed).add_linear(3, 4).add_batch_norm1d(4).add_relu()
    return net.add_linear(4, 2).set_loss("cross_entropy").set_optimizer("adam", lr=0.02)


class SafetensorsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "net.safetensors")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_round_trip_and_file_layout(self):
        xs, ys = blobs(32)
        with bn_network() as net, bn_network(seed=9) as other:
            for _ in range(3):
                net.train_step(xs, ys)
            net.save_safetensors(self.path, metadata={"note": "x"})
            result = other.load_safetensors(self.path)
            self.assertEqual(result, ([], []))
            self.assertEqual(result.missing_keys, [])
            net.eval()
            other.eval()
            self.assertEqual(flat(other.predict(xs)), flat(net.predict(xs)))
            length, header = read_safetensors_header(self.path)
            self.assertEqual(length % 8, 0)
            self.assertEqual(header["0.weight"]["shape"], [4, 3])
            self.assertEqual(header["0.weight"]["dtype"], "F32")
            self.assertEqual(header["1.num_batches_tracked"], {
                "dtype": "I64", "shape": [], "data_offsets": header["1.num_batches_tracked"]
                ["data_offsets"]})
            meta = header["__metadata__"]
            self.assertEqual(meta["format"], "pt")
            self.assertEqual(meta["note"], "x")
            self.assertEqual(meta["nnstate.version"], nnstate.__version__)
            self.assertEqual(nnstate.safetensors_metadata(self.path, "nnstate.architecture"),
                             net.to_json())
            # The architecture in the file rebuilds the network.
            rebuilt = nnstate.Network.from_json(meta["nnstate.architecture"])
            rebuilt.load_safetensors(self.path)
            rebuilt.eval()
            self.assertEqual(flat(rebuilt.predict(xs)), flat(net.predict(xs)))
            rebuilt.close()

    def test_strict_and_not(self):
        with bn_network() as net, classifier() as small:
            net.save_safetensors(self.path)
            with self.assertRaises(nnstate.NnstateError) as raised:
                small.load_safetensors(self.path)
            self.assertEqual(raised.exception.status_name, "SHAPE_MISMATCH")
            self.assertIn('"0.weight": file [4, 3], network [8, 3]', raised.exception.message)
            self.assertIn('not in the network: "1.running_mean" [4]', raised.exception.message)
            # Non-strict: a shape mismatch is still an error, as in torch.
            with self.assertRaises(nnstate.NnstateError) as raised:
                small.load_safetensors(self.path, strict=False)
            self.assertIn("0.weight", raised.exception.message)
        with classifier() as a, nnstate.Network(seed=1).add_linear(3, 8) as b:
            a.save_safetensors(self.path)
            result = b.load_safetensors(self.path, strict=False)
            self.assertEqual(result.missing_keys, [])
            self.assertEqual(result.unexpected_keys, ["2.weight", "2.bias"])
            self.assertEqual(flat(b.get_tensor("0.weight")), flat(a.get_tensor("0.weight")))

    def test_partial_load_of_a_checkpoint_with_renames(self):
        ckpt = os.path.join(self.dir, "net.nnst")
        with classifier() as a:
            nnstate.save(a, ckpt)
            with nnstate.Network(seed=2) as b:
                b.add("Linear", name="features", in_features=3, out_features=8)
                b.add("ReLU")
                b.add("Linear", name="head", in_features=8, out_features=5)
                head = flat(b.get_tensor("head.weight"))
                r = b.load_partial(ckpt, rename={"0.": "features."}, skip=["2.*"])
                self.assertEqual(r.loaded, ["features.weight", "features.bias"])
                self.assertEqual(r.skipped, ["2.weight", "2.bias"])
                self.assertEqual(r.missing_keys, ["head.weight", "head.bias"])
                self.assertEqual(r.unexpected_keys, [])
                self.assertEqual(r.mismatched_keys, [])
                self.assertEqual(flat(b.get_tensor("features.weight")),
                                 flat(a.get_tensor("0.weight")))
                self.assertEqual(flat(b.get_tensor("head.weight")), head)
                with self.assertRaises(nnstate.NnstateError) as raised:
                    b.load_partial(ckpt, rename=[("0.", "features.")], strict=True)
                self.assertEqual(raised.exception.status_name, "NOT_FOUND")
                self.assertIn('not in the network: "2.weight" [2, 8]', raised.exception.message)
                self.assertIn('missing from the file: "head.bias" [5]', raised.exception.message)

    def test_hostile_file_is_refused_with_its_reason(self):
        with open(self.path, "wb") as f:
            header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}'
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 4)
        with classifier() as net:
            with self.assertRaises(nnstate.NnstateError) as raised:
                net.load_safetensors(self.path)
        self.assertEqual(raised.exception.status_name, "CORRUPT")
        self.assertIn('tensor "w": shape [2] of F32 is 8 bytes, data_offsets [0,4] hold 4',
                      raised.exception.message)


@unittest.skipIf(numpy is None, "state_dict() needs numpy")
class StateDictTest(unittest.TestCase):
    def test_state_dict_names_layouts_and_round_trip(self):
        xs, ys = blobs(32)
        with bn_network() as net, bn_network(seed=9) as other:
            net.train_step(xs, ys)
            state = net.state_dict()
            self.assertEqual(list(state), list(net.tensors()))
            self.assertEqual(state["0.weight"].shape, (4, 3))
            self.assertEqual(state["0.weight"].dtype, numpy.float32)
            self.assertEqual(state["1.num_batches_tracked"].shape, ())
            self.assertEqual(float(state["1.num_batches_tracked"]), 1.0)
            self.assertEqual(other.load_state_dict(state), ([], []))
            # torch's num_batches_tracked is a 0-d int64 tensor: converted, still 0-d.
            state["1.num_batches_tracked"] = numpy.array(4, dtype=numpy.int64)
            other.load_state_dict(state)
            self.assertEqual(float(other.get_tensor("1.num_batches_tracked")), 4.0)
            net.eval()
            other.eval()
            self.assertEqual(flat(other.predict(xs)), flat(net.predict(xs)))

    def test_missing_unexpected_and_mismatched_keys_as_torch(self):
        with classifier() as net:
            state = net.state_dict()
            before = flat(net.get_tensor("0.bias"))
            del state["2.bias"]
            state["extra"] = numpy.zeros(3, dtype=numpy.float32)
            state["0.bias"] = state["0.bias"] + 1
            with self.assertRaises(nnstate.NnstateError) as raised:
                net.load_state_dict(state)
            self.assertEqual(raised.exception.message,
                             "Error(s) in loading state_dict for Network:\n"
                             '\tMissing key(s) in state_dict: "2.bias"\n'
                             '\tUnexpected key(s) in state_dict: "extra"')
            self.assertEqual(flat(net.get_tensor("0.bias")), before)  # nothing changed
            result = net.load_state_dict(state, strict=False)
            self.assertEqual(result.missing_keys, ["2.bias"])
            self.assertEqual(result.unexpected_keys, ["extra"])
            self.assertEqual(flat(net.get_tensor("0.bias")), flat(state["0.bias"]))
            state["0.weight"] = numpy.zeros((3, 8), dtype=numpy.float32)
            with self.assertRaises(nnstate.NnstateError) as raised:
                net.load_state_dict(state, strict=False)
            self.assertIn("size mismatch for 0.weight: copying a param with shape [3, 8] from "
                          "checkpoint, the shape in current model is [8, 3].",
                          raised.exception.message)

    def test_any_array_like_and_no_copy_of_float32(self):
        weight = numpy.arange(24, dtype=numpy.float32).reshape(8, 3)
        self.assertIs(sd._as_float32("w", weight), weight)  # read in place
        strided = numpy.arange(48, dtype=numpy.float64).reshape(8, 6)[:, ::2]
        converted = sd._as_float32("w", strided)
        self.assertTrue(converted.flags["C_CONTIGUOUS"])
        self.assertEqual(converted.dtype, numpy.float32)

        class ArrayLike:  # what torch tensors offer
            def __init__(self, a):
                self.a = a

            def __array__(self, dtype=None):
                return self.a if dtype is None else self.a.astype(dtype)

        with classifier() as net:
            state = {k: ArrayLike(v.astype(numpy.float64)) for k, v in net.state_dict().items()}
            state["0.weight"] = ArrayLike(strided)
            net.load_state_dict(state)
            self.assertEqual(flat(net.get_tensor("0.weight")), flat(strided))
            with self.assertRaises(nnstate.NnstateError) as raised:
                net.load_state_dict({**state, "0.bias": "text"})
            self.assertIn("'0.bias'", raised.exception.message)


if __name__ == "__main__":
    unittest.main()
