"""Runs README.md's Python example exactly as written (the ```python block after the marker
comment) in a fresh directory, then checks what it printed and wrote.
Usage: run_readme_example.py README.md WORK_DIR"""
import os
import re
import shutil
import subprocess
import sys

MARKER = "<!-- python example: run by ctest python_readme_example -->"

readme, work = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
if MARKER not in text:
    sys.exit(f"{readme}: the marker {MARKER!r} is missing")
match = re.search(r"```python\n(.*?)```", text[text.index(MARKER):], re.S)
if not match:
    sys.exit(f"{readme}: no ```python block after the marker")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
with open(os.path.join(work, "example.py"), "w", encoding="utf-8") as f:
    f.write(match.group(1))
run = subprocess.run([sys.executable, "example.py"], cwd=work, capture_output=True, text=True)
print(run.stdout, run.stderr, sep="\n")
if run.returncode != 0:
    sys.exit(f"the README example failed with exit status {run.returncode}")
accuracy = re.search(r"test accuracy ([0-9.]+)", run.stdout)
if not accuracy or float(accuracy.group(1)) < 0.8:
    sys.exit("the README example did not print a test accuracy >= 0.8")
if "[2, 3]" not in run.stdout:
    sys.exit("the second fit did not continue with epochs 2 and 3")
saved = sorted(os.listdir(os.path.join(work, "run")))
if "best.nnst" not in saved:
    sys.exit(f"no best.nnst among the checkpoints: {saved}")
print(f"README example: test accuracy {accuracy.group(1)}, checkpoints {saved}")
