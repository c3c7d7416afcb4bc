"""Keras-like results: History, epochs that continue, verbose output, evaluate, summary, repr,
rows checked in Python terms, and the trainer state a checkpoint exposes."""
import contextlib
import io
import math
import os
import tempfile
import unittest

import nnstate

from test_binding import blobs, classifier, flat
from test_layers import cnn


def split():
    xs, ys = blobs(120)
    return (xs[:80], ys[:80]), (xs[80:], ys[80:])


def quiet_fit(trainer, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        history = trainer.fit(*args, **kwargs)
    return history, out.getvalue()


class HistoryTest(unittest.TestCase):
    def test_history_is_keras_shaped(self):
        train, val = split()
        with classifier() as net:
            history, _ = quiet_fit(nnstate.Trainer(net, epochs=4, batch_size=16), train, val)
            self.assertIsInstance(history, nnstate.History)
            self.assertEqual(history.epoch, [0, 1, 2, 3])
            self.assertEqual(sorted(history.history),
                             ["accuracy", "loss", "lr", "val_accuracy", "val_loss"])
            self.assertEqual(len(history.history["val_loss"]), 4)
            self.assertEqual(history.params, {"epochs": 4, "steps": 5, "verbose": 2})
            self.assertEqual(history.stop_reason, "completed")
            self.assertEqual([r["loss"] for r in history.rows], history.history["loss"])
        with nnstate.Network(seed=1).add_linear(3, 1) as net:  # MSE, no validation
            net.set_loss("mse").set_optimizer("sgd", lr=0.01)
            xs, _ = blobs(16)
            history, _ = quiet_fit(nnstate.Trainer(net, epochs=2, batch_size=8),
                                   (xs, [[x[0]] for x in xs]))
            self.assertEqual(sorted(history.history), ["loss", "lr"])

    def test_one_dataset_for_training_and_validation(self):
        (xs, ys), _ = split()
        with classifier() as net:
            data = nnstate.Dataset(xs, ys)
            history, _ = quiet_fit(nnstate.Trainer(net, epochs=1, batch_size=16), data, data)
            self.assertEqual(len(history.history["val_loss"]), 1)

    def test_fit_with_more_epochs_continues_like_one_run(self):
        train, val = split()
        with classifier() as net:
            once = nnstate.Trainer(net, epochs=5, batch_size=16)
            quiet_fit(once, train, val)
            expected = flat(net.get_tensor("0.weight")), once.history
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=3, batch_size=16)
            first, _ = quiet_fit(trainer, train, val)
            second, out = quiet_fit(trainer, train, val, epochs=5)
            self.assertEqual((first.epoch, second.epoch), ([0, 1, 2], [3, 4]))
            self.assertEqual(trainer.epochs, 5)
            self.assertIn("Epoch 4/5", out)
            self.assertEqual(trainer.position[0], 5)
            actual = flat(net.get_tensor("0.weight")), trainer.history
            drop_time = [[{k: v for k, v in r.items() if k != "seconds"} for r in h[1]]
                         for h in (expected, actual)]
            self.assertEqual(actual[0], expected[0])  # bitwise: the same run
            self.assertEqual(drop_time[0], drop_time[1])
            again, _ = quiet_fit(trainer, train, val, epochs=5)
            self.assertEqual((again.epoch, again.stop_reason), ([], "completed"))
            with self.assertRaises(nnstate.NnstateError):
                trainer.fit(train, val, epochs=-1)

    def test_continuing_keeps_the_scheduler_state(self):
        # Rebuilding the C trainer for a new epoch count must not take LinearLR's first
        # step again: the learning rates equal those of one uninterrupted run.
        train, val = split()

        def run(steps):
            with classifier() as net:
                trainer = nnstate.Trainer(net, batch_size=16, scheduler=nnstate.Scheduler(
                    "linear", start_factor=0.25, total_iters=3))
                for epochs in steps:
                    quiet_fit(trainer, train, val, epochs=epochs)
                return [r["lr"] for r in trainer.history], flat(net.get_tensor("2.weight"))
        once = run([4])
        self.assertEqual(len(set(once[0])), 4)  # the rate changes each epoch
        self.assertEqual(run([1, 3, 4]), once)

    def test_verbose_modes(self):
        train, val = split()
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=2, batch_size=16)
            _, silent = quiet_fit(trainer, train, val, verbose=0)
            self.assertEqual(silent, "")
            _, lines = quiet_fit(trainer, train, val, epochs=4, verbose=2)
            self.assertEqual(len(lines.splitlines()), 2)
            self.assertRegex(lines.splitlines()[0], r"^Epoch 3/4 - .* - loss: \d\.\d{4} - "
                             r"accuracy: \d\.\d{4} - val_loss: .* - val_accuracy: .* - lr: ")
            _, bar = quiet_fit(trainer, train, val, epochs=5, verbose=1)
            self.assertTrue(bar.startswith("Epoch 5/5\n"), bar)
            self.assertIn("\r5/5 [" + "=" * 30 + "]", bar)  # the finished bar with metrics
            self.assertIn("val_accuracy: ", bar)
            self.assertTrue(bar.endswith("\n"))
            _, auto = quiet_fit(trainer, train, val, epochs=6)  # not a terminal: like 2
            self.assertRegex(auto, r"^Epoch 6/6 - ")
            with self.assertRaises(ValueError):
                trainer.fit(train, val, verbose=3)


