"""Fashion-MNIST with the Python package, Keras style, and resumable: press Ctrl-C, run the
same command again, and training continues where it stopped, ending exactly as an
uninterrupted run would (ctest python_demo_interrupt_resume checks it bit for bit).

    PYTHONPATH=python NNSTATE_LIBRARY=build/libnnstate.so.1 python3 examples/fashion_mnist.py run/

Needs numpy and Debian's dataset-fashion-mnist (both from cmake/install-deps.sh).
"""
import argparse
import os
import sys

import nnstate
from nnstate.datasets import fashion_mnist


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="checkpoint directory (resumed from when it has one)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-samples", type=int, default=50000,
                        help="the first N training images train, the last 10000 validate")
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = fashion_mnist()
    x_train = (x_train / 255.0).astype("float32")  # float32: used without a copy
    x_test = (x_test / 255.0).astype("float32")
    train = (x_train[:args.train_samples], y_train[:args.train_samples])
    validation = (x_train[50000:], y_train[50000:])

    with nnstate.Network(seed=42) as net:
        net.set_input_shape((28, 28)).add_flatten()
        net.add_linear(784, 256).add_relu().add_linear(256, 10)
        net.set_loss("cross_entropy").set_optimizer("adam", lr=1e-3)
        trainer = nnstate.Trainer(
            net, batch_size=64,
            scheduler=nnstate.Scheduler("reduce_on_plateau", patience=1, factor=0.5),
            early_stopping=nnstate.EarlyStopping(patience=3, restore_best_weights=True))
        trainer.checkpoint_to(args.run_dir, every_steps=200)
        if trainer.resume_latest(args.run_dir):
            epoch, step, batch = trainer.position
            print(f"resumed from {args.run_dir}: {epoch} epochs done, step {step} "
                  f"(batch {batch} of epoch {epoch + 1})", flush=True)
        else:
            net.summary()
        try:
            trainer.fit(train, validation, epochs=args.epochs)
        except KeyboardInterrupt:
            epoch, step, _ = trainer.position
            print(f"interrupted in epoch {epoch + 1} at step {step}; the checkpoint is in "
                  f"{args.run_dir}: run the same command again to continue", flush=True)
            return 130
        loss, accuracy = net.evaluate(x_test, y_test)
        nnstate.save(net, os.path.join(args.run_dir, "final.nnst"))
        print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
