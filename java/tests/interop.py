"""The Python side of java/tests/org/nnstate/InteropTest.java, through the Python binding.

  interop.py train PATH   trains the classifier of the Java tests (Fixtures.classifier with
                          Fixtures.xs/ys, Trainer epochs 2, batch 8) and saves a trainer
                          checkpoint at PATH
  interop.py check PATH   loads PATH (written by Java) and prints what the Java test compares
"""
import json
import sys

import nnstate

XS = [[float(i % 3), float(i % 5) / 5, float(i % 2)] for i in range(24)]
YS = [i % 2 for i in range(24)]


def classifier():
    net = nnstate.Network(seed=5).add_linear(3, 8).add_relu().add_linear(8, 2)
    return net.set_loss("cross_entropy").set_optimizer("adam", lr=0.02)


def main(command, path):
    if command == "train":
        with classifier() as net:
            trainer = nnstate.Trainer(net, epochs=2, batch_size=8)
            trainer.fit((XS, YS), verbose=0)
            trainer.save(path)
        return
    nnstate.verify(path)
    with nnstate.Checkpoint(path) as ckpt, nnstate.load(path) as net:
        outputs = net.predict(XS)
        flat = [float(v) for row in outputs for v in (row if hasattr(row, "__iter__") else [row])]
        print(json.dumps({"metadata": ckpt.metadata, "trainer": ckpt.trainer,
                          "history": len(ckpt.history), "predict": flat}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
