"""Run by install_test.sh with an installed nnstate: checks where the package and the library
were loaded from, that the package's version is the library's, and trains a tiny network."""
import importlib.metadata
import os
import sys

import nnstate
from nnstate import _native

package_root, library_root = sys.argv[1], sys.argv[2]
assert os.path.realpath(nnstate.__file__).startswith(os.path.realpath(package_root)), \
    f"nnstate imported from {nnstate.__file__}, not from {package_root}"
assert os.path.realpath(_native.lib._name).startswith(os.path.realpath(library_root)), \
    f"libnnstate loaded from {_native.lib._name}, not from {library_root}"
if len(sys.argv) > 3 and sys.argv[3] == "--pip":
    assert importlib.metadata.version("nnstate") == nnstate.__version__, \
        f"package {importlib.metadata.version('nnstate')} != library {nnstate.__version__}"

x = [[0, 0], [0, 1], [1, 0], [1, 1]] * 8
y = [0, 1, 1, 0] * 8
with nnstate.Network(seed=1) as net:
    net.add_linear(2, 8).add_tanh().add_linear(8, 2)
    net.set_loss("cross_entropy").set_optimizer("adam", lr=0.05)
    history = nnstate.Trainer(net, batch_size=8).fit((x, y), epochs=60, verbose=0)
    loss, accuracy = net.evaluate(x, y)
    assert history.epoch == list(range(60)), history.epoch
    assert accuracy == 1.0, (loss, accuracy)
print(f"installed nnstate {nnstate.__version__} from {os.path.dirname(nnstate.__file__)}: "
      f"xor loss {loss:.4f}, accuracy {accuracy}")
