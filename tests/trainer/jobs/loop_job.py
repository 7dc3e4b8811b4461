"""A minimal training loop for tests: a real Run with a real optimizer, configurable pacing.

Prints ``ready <iteration>`` once it has logged ``--ready-at`` iterations, and ``ended <iteration>``
when the loop ends. The user command ``tick`` appends its body's ``n`` to ``ticks`` so a test can
count how often each command really ran.
"""
import argparse
import sys
import time

import torch

import trainui


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--iterations", type=int, default=100000)
    parser.add_argument("--sleep", type=float, default=0.001)
    parser.add_argument("--flush-every", type=int, default=100)
    parser.add_argument("--flush-interval", type=float, default=1.0)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    parser.add_argument("--ready-at", type=int, default=1)
    parser.add_argument("--crash-at", type=int, default=0)
    args = parser.parse_args()

    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = trainui.Run(args.out, args=args, model=model, optimizer=optimizer, progress=False,
                      flush_every=args.flush_every, flush_interval=args.flush_interval,
                      poll_interval=args.poll_interval)
    ticks = []

    @run.command("tick")
    def tick(body):
        ticks.append(body["n"])
        return {"count": len(ticks)}

    iteration = 0
    for iteration in range(1, args.iterations + 1):
        if iteration == args.crash_at:
            raise RuntimeError(f"deliberate crash at {iteration}")
        run.log({"main/loss": 1.0 / iteration}, iteration=iteration, epoch=0)
        if iteration == args.ready_at:
            print(f"ready {iteration}", flush=True)
        time.sleep(args.sleep)
        if run.step(iteration=iteration, epoch=0):
            break
    run.close()
    print(f"ended {iteration}", flush=True)
    print("ticks " + " ".join(map(str, ticks)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