class EvaluateTest(unittest.TestCase):
    def test_evaluate_returns_loss_and_accuracy_as_the_trainer_computes_them(self):
        train, (vx, vy) = split()
        with classifier() as net:
            history, _ = quiet_fit(nnstate.Trainer(net, epochs=3, batch_size=16), train,
                                   (vx, vy))
            loss, accuracy = net.evaluate(vx, vy)
            self.assertEqual(accuracy, history.history["val_accuracy"][-1])
            self.assertAlmostEqual(loss, history.history["val_loss"][-1], places=5)
            outputs = flat(net.predict(vx))
            by_hand = sum(max(range(2), key=lambda k: outputs[2 * i + k]) == vy[i]
                          for i in range(len(vy))) / len(vy)
            self.assertEqual(accuracy, by_hand)
            small = net.evaluate(vx, vy, batch_size=7, return_dict=True)
            self.assertEqual(sorted(small), ["accuracy", "loss"])
            self.assertEqual(small["accuracy"], accuracy)
            self.assertAlmostEqual(small["loss"], loss, places=5)
        with nnstate.Network(seed=1).add_linear(1, 1) as net:
            net.set_loss("mse").set_optimizer("sgd")
            net.set_tensor("0.weight", [2.0])
            net.set_tensor("0.bias", [0.0])
            self.assertEqual(net.evaluate([[1.0], [2.0]], [[1.0], [1.0]]), 5.0)  # (1+9)/2


    def test_evaluate_runs_in_inference_mode_whatever_the_mode(self):
        from test_layers import images
        xs, ys = images(40)
        with cnn() as net:  # BatchNorm and Dropout
            expected = net.evaluate(xs, ys)
            mean = flat(net.get_tensor("1.running_mean"))
            net.train()
            self.assertEqual(net.evaluate(xs, ys), expected)
            self.assertEqual(flat(net.get_tensor("1.running_mean")), mean)
            self.assertTrue(net.training)  # the mode is restored


class SummaryTest(unittest.TestCase):
    def test_summary_rows_and_totals(self):
        lines = []
        with cnn() as net:
            text = net.summary(print_fn=lines.append)
            self.assertEqual(lines, [text])
            rows = text.splitlines()
            self.assertRegex(rows[4], r"^0 \(Conv2d\) +\(4, 8, 8\) +40$")
            self.assertRegex(rows[5], r"^1 \(BatchNorm2d\) +\(4, 8, 8\) +8$")
            self.assertRegex(rows[7], r"^3 \(MaxPool2d\) +\(4, 4, 4\) +0$")
            self.assertRegex(rows[8], r"^4 \(Flatten\) +\(64,\) +0$")
            self.assertRegex(rows[10], r"^6 \(Linear\) +\(3,\) +195$")
            self.assertIn(f"Total params: {net.parameter_count:,}", text)
            self.assertEqual(net.parameter_count, 40 + 8 + 195)
            self.assertIn("Non-trainable buffers: 9 values", text)  # mean, var, count
            self.assertEqual(repr(net), "<nnstate.Network: 7 layers, 64 -> 3, 243 parameters, "
                                        "loss cross_entropy, optimizer adam>")
            with tempfile.TemporaryDirectory() as directory:
                path = os.path.join(directory, "cnn.nnst")
                nnstate.save(net, path)
                with nnstate.load(path) as loaded:
                    rows = loaded.summary(print_fn=None).splitlines()
                    # The rebuilt network knows its shapes too (from the library, per node).
                    self.assertRegex(rows[4], r"^0 \(Conv2d\) +\(4, 8, 8\) +40$")
                    self.assertRegex(rows[10], r"^6 \(Linear\) +\(3,\) +195$")
                    self.assertIn("loss cross_entropy, optimizer adam", repr(loaded))
        net.close()
        self.assertEqual(repr(net), "<nnstate.Network (the network is closed)>")


