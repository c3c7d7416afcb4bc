#!/usr/bin/python3
"""PyTorch twin of bench/mlp_train.c: the same training step, timed the same way.

MLP 784-512-256-10 with ReLU, CrossEntropyLoss (class-index targets), Adam lr 1e-3, batch 128,
60 synthetic batches (fixed-seed uniform [0, 1) inputs, uniform labels 0..9) reused in turn;
`warmup` untimed steps, then `steps` timed steps. Prints samples/s and ms/step, the thread
counts and what OpenBLAS (which Debian's torch uses for its float32 GEMMs) picked.

Usage: /usr/bin/python3 mlp_train_torch.py [steps (300)] [warmup (30)] [--threads N]
           [--set-to-none] [--foreach]
--threads defaults to OpenBLAS's own thread count in this process, so torch's intra-op pool
matches the BLAS pool. The last line is machine-readable:
"RESULT torch samples_per_s=... ms_per_step=... median_ms_per_step=...".
"""

import argparse
import ctypes
import re
import resource
import statistics
import time

import torch

IN, H1, H2, CLASSES, BATCH, BATCHES = 784, 512, 256, 10, 128, 60


def loaded_openblas():
    """The OpenBLAS library mapped into this process (through torch's libblas.so.3)."""
    path = None
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and "libopenblas" in fields[-1]:
                path = fields[-1]
                break
    lib = ctypes.CDLL(path or "libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    return path, lib


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="?", type=int, default=300)
    parser.add_argument("warmup", nargs="?", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads (default: OpenBLAS's thread count)")
    parser.add_argument("--set-to-none", action="store_true",
                        help="zero_grad(set_to_none=True) instead of zeroing the gradients")
    parser.add_argument("--foreach", action="store_true",
                        help="Adam(foreach=True): the multi-tensor implementation")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0:
        parser.error("steps must be >= 1 and warmup >= 0")

    path, openblas = loaded_openblas()
    threads = args.threads or openblas.openblas_get_num_threads()
    torch.set_num_threads(threads)

    config = torch.__config__.show()
    blas_info = re.search(r"BLAS_INFO=[^,\s]*", config)
    blas_info = blas_info.group(0) if blas_info else "BLAS_INFO=?"
    capability = next((line.split(":", 1)[1].strip() for line in config.splitlines()
                       if "CPU capability usage" in line), "?")
    backend = torch.__config__.parallel_info().splitlines()[-1].split(":")[-1].strip()
    print(f"torch {torch.__version__}: {blas_info}, CPU capability {capability}, "
          f"parallel backend {backend}")
    print(f"torch threads: intra-op {torch.get_num_threads()}, "
          f"inter-op {torch.get_num_interop_threads()}")
    print(f"OpenBLAS in torch: {path}, core {openblas.openblas_get_corename().decode()}, "
          f"threads {openblas.openblas_get_num_threads()}")

    generator = torch.Generator().manual_seed(1234)
    inputs = torch.rand(BATCHES, BATCH, IN, generator=generator)
    targets = torch.randint(0, CLASSES, (BATCHES, BATCH), generator=generator)

    torch.manual_seed(1234)
    model = torch.nn.Sequential(
        torch.nn.Linear(IN, H1), torch.nn.ReLU(),
        torch.nn.Linear(H1, H2), torch.nn.ReLU(),
        torch.nn.Linear(H2, CLASSES))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=args.foreach)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"MLP {IN}-{H1}-{H2}-{CLASSES} ReLU, CrossEntropyLoss, Adam lr 1e-3 "
          f"(foreach={args.foreach}), zero_grad(set_to_none={args.set_to_none}), "
          f"batch {BATCH}, {parameters} parameters")
    print(f"data: {BATCHES} synthetic batches reused; warm-up {args.warmup} steps, "
          f"timed {args.steps} steps")

    def step(index):
        b = index % BATCHES
        optimizer.zero_grad(set_to_none=args.set_to_none)
        loss = loss_fn(model(inputs[b]), targets[b])
        loss.backward()
        optimizer.step()
        return loss

    first_loss = None
    for s in range(args.warmup):
        loss = step(s)
        if s == 0:
            first_loss = loss.item()
    step_seconds = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    for s in range(args.steps):
        t0 = time.perf_counter()
        loss = step(args.warmup + s)
        step_seconds.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    if first_loss is None:
        first_loss = float("nan")
    median = statistics.median(step_seconds)

    print(f"loss: first step {first_loss:.4f}, last step {loss.item():.4f}")
    print(f"minor page faults during the timed steps: {faults} "
          f"({faults / args.steps:.2f} per step)")
    print(f"torch: {args.steps * BATCH / total:.0f} samples/s, {1e3 * total / args.steps:.3f} "
          f"ms/step (mean), {1e3 * median:.3f} ms/step (median), "
          f"{1e3 * min(step_seconds):.3f} ms/step (fastest)")
    print(f"RESULT torch samples_per_s={args.steps * BATCH / total:.1f} "
          f"ms_per_step={1e3 * total / args.steps:.4f} median_ms_per_step={1e3 * median:.4f}")


if __name__ == "__main__":
    main()
