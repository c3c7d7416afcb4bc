"""examples/fashion_mnist.py interrupted by a real SIGINT (sent when the demo has printed its
first epoch line, never after a delay), run again to resume, and compared bit for bit with an
uninterrupted run. Usage: run_demo_interrupt_resume.py DEMO WORK_DIR"""
import os
import shutil
import signal
import subprocess
import sys

import nnstate

demo, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
options = ["--epochs", "3", "--train-samples", "8000"]


def run(directory, interrupt_on=None):
    command = [sys.executable, demo, os.path.join(work, directory)] + options
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if interrupt_on and line.startswith(interrupt_on):
                process.send_signal(signal.SIGINT)
                break
        out, err = process.communicate(timeout=900)
    finally:
        process.kill()
    text = "".join(lines) + out
    print(f"== {' '.join(command)} (exit {process.returncode})\n{text}{err}", flush=True)
    return process.returncode, text


status, reference = run("reference")
assert status == 0, "the uninterrupted run failed"
status, interrupted = run("run", interrupt_on="Epoch 1/3")
assert status == 130 and "interrupted in epoch 2" in interrupted, \
    "SIGINT during epoch 2 did not stop the demo with its message and exit status 130"
status, resumed = run("run")
assert status == 0 and "resumed from" in resumed, "the second run did not resume"

accuracy = [line for line in reference.splitlines() if "test accuracy" in line]
assert accuracy and accuracy[0] in resumed, f"test results differ: {accuracy} vs {resumed}"
with nnstate.Checkpoint(os.path.join(work, "reference", "final.nnst")) as a, \
        nnstate.Checkpoint(os.path.join(work, "run", "final.nnst")) as b:
    assert a.tensors() == b.tensors(), "the final checkpoints hold different tensors"
    for name in a.tensors():
        assert list(a.tensor(name).ravel()) == list(b.tensor(name).ravel()), \
            f"{name} differs between the interrupted+resumed run and the uninterrupted one"
print(f"interrupted with SIGINT in epoch 2, resumed, bitwise identical to the uninterrupted "
      f"run (every tensor); {accuracy[0]}")