class RowsTest(unittest.TestCase):
    def test_flat_input_is_one_sample_or_refused(self):
        with classifier() as net:  # 3 inputs per sample
            self.assertEqual(len(flat(net.predict([0.0, 1.0, 2.0]))), 2)
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.predict([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
            self.assertEqual(caught.exception.status_name, "SHAPE_MISMATCH")
            self.assertIn("x is flat with 6 values but one sample has 3", str(caught.exception))
            with self.assertRaises(nnstate.NnstateError):
                net.train_step([0.0] * 6, [0, 1])
            with self.assertRaises(nnstate.NnstateError) as caught:
                nnstate.Dataset([0.0] * 6, [0, 1])
            self.assertIn("x is flat (6 values)", str(caught.exception))
            self.assertEqual(nnstate.Dataset([0.0] * 6, [0, 1], samples=2).samples, 2)

    def test_row_mismatch_in_python_terms(self):
        xs, ys = blobs(20)
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=1)
            with self.assertRaises(nnstate.NnstateError) as caught:
                trainer.fit((xs, ys[:10]))
            self.assertEqual(caught.exception.status_name, "SHAPE_MISMATCH")
            self.assertIn("x has 20 rows, y has 10", str(caught.exception))
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.evaluate(xs[:5], ys)
            self.assertIn("x has 5 rows, y has 20", str(caught.exception))

    def test_memoryview_rows_without_numpy(self):
        import array
        xs, ys = blobs(8)
        values = array.array("f", [v for row in xs for v in row])
        rows = memoryview(values).cast("B").cast("f", (8, 3))
        with classifier() as net:
            self.assertEqual(flat(net.predict(rows)), flat(net.predict(xs)))


class CheckpointStateTest(unittest.TestCase):
    def test_trainer_checkpoint_exposes_the_loop_state(self):
        train, val = split()
        with classifier() as net, tempfile.TemporaryDirectory() as directory:
            trainer = nnstate.Trainer(
                net, epochs=4, batch_size=16,
                scheduler=nnstate.Scheduler("reduce_on_plateau", patience=0, factor=0.5),
                early_stopping=nnstate.EarlyStopping(patience=10))
            quiet_fit(trainer, train, val)
            path = os.path.join(directory, "t.nnst")
            trainer.save(path)
            with nnstate.Checkpoint(path) as saved:
                epoch, step, batch = trainer.position
                self.assertEqual(saved.trainer, {"epoch": epoch, "global_step": step,
                                                 "batch_in_epoch": batch})
                self.assertEqual(saved.history, trainer.history)
                val_losses = [r["val_loss"] for r in trainer.history]
                stopping = saved.early_stopping
                self.assertEqual(stopping["monitor"], "val_loss")
                self.assertEqual(stopping["best"], min(val_losses))
                self.assertEqual(stopping["best_epoch"], val_losses.index(min(val_losses)))
                scheduler = saved.scheduler
                self.assertEqual((scheduler["kind"], scheduler["last_epoch"]),
                                 ("reduce_on_plateau", 4))
                self.assertEqual(scheduler["best"], min(val_losses))
                self.assertEqual(saved.loss, "cross_entropy")
                self.assertEqual(saved.layer_kinds, ["Linear", "ReLU", "Linear"])
                options = saved.optimizer_options
                self.assertEqual((options["kind"], options["lr"] > 0, options["amsgrad"]),
                                 ("adam", True, False))
                self.assertIn("trainer at epoch 4", repr(saved))
            plain = os.path.join(directory, "plain.nnst")
            nnstate.save(net, plain)
            with nnstate.Checkpoint(plain) as saved:
                self.assertEqual((saved.trainer, saved.history, saved.scheduler,
                                  saved.early_stopping), (None, [], None, None))
                self.assertTrue(math.isfinite(saved.optimizer_options["lr"]))


if __name__ == "__main__":
    unittest.main()
