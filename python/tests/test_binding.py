"""Tests of the ctypes binding against the built library (NNSTATE_LIBRARY)."""
import array
import gc
import math
import threading
import unittest

import nnstate

try:
    import numpy
except ImportError:
    numpy = None


def flat(values):
    """Values as a flat list of floats, from a numpy array or a flat array('f')."""
    return [float(v) for v in (values.ravel() if hasattr(values, "ravel") else values)]


def xor_network(seed=1):
    net = nnstate.Network(seed=seed).add_linear(2, 8).add_tanh().add_linear(8, 1)
    return net.set_loss("bce_with_logits").set_optimizer("adam", lr=0.05)


XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [0, 1, 1, 0]


def blobs(n, seed=3):
    """Two separable classes in 3-D as nested lists (no numpy needed)."""
    state = seed
    xs, ys = [], []
    for i in range(n):
        row = []
        for f in range(3):
            state = (state * 1103515245 + 12345) % 2**31
            row.append(state / 2**31 - 0.5 + (1.0 if f == 0 and i % 2 else 0.0))
        xs.append(row)
        ys.append(i % 2)
    return xs, ys


def classifier(seed=5):
    net = nnstate.Network(seed=seed).add_linear(3, 8).add_relu().add_linear(8, 2)
    return net.set_loss("cross_entropy").set_optimizer("adam", lr=0.02)


class VersionTest(unittest.TestCase):
    def test_version(self):
        self.assertRegex(nnstate.__version__, r"^\d+\.\d+\.\d+$")
        self.assertEqual(nnstate.abi_version, 1)


class NetworkTest(unittest.TestCase):
    def test_xor_is_learned_from_plain_lists(self):
        with xor_network() as net:
            for _ in range(300):
                loss = net.train_step(XOR_X, XOR_Y)
            self.assertLess(loss, 0.05)
            for logit, target in zip(flat(net.predict(XOR_X)), XOR_Y):
                self.assertEqual(logit > 0, target == 1)

    def test_state_dict_names_shapes_and_counts(self):
        with xor_network() as net:
            self.assertEqual(net.tensors(), {
                "0.weight": ((8, 2), "parameter"), "0.bias": ((8,), "parameter"),
                "2.weight": ((1, 8), "parameter"), "2.bias": ((1,), "parameter")})
            self.assertEqual(net.parameter_count, 8 * 2 + 8 + 8 + 1)
            self.assertEqual((net.input_size, net.output_size, net.layer_count), (2, 1, 3))

    def test_set_and_get_tensor_round_trip(self):
        with xor_network() as net:
            values = array.array("f", [0.25 * i for i in range(8)])
            net.set_tensor("0.bias", values)
            self.assertEqual(flat(net.get_tensor("0.bias")), list(values))
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.get_tensor("9.weight")
            self.assertEqual(caught.exception.status_name, "NOT_FOUND")

    def test_errors_carry_status_and_message(self):
        with xor_network() as net:
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.train_step([[1, 2], [3, 4]], [1, 0, 1])
            self.assertEqual(caught.exception.status, -2)
            self.assertIn("x has 2 rows, y has 3", caught.exception.message)
            with self.assertRaises(nnstate.NnstateError):
                net.set_optimizer("adam", lr=-1.0)
            with self.assertRaises(nnstate.NnstateError):
                net.set_loss("hinge")

    def test_lr_property(self):
        with xor_network() as net:
            self.assertEqual(net.lr, 0.05)
            net.lr = 0.5
            self.assertEqual(net.lr, 0.5)

    def test_closed_network_refuses_calls(self):
        net = xor_network()
        net.close()
        net.close()  # idempotent
        with self.assertRaises(nnstate.NnstateError):
            net.parameter_count

    def test_finalizer_frees_without_close(self):
        net = xor_network()
        finalizer = net._finalizer
        del net
        gc.collect()
        self.assertFalse(finalizer.alive)

    @unittest.skipIf(numpy is None, "numpy is not installed for this interpreter")
    def test_numpy_arrays_are_accepted_and_returned(self):
        with xor_network() as net:
            x = numpy.array(XOR_X, dtype=numpy.float64)  # converted to float32
            y = numpy.array(XOR_Y, dtype=numpy.float32)
            for _ in range(300):
                net.train_step(x, y)
            out = net.predict(x)
            self.assertEqual(out.shape, (4, 1))
            self.assertTrue(((out[:, 0] > 0) == (y > 0.5)).all())
            self.assertEqual(net.get_tensor("0.weight").shape, (8, 2))


