"""Frozen parameters and param groups from Python: freeze/unfreeze by tensor or module name,
trainable=False on a node, torch-style param_groups dicts, a per-group ReduceLROnPlateau min_lr,
and all of it surviving save/resume bitwise; bad names and options are refused by name."""
import math
import os
import tempfile
import unittest

import nnstate

from test_binding import flat
from test_keras import quiet_fit


def regression(n=40):
    xs = [[math.sin(1.3 * i + f) for f in range(3)] for i in range(n)]
    ys = [[x[0] - 0.5 * x[1] + 0.2 * x[2]] for x in xs]
    return xs, ys


def network(seed=2):
    net = nnstate.Network(seed=seed)
    net.add("Linear", in_features=3, out_features=8, name="backbone")
    net.add("Tanh")
    net.add("Linear", in_features=8, out_features=1, name="fc")
    return net.set_loss("mse")


GROUPS = [{"params": "backbone.", "lr": 1e-4}, {"params": ["fc"], "lr": 1e-2, "betas": (0.5, 0.9)}]


class FrozenTest(unittest.TestCase):
    def test_frozen_module_keeps_its_weights_and_unfreeze_trains_it(self):
        with network() as net:
            net.freeze("backbone")
            net.set_optimizer("adam", lr=1e-2)
            self.assertEqual(net.frozen, ["backbone.bias", "backbone.weight"])
            before, head = flat(net.get_tensor("backbone.weight")), flat(net.get_tensor("fc.weight"))
            quiet_fit(nnstate.Trainer(net, epochs=2, batch_size=10), regression())
            self.assertEqual(flat(net.get_tensor("backbone.weight")), before)
            self.assertNotEqual(flat(net.get_tensor("fc.weight")), head)
            net.unfreeze("backbone.weight")
            self.assertEqual(net.frozen, ["backbone.bias"])
            quiet_fit(nnstate.Trainer(net, epochs=1, batch_size=10), regression())
            self.assertNotEqual(flat(net.get_tensor("backbone.weight")), before)

    def test_trainable_false_on_a_node(self):
        with nnstate.Network(seed=1) as net:
            body = net.add("Linear", in_features=3, out_features=4, name="body", trainable=False)
            net.add("Linear", in_features=4, out_features=1, name="head")
            self.assertFalse(body.trainable)
            self.assertEqual(net.frozen, ["body.bias", "body.weight"])
            body.trainable = True
            self.assertEqual(net.frozen, [])

    def test_bad_names_are_refused_naming_them(self):
        with network() as net:
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.freeze("features.")
            self.assertEqual(caught.exception.status_name, "NOT_FOUND")
            self.assertIn('"features."', caught.exception.message)
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.set_optimizer("adam", param_groups=[{"params": "fc", "momentum": 0.9}])
            self.assertIn("'momentum'", str(caught.exception))
            with self.assertRaises(nnstate.NnstateError) as caught:
                net.set_optimizer("adam", param_groups=[{"params": "fc"}, {"params": "fc.bias"}])
            self.assertIn('"fc.bias" is in param group 0 and in param group 1',
                          caught.exception.message)


class ParamGroupsTest(unittest.TestCase):
    def test_groups_report_torch_options(self):
        with network() as net:
            net.set_optimizer("adamw", lr=1e-3, param_groups=GROUPS)
            groups = net.param_groups
            self.assertEqual(len(groups), 3)
            self.assertEqual(groups[0]["params"], [])
            self.assertEqual(groups[0]["parameter_count"], 0)
            self.assertEqual(groups[1]["params"], ["backbone."])
            self.assertEqual(groups[1]["lr"], 1e-4)
            self.assertEqual(groups[1]["weight_decay"], 1e-2)  # AdamW's default, inherited
            self.assertEqual(groups[2]["betas"], (0.5, 0.9))
            self.assertEqual(groups[2]["parameter_count"], 2)

    def test_per_group_min_lr_and_resume_are_exact(self):
        data = regression()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mid.nnst")

            def trainer_for(net):
                net.freeze("backbone.bias", batchnorm_eval=True)
                net.set_optimizer("adam", lr=1e-3, param_groups=GROUPS)
                scheduler = nnstate.Scheduler("reduce_on_plateau", patience=0, factor=0.5,
                                              threshold=0.5, monitor="loss",
                                              min_lr=[5e-5, 4e-3])
                return nnstate.Trainer(net, epochs=6, batch_size=10, scheduler=scheduler)

            with network() as straight, network() as first, network(seed=9) as second:
                quiet_fit(trainer_for(straight), data)
                groups = straight.param_groups
                self.assertEqual(groups[1]["lr"], 5e-5)  # reduced to its own min_lr
                self.assertEqual(groups[2]["lr"], 4e-3)
                t = trainer_for(first)
                quiet_fit(t, data, epochs=3)
                t.save(path)
                resumed = trainer_for(second)
                second.unfreeze("backbone.bias")  # the file's frozen set comes back
                second.frozen_batchnorm_eval = False
                resumed.resume(path)
                self.assertEqual(second.frozen, ["backbone.bias"])
                self.assertTrue(second.frozen_batchnorm_eval)
                quiet_fit(resumed, data)
                self.assertEqual(flat(second.get_tensor("fc.weight")),
                                 flat(straight.get_tensor("fc.weight")))
                self.assertEqual(second.param_groups, straight.param_groups)


if __name__ == "__main__":
    unittest.main()
