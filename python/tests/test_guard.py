"""Gradient clipping, accumulation and divergence rollback from Python: the options reach the
trainer, batch callbacks see the norm and the skipped batches, rollbacks are recorded and
survive save/resume bitwise, bad values name the option."""
import math
import os
import tempfile
import unittest

import nnstate

from test_binding import flat
from test_keras import quiet_fit


def regression(n=40, poisoned=None):
    xs = [[math.sin(1.3 * i + f) for f in range(3)] for i in range(n)]
    ys = [[x[0] - 0.5 * x[1] + 0.2 * x[2]] for x in xs]
    if poisoned is not None:
        ys[poisoned][0] = float("nan")
    return xs, ys


def network(seed=2):
    net = nnstate.Network(seed=seed).add_linear(3, 8).add_tanh().add_linear(8, 1)
    return net.set_loss("mse").set_optimizer("sgd", lr=0.1, momentum=0.9)


class ClippingTest(unittest.TestCase):
    def test_norm_before_clipping_reaches_the_batch_callback(self):
        norms = []
        with network() as net:
            trainer = nnstate.Trainer(net, epochs=1, batch_size=10, shuffle=False,
                                      clip_grad_norm=0.01,
                                      on_batch=lambda row: norms.append(row["grad_norm"]))
            quiet_fit(trainer, regression())
        self.assertEqual(len(norms), 4)
        self.assertTrue(all(n > 0.01 for n in norms))  # every update was clipped

    def test_clipping_changes_training_and_accumulation_counts_updates(self):
        steps = []
        with network() as net:
            trainer = nnstate.Trainer(net, epochs=1, batch_size=10, shuffle=False,
                                      accumulate_steps=3,
                                      on_batch=lambda row: steps.append(row["optimizer_steps"]))
            quiet_fit(trainer, regression())
        self.assertEqual(steps, [0, 0, 1, 2])  # a group of 3, then the epoch's last alone
        with network() as plain, network() as clipped:
            quiet_fit(nnstate.Trainer(plain, epochs=1, batch_size=10), regression())
            quiet_fit(nnstate.Trainer(clipped, epochs=1, batch_size=10, clip_grad_value=1e-3),
                      regression())
            self.assertNotEqual(flat(plain.get_tensor("0.weight")),
                                flat(clipped.get_tensor("0.weight")))

    def test_bad_values_name_the_option(self):
        with network() as net:
            with self.assertRaisesRegex(nnstate.NnstateError, "clip_grad_norm"):
                nnstate.Trainer(net, clip_grad_norm=-1)
            with self.assertRaisesRegex(nnstate.NnstateError, "accumulate_steps"):
                nnstate.Trainer(net, accumulate_steps=0)
            with self.assertRaisesRegex(nnstate.NnstateError, "lr_factor"):
                nnstate.Trainer(net, rollback={"lr_factor": 2.0})
            with self.assertRaisesRegex(nnstate.NnstateError, "unknown rollback option"):
                nnstate.Trainer(net, rollback={"factor": 0.5})


class RollbackTest(unittest.TestCase):
    def test_a_nan_target_rolls_back_and_is_recorded(self):
        skipped = []
        with network() as net:
            trainer = nnstate.Trainer(net, epochs=2, batch_size=10, shuffle=False,
                                      rollback={"snapshot_every": 1},
                                      on_batch=lambda row: skipped.append(row["skipped"]))
            history, _ = quiet_fit(trainer, regression(poisoned=25))
            self.assertEqual(history.stop_reason, "completed")
            events = trainer.rollbacks
            self.assertEqual([e["global_step"] for e in events], [3, 7])
            self.assertEqual(events[0]["reason"], "nonfinite_loss")
            self.assertEqual([e["lr"] for e in events], [0.05, 0.025])
            self.assertTrue(all(math.isfinite(v) for v in flat(net.get_tensor("0.weight"))))
            self.assertTrue(all(math.isfinite(v) for v in history.history["loss"]))
        self.assertEqual(skipped, [0, 0, 1, 0, 0, 0, 1, 0])

    def test_used_up_rollbacks_stop_the_run_as_diverged(self):
        with network() as net:
            trainer = nnstate.Trainer(net, epochs=3, batch_size=10, rollback={"max_rollbacks": 0})
            history, _ = quiet_fit(trainer, regression(poisoned=5))
            self.assertEqual(history.stop_reason, "diverged")
            self.assertTrue(trainer.rollbacks[-1]["gave_up"])

    def test_resume_after_a_rollback_is_bitwise_identical(self):
        data = regression(poisoned=25)
        settings = dict(epochs=3, batch_size=10, accumulate_steps=2, clip_grad_norm=0.5,
                        rollback={"snapshot_every": 1})
        with network() as net:
            quiet_fit(nnstate.Trainer(net, **settings), data)
            expected = flat(net.get_tensor("0.weight"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cut.nnst")
            with network() as net:
                first = nnstate.Trainer(net, **settings)
                quiet_fit(first, data, epochs=1)  # 1 rollback done, group of 2 + the last
                self.assertEqual(len(first.rollbacks), 1)
                first.save(path)
            with network(seed=9) as net:
                second = nnstate.Trainer(net, **settings)
                second.resume(path)
                self.assertEqual(len(second.rollbacks), 1)
                quiet_fit(second, data)
                self.assertEqual(flat(net.get_tensor("0.weight")), expected)
                self.assertEqual(len(second.rollbacks), 3)


if __name__ == "__main__":
    unittest.main()
