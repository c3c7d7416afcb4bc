"""Ctrl-C during fit: a real SIGINT sent to a child process that is training. The parent sends
it when the child reports progress (a line printed from a callback, or fit's own verbose line),
never after a delay. The child must stop at a batch boundary, write the checkpoint-on-stop,
and raise KeyboardInterrupt out of fit."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import unittest

import nnstate

XS = [[float(i % 3), float(i % 5) / 5, float(i % 2)] for i in range(64)]
YS = [i % 2 for i in range(64)]
ENDLESS = 10 ** 9  # epochs: training only ends through the signal


def child(mode, directory):
    net = nnstate.Network(seed=5).add_linear(3, 8).add_relu().add_linear(8, 2)
    net.set_loss("cross_entropy").set_optimizer("adam", lr=0.02)
    seen = {"step": None}

    def on_batch(info):
        seen["step"] = info["global_step"]
        if info["global_step"] == 3:
            print("progress", flush=True)  # the parent sends SIGINT when it reads this

    trainer = nnstate.Trainer(net, epochs=ENDLESS, batch_size=8,
                              on_batch=on_batch if mode == "callbacks" else None)
    trainer.checkpoint_to(directory, every_epochs=0, every_steps=0, on_stop=True,
                          keep_best=0, monitor="loss", fsync=False)
    outcome = "returned"
    try:
        if mode == "verbose":
            trainer.fit((XS, YS), verbose=2)
        else:
            trainer.fit((XS, YS))
    except KeyboardInterrupt:
        outcome = "KeyboardInterrupt"
    print(json.dumps({"outcome": outcome, "position": trainer.position,
                      "last_callback_step": seen["step"], "files": sorted(os.listdir(directory))}),
          flush=True)


class InterruptTest(unittest.TestCase):
    def interrupt(self, mode, trigger):
        with tempfile.TemporaryDirectory() as directory:
            process = subprocess.Popen([sys.executable, os.path.abspath(__file__), mode,
                                        directory], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            try:
                for line in process.stdout:
                    if line.startswith(trigger):
                        process.send_signal(signal.SIGINT)
                        break
                out, err = process.communicate(timeout=600)
            finally:
                process.kill()
            self.assertEqual(process.returncode, 0, f"child status {process.returncode}\n{err}")
            result = json.loads(out.splitlines()[-1])
            self.assertEqual(result["outcome"], "KeyboardInterrupt", err)
            epoch, step, batch = result["position"]
            self.assertGreater(step, 0)
            self.assertLess(epoch, ENDLESS)
            # The checkpoint-on-stop is the only file (no periodic or best saves) and holds
            # exactly the position where fit stopped.
            self.assertEqual(len(result["files"]), 1, result["files"])
            with nnstate.Checkpoint(os.path.join(directory, result["files"][0])) as saved:
                self.assertEqual(saved.trainer, {"epoch": epoch, "global_step": step,
                                                 "batch_in_epoch": batch})
            return result

    def test_sigint_with_a_python_callback(self):
        result = self.interrupt("callbacks", "progress")
        # The handler runs inside a batch callback and stops at that batch's boundary.
        self.assertEqual(result["position"][1], result["last_callback_step"])

    def test_sigint_without_python_callbacks(self):
        self.interrupt("verbose", "Epoch 1/")  # verbose=2's line after the first epoch


if __name__ == "__main__":
    child(*sys.argv[1:3])
