"""A job whose loss goes NaN mid-run, for the restore tests (alone or under torchrun, gloo).

A tiny regression trained with SGD under a StepLR; a snapshot every ``--snapshot-every``
iterations. The batch of iteration ``--poison-at`` holds a NaN the first time it is drawn (a flaky
reader), which turns the weights NaN, and every loss after it. The test plays the NaN-guard rule:
it sees the NaN in ``log`` and posts ``restore``. Each rank writes ``final.rank<k>.json`` (its
last iteration, loss and weights) so the test can check the ranks agree.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist

import trainui


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--snapshot-every", type=int, default=10)
    parser.add_argument("--poison-at", type=int, default=25)
    parser.add_argument("--sleep", type=float, default=0.05)
    parser.add_argument("--per-rank", action="store_true", help="snapshots of every rank's own state")
    parser.add_argument("--own-counter", action="store_true", help="a loop that passes its own iteration to step()")
    args = parser.parse_args()

    if "WORLD_SIZE" in os.environ:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    if dist.is_initialized():
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1000, gamma=0.5)
    run = trainui.Run(args.out, args=vars(args), model=model, optimizer=optimizer, scheduler=scheduler,
                      progress=False, poll_interval=0.02, flush_every=1, handle_signals=False)
    target = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    torch.manual_seed(100 + rank)  # each rank draws its own batches
    poisoned = False
    loss = None

    def train(it):
        nonlocal poisoned, loss
        x = torch.randn(16, 4)
        if it == args.poison_at and not poisoned:
            poisoned = True
            x[0, 0] = float("nan")
        loss = torch.nn.functional.mse_loss(model(x), x @ target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        run.log({"main/loss": loss.item()}, iteration=it)
        if it % args.snapshot_every == 0:
            run.snapshot(per_rank=args.per_rank)
        time.sleep(args.sleep if not poisoned else args.sleep * 2)

    if args.own_counter:
        for it in range(1, args.iterations + 1):
            train(it)
            if run.step(iteration=it):
                break
    else:
        for it in run.iterations(args.iterations):
            train(it)
    run.close()
    weights = [p.detach().flatten().tolist() for p in model.parameters()]
    with open(os.path.join(args.out, f"final.rank{rank}.json"), "w") as f:
        json.dump({"iteration": run.iteration, "loss": loss.item(), "weights": weights}, f)
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
