"""ONNX export against the real other side: each network is built through the Python binding,
trained a few steps (so BatchNorm's running statistics are not the initial ones), saved,
exported by `nnstate export CHECKPOINT -o MODEL.onnx`, accepted by onnx.checker (python3-onnx) and run by OpenCV's
DNN module (python3-opencv) to nnstate_network_predict's outputs within 1e-5; kinds and options
without a faithful ONNX form are refused with a message naming the node.

Usage: onnx_export_test.py NNSTATE_PROGRAM WORK_DIR (NNSTATE_LIBRARY and PYTHONPATH as for the binding's
tests). Exit 77 (skipped) when onnx or cv2 cannot be imported."""
import json
import os
import subprocess
import sys
import unittest

try:
    import cv2
    import numpy as np
    import onnx
    import onnx.numpy_helper
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(77)

import nnstate

NNSTATE, WORK = sys.argv[1], sys.argv[2]
TOLERANCE = 1e-5


def build(document, loss="mse", targets=None, steps=5, batch=8, seed=3):
    """The network of `document`, trained `steps` Adam steps on random data."""
    net = nnstate.Network.from_json(json.dumps(document), seed=seed)
    net.set_loss(loss)
    net.set_optimizer("adam", lr=1e-2)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((batch, net.input_size), dtype=np.float32)
        y = targets(rng, batch) if targets else \
            rng.standard_normal((batch, net.output_size), dtype=np.float32)
        net.train_step(x, y)
    return net


def export(net, stem):
    """Saves and exports `net`; returns (onnx path, the command's completed process)."""
    os.makedirs(WORK, exist_ok=True)
    checkpoint, model = os.path.join(WORK, stem + ".nnst"), os.path.join(WORK, stem + ".onnx")
    if os.path.exists(model):
        os.remove(model)
    nnstate.save(net, checkpoint)
    done = subprocess.run([NNSTATE, "export", checkpoint, "-o", model], capture_output=True,
                          text=True)
    return model, done


