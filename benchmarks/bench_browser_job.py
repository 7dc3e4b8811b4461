"""A trainui job for the browser benchmark: steps at a fixed rate (commands work) and logs one
entry, flushed at once, for every line read on stdin, printing the wall-clock time it wrote it.

    python benchmarks/bench_browser_job.py OUT [--rate 20]
    stdin:  "<iteration>\\n"      stdout: "logged <iteration> <unix time>\\n"
"""
from __future__ import annotations

import argparse
import math
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import trainui  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rate", type=float, default=20.0, help="steps per second")
    args = parser.parse_args()
    period = 1.0 / args.rate
    with trainui.Run(args.out, args={"rate": args.rate}, progress=False) as run:
        run.log({"main/loss": 1.0}, iteration=0)
        run.flush()
        print("ready", flush=True)
        step = 0
        next_step = time.monotonic()
        pending = b""
        while True:
            if b"\n" in pending:  # read from the file descriptor: no buffer hides a line from select()
                line, pending = pending.split(b"\n", 1)
                iteration = int(line)
                run.log({"main/loss": 1.0 / (1 + iteration) + 0.01 * math.sin(iteration)}, iteration=iteration)
                run.flush()
                print(f"logged {iteration} {time.time():.6f}", flush=True)
                continue
            wait = max(0.0, next_step - time.monotonic())
            ready, _, _ = select.select([0], [], [], wait)
            if ready:
                chunk = os.read(0, 4096)
                if not chunk:
                    break
                pending += chunk
                continue
            step += 1
            next_step += period
            if run.step(iteration=step):
                break


if __name__ == "__main__":
    main()