class TrainerTest(unittest.TestCase):
    def test_fit_history_and_callbacks(self):
        xs, ys = blobs(120)
        vx, vy = blobs(40, seed=9)
        epochs_seen, batches = [], []
        with classifier() as net:
            trainer = nnstate.Trainer(
                net, epochs=6, batch_size=16,
                scheduler=nnstate.Scheduler("step", step_size=2, gamma=0.5),
                on_epoch=lambda row: epochs_seen.append(row["epoch"]),
                on_batch=lambda info: batches.append(info["global_step"]))
            self.assertEqual(trainer.fit((xs, ys), (vx, vy)).stop_reason, "completed")
            history = trainer.history
            self.assertEqual(len(history), 6)
            self.assertEqual(epochs_seen, list(range(6)))
            self.assertEqual(batches, list(range(1, 6 * 8 + 1)))
            self.assertEqual([row["lr"] for row in history],
                             [0.02, 0.02, 0.01, 0.01, 0.005, 0.005])
            self.assertGreater(history[-1]["val_accuracy"], 0.8)
            self.assertTrue(all(not math.isnan(row["val_loss"]) for row in history))

    def test_stop_and_continue_equals_uninterrupted(self):
        xs, ys = blobs(120)
        vx, vy = blobs(40, seed=9)

        def run(stop_at=None):
            net = classifier()
            armed = [stop_at is not None]

            def stop_once(info):
                if armed[0] and info["global_step"] >= stop_at:
                    armed[0] = False
                    return True
                return False

            trainer = nnstate.Trainer(
                net, epochs=8, batch_size=16,
                scheduler=nnstate.Scheduler("reduce_on_plateau", patience=0, factor=0.5),
                early_stopping=nnstate.EarlyStopping(patience=3, restore_best_weights=True),
                on_batch=stop_once)
            data = nnstate.Dataset(xs, ys)
            val = nnstate.Dataset(vx, vy)
            reason = trainer.fit(data, val).stop_reason
            if stop_at:
                self.assertEqual(reason, "requested")
                self.assertEqual(trainer.position[1], stop_at)
                trainer.fit(data, val)
            weights = flat(net.get_tensor("0.weight"))
            return weights, [r["val_loss"] for r in trainer.history]

        self.assertEqual(run(), run(stop_at=19))

    def test_callback_exception_is_reraised(self):
        xs, ys = blobs(40)
        with classifier() as net:
            def boom(_row):
                raise RuntimeError("from the callback")
            trainer = nnstate.Trainer(net, epochs=3, batch_size=8, on_epoch=boom)
            with self.assertRaisesRegex(RuntimeError, "from the callback"):
                trainer.fit((xs, ys))
            self.assertEqual(trainer.position[0], 1)  # stopped after the first epoch

    def test_request_stop_from_another_thread(self):
        xs, ys = blobs(400)
        with classifier() as net:
            started = threading.Event()
            trainer = nnstate.Trainer(net, epochs=100000, batch_size=4,
                                      on_batch=lambda info: started.set())
            stopper = threading.Thread(target=lambda: (started.wait(), trainer.request_stop()))
            stopper.start()
            self.assertEqual(trainer.fit((xs, ys)).stop_reason, "requested")
            stopper.join()
            self.assertLess(trainer.position[0], 100000)

    def test_monitor_without_validation_is_refused(self):
        xs, ys = blobs(40)
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=2, early_stopping=nnstate.EarlyStopping())
            with self.assertRaises(nnstate.NnstateError) as caught:
                trainer.fit((xs, ys))
            self.assertIn("val_loss", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