def max_pool(x, a):
    """ONNX's MaxPool (NCHW, ceil_mode 0): padded cells never win."""
    (kh, kw), (sh, sw) = a["kernel_shape"], a.get("strides", [1, 1])
    (dh, dw), pads = a.get("dilations", [1, 1]), a.get("pads", [0, 0, 0, 0])
    padded = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                    constant_values=-np.inf)
    oh = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.full(x.shape[:2] + (oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            window = padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                            j * dw:j * dw + sw * (ow - 1) + 1:sw]
            out = np.maximum(out, window)
    return out


def evaluate_with_numpy(model, x):
    """Runs a graph of Cast (to int64), Gather, Flatten, Gemm and MaxPool with numpy; other
    operators fail the test."""
    values = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for node in model.graph.node:
        a = {attribute.name: onnx.helper.get_attribute_value(attribute)
             for attribute in node.attribute}
        args = [values[name] for name in node.input]
        if node.op_type == "Cast" and a["to"] == onnx.TensorProto.INT64:
            out = args[0].astype(np.int64)
        elif node.op_type == "Gather":
            out = np.take(args[0], args[1], axis=a.get("axis", 0))
        elif node.op_type == "Flatten":
            axis = a.get("axis", 1)
            out = args[0].reshape(int(np.prod(args[0].shape[:axis])), -1)
        elif node.op_type == "MaxPool":
            out = max_pool(args[0], a)
        elif node.op_type == "Gemm":
            b = args[1].T if a.get("transB", 0) else args[1]
            out = args[0] @ b + (args[2] if len(args) > 2 else 0)
        else:
            raise AssertionError(f"no numpy evaluation of {node.op_type}")
        values[node.output[0]] = out
    return values[model.graph.output[0].name]


class OnnxExport(unittest.TestCase):
    def check_parity(self, net, stem, input_shape, make_inputs=None):
        model, done = export(net, stem)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, f"wrote {model} (onnx)\n")
        onnx.checker.check_model(onnx.load(model), full_check=True)
        dnn = cv2.dnn.readNetFromONNX(model)
        rng = np.random.default_rng(11)
        for batch in (1, 5):  # the batch dimension is dynamic
            x = make_inputs(rng, batch) if make_inputs else \
                rng.standard_normal((batch, *input_shape), dtype=np.float32)
            expected = np.asarray(net.predict(x.reshape(batch, -1))).reshape(batch, -1)
            dnn.setInput(x)
            got = dnn.forward().reshape(batch, -1)
            self.assertEqual(got.shape, expected.shape)
            difference = float(np.max(np.abs(got - expected)))
            self.assertLessEqual(difference, TOLERANCE, f"{stem}, batch {batch}")
        return model

    def assert_trained_statistics(self, net, name):
        running_var = np.asarray(net.get_tensor(name + ".running_var"))
        self.assertFalse(np.allclose(running_var, 1.0), "BatchNorm's statistics did not move")

    def test_mlp(self):
        document = {"nodes": [
            {"kind": "Linear", "name": "fc1", "in_features": 6, "out_features": 16},
            {"kind": "BatchNorm1d", "name": "bn1", "num_features": 16},
            {"kind": "GELU"},
            {"kind": "Dropout", "p": 0.3},
            {"kind": "Linear", "name": "fc2", "in_features": 16, "out_features": 12},
            {"kind": "LayerNorm", "name": "ln", "normalized_shape": 12},
            {"kind": "GELU", "approximate": "tanh"},
            {"kind": "LeakyReLU", "negative_slope": 0.2},
            {"kind": "Linear", "name": "fc3", "in_features": 12, "out_features": 8},
            {"kind": "Tanh"},
            {"kind": "Linear", "name": "fc4", "in_features": 8, "out_features": 5, "bias": False},
            {"kind": "Sigmoid"},
            {"kind": "LogSoftmax", "dim": 1},
        ]}
        net = build(document)
        self.assert_trained_statistics(net, "bn1")
        self.check_parity(net, "mlp", (6,))

    def test_cnn(self):
        document = {"input_shape": [3, 12, 12], "nodes": [
            {"kind": "Conv2d", "name": "conv1", "in_channels": 3, "out_channels": 8,
             "kernel_size": 3, "padding": 1, "bias": False},
            {"kind": "BatchNorm2d", "name": "bn1", "num_features": 8},
            {"kind": "ReLU"},
            {"kind": "Dropout2d", "p": 0.2},
            {"kind": "MaxPool2d", "kernel_size": 2},
            {"kind": "Conv2d", "name": "conv2", "in_channels": 8, "out_channels": 8,
             "kernel_size": [3, 2], "stride": [1, 2], "padding": [1, 0], "groups": 2},
            {"kind": "AvgPool2d", "kernel_size": 3, "stride": 1, "padding": 1,
             "count_include_pad": False},
            {"kind": "AdaptiveAvgPool2d", "output_size": 1},
            {"kind": "Flatten"},
            {"kind": "Linear", "name": "fc", "in_features": 8, "out_features": 4},
            {"kind": "Softmax", "dim": -1},
        ]}
        net = build(document, loss="cross_entropy",
                    targets=lambda rng, n: rng.integers(0, 4, (n, 1)).astype(np.float32))
        self.assert_trained_statistics(net, "bn1")
        self.check_parity(net, "cnn", (3, 12, 12))

    def test_residual_add_concat(self):
        document = {"input_shape": [2, 8, 8], "nodes": [
            {"kind": "Conv2d", "name": "stem", "in_channels": 2, "out_channels": 4,
             "kernel_size": 3, "padding": "same"},
            {"kind": "BatchNorm2d", "name": "stem_bn", "num_features": 4},
            {"kind": "ReLU", "name": "stem_relu"},
            {"kind": "Conv2d", "name": "branch", "in_channels": 4, "out_channels": 4,
             "kernel_size": 2, "padding": "same", "dilation": 2},
            {"kind": "Add", "name": "residual", "inputs": ["stem_relu", "branch"]},
            {"kind": "Conv2d", "name": "side", "inputs": [-1], "in_channels": 2,
             "out_channels": 3, "kernel_size": 1},
            {"kind": "Multiply", "name": "gate", "inputs": ["side", "side", "side"]},
            {"kind": "Concat", "name": "joined", "inputs": ["residual", "gate"]},
            {"kind": "MaxPool2d", "kernel_size": 3, "stride": 2, "padding": 1},
            {"kind": "AvgPool2d", "kernel_size": 3, "stride": 1, "padding": 1},
            {"kind": "AdaptiveAvgPool2d", "output_size": 2},
            {"kind": "Identity"},
            {"kind": "Flatten"},
            {"kind": "Linear", "name": "head", "in_features": 28, "out_features": 3},
        ]}
        net = build(document)
        self.assert_trained_statistics(net, "stem_bn")
        self.check_parity(net, "residual", (2, 8, 8))

    def test_sequence_norms(self):
        """BatchNorm1d and LayerNorm on [N, C, L] inside the graph (cv2's Python binding cannot
        take a rank-3 network input: it reads such an array as a multi-channel image)."""
        document = {"input_shape": [2, 4, 4], "nodes": [
            {"kind": "Conv2d", "name": "conv", "in_channels": 2, "out_channels": 3,
             "kernel_size": 3, "padding": 1},
            {"kind": "Flatten", "start_dim": 2},
            {"kind": "BatchNorm1d", "name": "bn", "num_features": 3, "affine": False},
            {"kind": "LayerNorm", "name": "ln", "normalized_shape": 16},
            {"kind": "ReLU"},
            {"kind": "LayerNorm", "name": "ln2", "normalized_shape": [3, 16],
             "elementwise_affine": False},
            {"kind": "Flatten"},
            {"kind": "Linear", "name": "fc", "in_features": 48, "out_features": 2},
        ]}
        net = build(document)
        self.assert_trained_statistics(net, "bn")
        self.check_parity(net, "sequence", (2, 4, 4))

    def test_embedding(self):
        """OpenCV 4.6 runs Gather only with constant indices, so the exported graph (Cast,
        Gather, Flatten, Gemm) is evaluated here with numpy, operator by operator."""
        document = {"input_shape": [5], "nodes": [
            {"kind": "Embedding", "name": "emb", "num_embeddings": 10, "embedding_dim": 3},
            {"kind": "Flatten"},
            {"kind": "Linear", "name": "fc", "in_features": 15, "out_features": 2},
        ]}
        net = nnstate.Network.from_json(json.dumps(document), seed=5)
        model_path, done = export(net, "embedding")
        self.assertEqual(done.returncode, 0, done.stderr)
        model = onnx.load(model_path)
        onnx.checker.check_model(model, full_check=True)
        x = np.random.default_rng(2).integers(0, 10, (4, 5)).astype(np.float32)
        got = evaluate_with_numpy(model, x)
        expected = np.asarray(net.predict(x)).reshape(4, -1)
        self.assertLessEqual(float(np.max(np.abs(got - expected))), TOLERANCE)
        self.assertEqual([n.op_type for n in model.graph.node],
                         ["Cast", "Gather", "Flatten", "Gemm"])

    def test_dilated_max_pool(self):
        """OpenCV 4.6 ignores MaxPool's dilations, so this graph is evaluated with numpy."""
        document = {"input_shape": [2, 9, 8], "nodes": [
            {"kind": "MaxPool2d", "kernel_size": [3, 2], "stride": [2, 1], "padding": 1,
             "dilation": [2, 3]},
            {"kind": "Flatten"},
            {"kind": "Linear", "name": "fc", "in_features": 56, "out_features": 3},
        ]}
        net = nnstate.Network.from_json(json.dumps(document), seed=6)
        model_path, done = export(net, "dilated_pool")
        self.assertEqual(done.returncode, 0, done.stderr)
        model = onnx.load(model_path)
        onnx.checker.check_model(model, full_check=True)
        x = np.random.default_rng(4).standard_normal((3, 2, 9, 8)).astype(np.float32)
        got = evaluate_with_numpy(model, x)
        expected = np.asarray(net.predict(x.reshape(3, -1))).reshape(3, -1)
        self.assertLessEqual(float(np.max(np.abs(got - expected))), TOLERANCE)

    def assert_refused(self, document, stem, *fragments):
        net = nnstate.Network.from_json(json.dumps(document), seed=1)
        model, done = export(net, stem)
        self.assertEqual(done.returncode, 1, done.stderr)
        for fragment in fragments:
            self.assertIn(fragment, done.stderr)
        self.assertFalse(os.path.exists(model), "a refused export left a file")
        self.assertEqual([f for f in os.listdir(WORK) if f.startswith(stem + ".onnx")], [])

    def test_uneven_adaptive_pool_is_refused(self):
        self.assert_refused(
            {"input_shape": [1, 8, 8], "nodes": [
                {"kind": "AdaptiveAvgPool2d", "name": "pool", "output_size": 3}]},
            "uneven_pool",
            'nnstate: cannot export node 0 "pool" (AdaptiveAvgPool2d) to ONNX: output_size 3x3 does not '
            "divide the input's 8x8")

    def test_batch_norm_without_running_statistics_is_refused(self):
        self.assert_refused(
            {"nodes": [{"kind": "Linear", "in_features": 3, "out_features": 4},
                       {"kind": "BatchNorm1d", "num_features": 4, "track_running_stats": False}]},
            "batch_stats",
            "cannot export node 1 (BatchNorm1d) to ONNX: track_running_stats=false")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
