"""Convolutional and stateful layers through the binding: building with PyTorch's arguments,
state_dict names, train/eval mode, checkpoints, and (when torch is installed) parity."""
import math
import os
import shutil
import tempfile
import unittest

import nnstate
from test_binding import flat

try:
    import numpy
    import torch
except ImportError:  # the machine's python3 has neither; Debian's /usr/bin/python3 has both
    torch = None


def lcg(seed):
    state = seed
    while True:
        state = (state * 1664525 + 1013904223) % 2**32
        yield (state >> 8) / 2**24 - 0.5


def images(count, seed=5):
    """8x8 one-channel images of three classes (horizontal bar, vertical bar, diagonal) plus
    noise, as rows of 64 floats, and their labels."""
    noise = lcg(seed)
    xs, ys = [], []
    for s in range(count):
        label, at = s % 3, 1 + (s // 3) % 6
        row = []
        for r in range(8):
            for c in range(8):
                on = r == at if label == 0 else c == at if label == 1 else r == c
                row.append((1.0 if on else 0.0) + 0.3 * next(noise))
        xs.append(row)
        ys.append(label)
    return xs, ys


def cnn(seed=7, dropout=0.25):
    net = nnstate.Network(seed=seed).set_input_shape((1, 8, 8))
    net.add_conv2d(1, 4, 3, padding=1).add_batch_norm2d(4).add_relu().add_max_pool2d(2)
    net.add_flatten()
    if dropout:
        net.add_dropout(dropout)
    net.add_linear(64, 3)
    return net.set_loss("cross_entropy").set_optimizer("adam", lr=0.01)


class BuildTest(unittest.TestCase):
    def test_cnn_state_dict(self):
        with cnn() as net:
            self.assertEqual(net.layer_count, 7)
            self.assertEqual((net.input_size, net.output_size), (64, 3))
            self.assertEqual(net.tensors(), {
                "0.weight": ((4, 1, 3, 3), "parameter"),
                "0.bias": ((4,), "parameter"),
                "1.weight": ((4,), "parameter"),
                "1.bias": ((4,), "parameter"),
                "1.running_mean": ((4,), "buffer"),
                "1.running_var": ((4,), "buffer"),
                "1.num_batches_tracked": ((), "buffer"),
                "6.weight": ((3, 64), "parameter"),
                "6.bias": ((3,), "parameter"),
            })
            self.assertEqual(flat(net.get_tensor("1.running_var")), [1.0] * 4)
            self.assertEqual(flat(net.get_tensor("1.num_batches_tracked")), [0.0])

    def test_pairs_and_defaults(self):
        with nnstate.Network(seed=1).set_input_shape([2, 9, 7]) as net:
            net.add_conv2d(2, 6, (3, 1), stride=(2, 1), padding=(1, 0), dilation=1, groups=2,
                           bias=False)
            self.assertEqual(net.tensors(), {"0.weight": ((6, 1, 3, 1), "parameter")})
            self.assertEqual(net.output_size, 6 * 5 * 7)
            net.add_max_pool2d((2, 3), stride=(1, 2), padding=(1, 1))  # -> 6 x 6 x 4
            self.assertEqual(net.output_size, 6 * 6 * 4)
            net.add_max_pool2d(2)  # stride None = kernel -> 6 x 3 x 2
            self.assertEqual(net.output_size, 6 * 3 * 2)
            net.add_layer_norm((3, 2), elementwise_affine=False)
            net.add_flatten().add_batch_norm1d(36, affine=False, track_running_stats=False)
            net.add_layer_norm(36, eps=1e-3)
            self.assertEqual(set(net.tensors()), {"0.weight", "6.weight", "6.bias"})
            self.assertEqual(net.tensors()["6.weight"], ((36,), "parameter"))

    def test_errors(self):
        with nnstate.Network() as net:
            with self.assertRaises(nnstate.NnstateError) as e:
                net.add_conv2d(1, 4, 3)  # no input shape
            self.assertEqual(e.exception.status_name, "STATE")
            for bad in [(), (0, 2), (1, 2, 3, 4)]:
                with self.assertRaises(nnstate.NnstateError) as e:
                    net.set_input_shape(bad)
                self.assertEqual(e.exception.status_name, "INVALID_ARGUMENT")
            net.set_input_shape((1, 8, 8))
            with self.assertRaises(nnstate.NnstateError) as e:
                net.add_conv2d(3, 4, 3)
            self.assertEqual(e.exception.status_name, "SHAPE_MISMATCH")
            self.assertIn("[1, 8, 8]", e.exception.message)
            for call in (lambda: net.add_conv2d(1, 4, (3, 3, 3)),
                         lambda: net.add_conv2d(1, 4, 3.0),
                         lambda: net.add_conv2d(1, 4, 3, groups=3),
                         lambda: net.add_max_pool2d(2, stride=0),
                         lambda: net.add_max_pool2d(2, padding=2),
                         lambda: net.add_dropout(1.0),
                         lambda: net.add_dropout(-0.5),
                         lambda: net.add_batch_norm2d(0),
                         lambda: net.add_batch_norm2d(1, eps=-1.0),
                         lambda: net.add_layer_norm((8, "8"))):
                with self.assertRaises(nnstate.NnstateError) as e:
                    call()
                self.assertEqual(e.exception.status_name, "INVALID_ARGUMENT")
            with self.assertRaises(nnstate.NnstateError) as e:
                net.add_batch_norm1d(1)  # [1, 8, 8] is not [C] or [C, L]
            self.assertEqual(e.exception.status_name, "SHAPE_MISMATCH")
            with self.assertRaises(nnstate.NnstateError) as e:
                net.add_layer_norm(7)
            self.assertEqual(e.exception.status_name, "SHAPE_MISMATCH")
            self.assertEqual(net.layer_count, 0)
            net.add_flatten()
            with self.assertRaises(nnstate.NnstateError) as e:
                net.set_input_shape((1, 8, 8))
            self.assertEqual(e.exception.status_name, "STATE")


class ModeTest(unittest.TestCase):
    def test_batch_norm_by_hand(self):
        with nnstate.Network().set_input_shape(2).add_batch_norm1d(2) as net:
            x = [[1.0, 10.0], [3.0, 30.0]]
            self.assertFalse(net.training)
            y = flat(net.predict(x))
            self.assertAlmostEqual(y[0], 1 / math.sqrt(1 + 1e-5), places=6)
            self.assertEqual(flat(net.get_tensor("0.running_mean")), [0.0, 0.0])
            self.assertIs(net.train(), net)
            self.assertTrue(net.training)
            y = flat(net.predict(x))
            self.assertAlmostEqual(y[0], -1 / math.sqrt(1 + 1e-5), places=6)
            self.assertAlmostEqual(y[3], 10 / math.sqrt(100 + 1e-5), places=6)
            mean = flat(net.get_tensor("0.running_mean"))
            var = flat(net.get_tensor("0.running_var"))
            self.assertAlmostEqual(mean[0], 0.2, places=6)
            self.assertAlmostEqual(var[1], 0.9 + 0.1 * 200, places=4)  # unbiased variance
            self.assertEqual(flat(net.get_tensor("0.num_batches_tracked")), [1.0])
            net.eval()
            self.assertFalse(net.training)
            net.train(False)
            self.assertFalse(net.training)

    def test_cnn_learns_and_modes(self):
        xs, ys = images(96)
        with cnn() as net:
            losses = []
            for _ in range(15):
                epoch = [net.train_step(xs[b:b + 24], ys[b:b + 24]) for b in range(0, 96, 24)]
                losses.append(sum(epoch) / len(epoch))
            self.assertLess(losses[-1], 0.3 * losses[0])
            self.assertFalse(net.training)  # train_step does not change the mode
            first, second = flat(net.predict(xs)), flat(net.predict(xs))
            self.assertEqual(first, second)
            correct = sum(max(range(3), key=lambda k: first[i * 3 + k]) == ys[i]
                          for i in range(96))
            self.assertGreaterEqual(correct, 86)
            mean = flat(net.get_tensor("1.running_mean"))
            self.assertLess(net.evaluate(xs, ys)[0], losses[0])
            self.assertEqual(flat(net.get_tensor("1.running_mean")), mean)
            net.train()
            a, b = flat(net.predict(xs)), flat(net.predict(xs))
            self.assertNotEqual(a, b)  # dropout draws anew
            self.assertNotEqual(flat(net.get_tensor("1.running_mean")), mean)


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_cnn_round_trip(self):
        xs, ys = images(48, seed=9)
        path = os.path.join(self.dir, "cnn.nnst")
        with cnn(seed=3) as net:
            for b in range(0, 48, 16):
                net.train_step(xs[b:b + 16], ys[b:b + 16])
            nnstate.save(net, path)
            with nnstate.load(path) as loaded:
                self.assertFalse(loaded.training)
                self.assertEqual(flat(loaded.predict(xs)), flat(net.predict(xs)))
                # Dropout stream, optimizer state and buffers continue identically.
                self.assertEqual(loaded.train_step(xs[:16], ys[:16]),
                                 net.train_step(xs[:16], ys[:16]))
                for name in net.tensors():
                    self.assertEqual(flat(loaded.get_tensor(name)), flat(net.get_tensor(name)))


@unittest.skipIf(torch is None, "needs numpy and torch (Debian's /usr/bin/python3)")
class TorchParityTest(unittest.TestCase):
    def test_cnn_matches_torch(self):
        torch.set_num_threads(1)
        xs, ys = images(30, seed=11)
        with cnn(seed=4, dropout=0) as net:
            for b in range(0, 30, 10):  # non-trivial weights and running statistics
                net.train_step(xs[b:b + 10], ys[b:b + 10])
            model = torch.nn.Sequential(
                torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 3))
            state = {name: torch.from_numpy(numpy.array(net.get_tensor(name)))
                     for name in net.tensors()}
            state["1.num_batches_tracked"] = state["1.num_batches_tracked"].long()
            model.load_state_dict(state)
            x = torch.tensor(xs, dtype=torch.float32).reshape(30, 1, 8, 8)
            y = torch.tensor(ys)
            model.eval()
            with torch.no_grad():
                numpy.testing.assert_allclose(net.predict(xs), model(x).numpy(), atol=1e-5)
                self.assertAlmostEqual(net.evaluate(xs, ys)[0],
                                       torch.nn.functional.cross_entropy(model(x), y).item(),
                                       places=5)
                model.train()
                net.train()
                numpy.testing.assert_allclose(net.predict(xs), model(x).numpy(), atol=1e-5)
            for name in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
                numpy.testing.assert_allclose(net.get_tensor(name),
                                              model.state_dict()[name].float().numpy(),
                                              rtol=1e-6, atol=1e-7)
            loss = torch.nn.functional.cross_entropy(model(x), y).item()
            self.assertAlmostEqual(net.train_step(xs, ys), loss, places=5)


if __name__ == "__main__":
    unittest.main()
