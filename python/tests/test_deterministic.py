"""The deterministic-across-scale mode from Python: 1 and 2 library threads train a network
with BatchNorm and dropout to bitwise-identical weights, the settings read back, and bad
settings are refused."""
import unittest

import nnstate

from test_binding import flat
from test_fine_tuning import regression
from test_keras import quiet_fit


def trained(threads):
    net = nnstate.Network(seed=4)
    net.add("Linear", in_features=3, out_features=16)
    net.add("BatchNorm1d", num_features=16)
    net.add("ReLU")
    net.add("Dropout", p=0.2)
    net.add("Linear", in_features=16, out_features=1)
    net.set_loss("mse").set_optimizer("adam", lr=1e-2)
    net.set_deterministic(chunk_size=4, threads=threads)
    quiet_fit(nnstate.Trainer(net, epochs=3, batch_size=10), regression())
    return net


class DeterministicTest(unittest.TestCase):
    def test_one_and_two_threads_give_the_same_bits(self):
        with trained(1) as one, trained(2) as two:
            self.assertEqual(one.deterministic, (4, 1))
            self.assertEqual(two.deterministic, (4, 2))
            for name in ("0.weight", "1.running_mean", "1.running_var", "4.weight"):
                self.assertEqual(flat(one.get_tensor(name)), flat(two.get_tensor(name)), name)

    def test_off_by_default_and_turned_off(self):
        with nnstate.Network(seed=1) as net:
            net.add("Linear", in_features=3, out_features=1)
            self.assertIsNone(net.deterministic)
            net.set_deterministic(8, threads=2)
            self.assertEqual(net.deterministic, (8, 2))
            net.set_deterministic(0)
            self.assertIsNone(net.deterministic)

    def test_bad_settings_are_refused(self):
        with nnstate.Network(seed=1) as net:
            net.add("Linear", in_features=3, out_features=1)
            for chunk, threads in ((-1, 1), (4, 5000)):
                with self.assertRaises(nnstate.NnstateError) as caught:
                    net.set_deterministic(chunk, threads)
                self.assertEqual(caught.exception.status_name, "INVALID_ARGUMENT")


if __name__ == "__main__":
    unittest.main()
