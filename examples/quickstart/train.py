"""Quickstart: an MLP classifier on the 8x8 handwritten digits, logged and steerable with trainui.

Single process::

    python examples/quickstart/train.py --iterations 2000 --sleep 0.02

Two processes (gloo, DDP; each rank takes every second sample of each epoch's shuffle)::

    torchrun --nproc_per_node=2 examples/quickstart/train.py --out results/quickstart/mlp-ddp

The digits are a 57 kB file in the repository (``examples/data/digits.csv.gz``, see the README
there), so the quickstart needs only trainui's base install and torch, and downloads nothing. Batches are a pure function of the
iteration number (epoch shuffle seeded by the epoch), so ``--resume`` continues exactly where
the snapshot was taken.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

import trainui

VALIDATION_SIZE = 360
# 1,797 rows of 64 pixel counts (0..16) and the label: the UCI digits as scikit-learn ships them.
DIGITS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data", "digits.csv.gz")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/quickstart/mlp",
                        help="result directory (register its parent, results/quickstart, as the project)")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--log-every", type=int, default=10, help="iterations between log reports")
    parser.add_argument("--image-every", type=int, default=100, help="iterations between images (0: none)")
    parser.add_argument("--snapshot-every", type=int, default=0, help="iterations between snapshots (0: none)")
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds per iteration, for a watchable demo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", default=None, help="snapshot to resume from ('latest': newest in --out)")
    parser.add_argument("--no-progress", action="store_true", help="no terminal progress bar")
    return parser.parse_args(argv)


class MLP(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.hidden = nn.Linear(64, hidden)
        self.output = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))


def load_data(seed: int):
    table = np.loadtxt(DIGITS_FILE, delimiter=",", dtype=np.float32)
    x = torch.from_numpy(table[:, :64] / 16.0)
    y = torch.from_numpy(table[:, 64].astype(np.int64))
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    return (x[VALIDATION_SIZE:], y[VALIDATION_SIZE:]), (x[:VALIDATION_SIZE], y[:VALIDATION_SIZE])


def batch_indices(iteration: int, n: int, batch_size: int, rank: int, world: int, seed: int):
    """(epoch, indices) of ``iteration`` (1-based); a pure function, so a resume is exact."""
    per_rank = n // world
    per_epoch = max(1, per_rank // batch_size)
    epoch, position = divmod(iteration - 1, per_epoch)
    shuffle = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100003 + epoch))
    mine = shuffle[rank::world][:per_rank]
    return epoch, mine[position * batch_size:(position + 1) * batch_size]


def weights_image(model: nn.Module) -> np.ndarray:
    """The first 16 hidden units' input weights as a 4x4 grid of 8x8 tiles, 128x128 grey."""
    weights = unwrap_ddp(model).hidden.weight.detach()[:16].reshape(-1, 8, 8)
    low = weights.amin(dim=(1, 2), keepdim=True)
    high = weights.amax(dim=(1, 2), keepdim=True)
    tiles = ((weights - low) / (high - low + 1e-8)).numpy()
    tiles = np.concatenate([tiles, np.zeros((16 - len(tiles), 8, 8), dtype=tiles.dtype)])
    grid = tiles.reshape(4, 4, 8, 8).transpose(0, 2, 1, 3).reshape(32, 32)
    return np.kron(grid, np.ones((4, 4), dtype=grid.dtype))


def unwrap_ddp(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


@torch.no_grad()
def evaluate(model: nn.Module, x, y) -> tuple[float, float]:
    logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def main(argv=None) -> int:
    args = parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    train(args, rank, world, distributed)
    if distributed:
        # The model (DDP), the optimizer and the run are gone with train()'s frame: nothing holds
        # the process group any more, so it is really torn down here, not during interpreter
        # shutdown (where gloo may abort the process).
        gc.collect()
        dist.barrier()  # no rank tears its connections down while another still uses them
        dist.destroy_process_group()
    return 0


def train(args, rank: int, world: int, distributed: bool) -> None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # a tiny MLP: more threads only contend with the other ranks

    (x_train, y_train), (x_val, y_val) = load_data(args.seed)
    model: nn.Module = MLP(args.hidden)
    if distributed:
        model = nn.parallel.DistributedDataParallel(model)
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    start = 0
    if args.resume:
        resume_from = trainui.find_latest_snapshot(args.out) if args.resume == "latest" else args.resume
        if resume_from is None:
            raise SystemExit(f"--resume latest: no snapshot_iter_<N>.pt in {args.out}")
        # loaded through trainui before the Run: a snapshot of --out resumes that run, in --out
        start = trainui.load_snapshot(resume_from, model=model, optimizer=optimizer)["iteration"]
    # otherwise, when --out holds an earlier run, this one goes beside it (--out-2, ...; printed)
    run = trainui.Run(args.out, args=args, model=model, optimizer=optimizer,
                      total_iterations=args.iterations, progress=not args.no_progress,
                      average_over_ranks=True)

    @run.command("evaluate")
    def evaluate_now(body: dict) -> dict:
        """A user command: validation metrics right now, without waiting for the next report."""
        loss, accuracy = evaluate(model, x_val, y_val)
        return {"validation/main/loss": loss, "validation/main/accuracy": accuracy}

    iteration, epoch = start, 0
    with run:
        for iteration in range(start + 1, args.iterations + 1):
            epoch, index = batch_indices(iteration, len(x_train), args.batch_size, rank, world, args.seed)
            model.train()
            logits = model(x_train[index])
            loss = F.cross_entropy(logits, y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if iteration % args.log_every == 0:
                model.eval()
                val_loss, val_accuracy = evaluate(model, x_val, y_val)
                accuracy = (logits.argmax(1) == y_train[index]).float().mean().item()
                run.log({"main/loss": loss.item(), "main/accuracy": accuracy,
                         "validation/main/loss": val_loss, "validation/main/accuracy": val_accuracy},
                        iteration=iteration, epoch=epoch)
            if args.image_every and iteration % args.image_every == 0:
                run.log_image("hidden_weights", weights_image(model), step=iteration)
            if args.snapshot_every and iteration % args.snapshot_every == 0:
                run.snapshot()
            if args.sleep:
                time.sleep(args.sleep)
            if run.step(iteration=iteration, epoch=epoch):
                break
    print(f"rank {rank} ended at iteration {iteration} epoch {epoch}"
          f"{' (stopped)' if run.stop_requested else ''}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
