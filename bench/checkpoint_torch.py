"""torch.save / torch.load of the same state as checkpoint_bench: `layers` Linear(width, width)
with Adam's exp_avg and exp_avg_sq. Prints "save_seconds load_seconds" (best of 2)."""
import os
import sys
import time

import torch


def main():
    directory, width, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(2)
    model = torch.nn.Sequential(*[torch.nn.Linear(width, width) for _ in range(layers)])
    optimizer = torch.optim.Adam(model.parameters())
    for p in model.parameters():
        optimizer.state[p] = {"step": torch.tensor(0.0), "exp_avg": torch.zeros_like(p),
                              "exp_avg_sq": torch.zeros_like(p)}
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    path = os.path.join(directory, "bench_torch.pt")
    save = load = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        torch.save(state, path)
        save = min(save, time.perf_counter() - t)
        t = time.perf_counter()
        loaded = torch.load(path)
        load = min(load, time.perf_counter() - t)
        del loaded
    os.unlink(path)
    print(save, load)


if __name__ == "__main__":
    main()
