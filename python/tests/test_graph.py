"""Graph networks through the binding, in the style of Keras' functional API: net.add returns
a node that later nodes take as input; names are PyTorch's state_dict keys; to_json/from_json
and Checkpoint.network_json give and take the same document; refusals name the node and the
field; and (when torch is installed) a residual block matches PyTorch."""
import json
import os
import tempfile
import unittest

import nnstate
from test_binding import flat
from test_layers import images

try:
    import numpy
    import torch
except ImportError:  # the machine's python3 has neither; Debian's /usr/bin/python3 has both
    torch = None


def residual(seed=3):
    """conv1 -> bn1 -> relu, plus a 1x1 shortcut from the input, added, pooled, then fc."""
    net = nnstate.Network(seed=seed).set_input_shape((1, 8, 8))
    x = net.add("Conv2d", in_channels=1, out_channels=4, kernel_size=3, padding=1, bias=False,
                name="conv1")
    x = net.add("BatchNorm2d", num_features=4, name="bn1")
    x = net.add("ReLU", name="relu")
    shortcut = net.add("Conv2d", inputs=net.input, in_channels=1, out_channels=4,
                       kernel_size=1, name="shortcut")
    merged = net.add("Add", inputs=[x, shortcut])
    net.add("AvgPool2d", kernel_size=2, name="pool")
    net.add("Flatten")
    net.add({"kind": "Linear", "in_features": 64, "out_features": 3}, name="fc")
    return net, merged


class FunctionalTest(unittest.TestCase):
    def test_nodes_names_shapes_and_training(self):
        net, merged = residual()
        with net:
            self.assertEqual(merged.index, 4)
            self.assertIsNone(merged.name)
            self.assertEqual(merged.key, "4")
            self.assertEqual(merged.output_shape, (4, 8, 8))
            self.assertEqual(merged.config, {"kind": "Add", "inputs": ["relu", "shortcut"]})
            self.assertEqual(repr(merged), "<nnstate.Node 4 (Add)>")
            nodes = net.nodes
            self.assertEqual([n.key for n in nodes],
                             ["conv1", "bn1", "relu", "shortcut", "4", "pool", "6", "fc"])
            self.assertEqual([n.parameter_count for n in nodes], [36, 8, 0, 8, 0, 0, 0, 195])
            self.assertEqual(nodes[7].output_shape, (3,))
            self.assertEqual(list(net.tensors()),
                             ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                              "bn1.running_var", "bn1.num_batches_tracked", "shortcut.weight",
                              "shortcut.bias", "fc.weight", "fc.bias"])
            text = net.summary(print_fn=None).splitlines()
            self.assertRegex(text[2], r"^Layer \(type\) +Output shape +Param # +Connected to$")
            self.assertRegex(text[4], r"^conv1 \(Conv2d\) +\(4, 8, 8\) +36 +input$")
            self.assertRegex(text[8], r"^4 \(Add\) +\(4, 8, 8\) +0 +relu, shortcut$")
            xs, ys = images(60)
            net.set_loss("cross_entropy").set_optimizer("adam", lr=0.01)
            history = nnstate.Trainer(net, epochs=6, batch_size=10).fit((xs, ys), verbose=0)
            losses = history.history["loss"]
            self.assertLess(losses[-1], losses[0] * 0.5)

    def test_document_round_trip_and_checkpoint(self):
        net, _ = residual(seed=8)
        with net:
            document = net.to_json()
            parsed = json.loads(document)
            self.assertEqual(parsed["input_shape"], [1, 8, 8])
            self.assertEqual(parsed["nodes"][3]["inputs"], [-1])
            # Same seed: the same weights; from a dict or a str alike.
            for source in (document, parsed):
                with nnstate.Network.from_json(source, seed=8) as copy:
                    self.assertEqual(copy.to_json(), document)
                    for name in net.tensors():
                        self.assertEqual(flat(copy.get_tensor(name)), flat(net.get_tensor(name)))
            with tempfile.TemporaryDirectory() as directory:
                path = os.path.join(directory, "graph.nnst")
                nnstate.save(net, path)
                with nnstate.Checkpoint(path) as stored:
                    self.assertEqual(stored.network_json(), document)
                with nnstate.load(path) as loaded:
                    self.assertEqual(loaded.to_json(), document)
                    self.assertEqual(loaded.nodes[4].output_shape, (4, 8, 8))

    def test_refusals(self):
        with nnstate.Network().set_input_shape((1, 4, 4)) as net:
            conv = net.add("Conv2d", in_channels=1, out_channels=2, kernel_size=3, name="c")
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.add("Conv2d", in_channels=2, out_channels=2, kernel_size="x", name="c2")
            self.assertEqual(caught.exception.status_name, "INVALID_ARGUMENT")
            self.assertIn('node "c2" (Conv2d): field "kernel_size": expected an integer or '
                          '[h, w], got "x"', str(caught.exception))
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.add("Add", inputs=[conv, "nope"])
            self.assertIn('no earlier node is named "nope"', str(caught.exception))
            with nnstate.Network() as other:
                with self.assertRaisesRegex(nnstate.NnstateError, "a node of another network"):
                    other.add("ReLU", inputs=conv)
            with self.assertRaisesRegex(nnstate.NnstateError, "'name' is given twice"):
                net.add({"kind": "ReLU", "name": "a"}, name="b")
            with self.assertRaisesRegex(nnstate.NnstateError, "cannot be written as JSON"):
                net.add("Dropout", p=float("nan"))
            with self.assertRaisesRegex(nnstate.NnstateError, "kind must be a layer class name"):
                net.add(7)
            with self.assertRaisesRegex(nnstate.NnstateError, "inputs must be nodes"):
                net.add("ReLU", inputs=[1.5])
            self.assertEqual(net.layer_count, 1)  # nothing refused was added
        with self.assertRaises(nnstate.NnstateError) as caught:
            nnstate.Network.from_json('{"nodes": [{"kind": "ReLU", "kind": "Tanh"}]}')
        self.assertIn('node 0: duplicate field "kind"', str(caught.exception))


@unittest.skipIf(torch is None, "needs numpy and torch (Debian's /usr/bin/python3)")
class TorchParityTest(unittest.TestCase):
    def test_residual_block_matches_torch(self):
        torch.set_num_threads(1)

        class Block(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = torch.nn.Conv2d(1, 4, 3, padding=1, bias=False)
                self.bn1 = torch.nn.BatchNorm2d(4)
                self.relu = torch.nn.ReLU()
                self.shortcut = torch.nn.Conv2d(1, 4, 1)
                self.pool = torch.nn.AvgPool2d(2)
                self.fc = torch.nn.Linear(64, 3)

            def forward(self, x):
                y = self.relu(self.bn1(self.conv1(x))) + self.shortcut(x)
                return self.fc(torch.flatten(self.pool(y), 1))

        net, _ = residual(seed=11)
        with net:
            model = Block()
            # The state_dict keys are the network's tensor names.
            self.assertEqual(list(model.state_dict()), list(net.tensors()))
            model.load_state_dict({name: torch.from_numpy(numpy.array(net.get_tensor(name)))
                                   for name in net.tensors()})
            model.eval()
            xs, _ = images(12)
            with torch.no_grad():
                expected = model(torch.tensor(xs, dtype=torch.float32).reshape(12, 1, 8, 8))
            got = numpy.array(net.predict(xs)).reshape(12, 3)
            numpy.testing.assert_allclose(got, expected.numpy(), rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
    unittest.main()
