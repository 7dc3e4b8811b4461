"""A job that prints the way real jobs do (print, raw fd writes, a child process, ANSI colours,
a carriage-return progress bar), then finishes, raises, or waits for a signal; for the console tests.
Works alone and under torchrun (gloo)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import trainui

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--iterations", type=int, default=5)
parser.add_argument("--lines", type=int, default=0, help="extra numbered lines to print")
parser.add_argument("--console", default="on", choices=["on", "off", "all"])
parser.add_argument("--max-bytes", type=int, default=None)
parser.add_argument("--backups", type=int, default=None)
parser.add_argument("--crash", action="store_true")
parser.add_argument("--wait", action="store_true", help="print 'ready', then wait for a signal")
parser.add_argument("--sleep", type=float, default=0.0, help="seconds per iteration")
options = parser.parse_args()

distributed = "RANK" in os.environ
if distributed:
    import torch.distributed as dist

    dist.init_process_group("gloo")
limits = {k: v for k, v in (("console_max_bytes", options.max_bytes), ("console_backups", options.backups))
          if v is not None}
run = trainui.Run(options.out, progress=False, console={"on": True, "off": False, "all": "all"}[options.console],
                  **limits)
rank = run.rank
run.step(0)  # every rank agrees on the directory (and a rank > 0 starts its console)
print(f"hello from rank {rank}", flush=True)
print("<b>not bold</b> <img src=x onerror=\"window.__console_xss=1\">", flush=True)  # text, never markup
time.sleep(0.3)  # the next write goes to the other pipe: apart in time, so its order holds (see below)
os.write(2, f"rank {rank} on fd 2 \x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m\n".encode())
subprocess.run([sys.executable, "-c", f"print('child of rank {rank}')"], check=True)
sys.stdout.flush()
time.sleep(0.3)  # stdout and stderr are two pipes: their order in the file holds only between chunks apart in time
sys.stderr.write("".join(f"\rloading {percent}%" for percent in (0, 50, 100)) + "\n")  # one write: one chunk
sys.stderr.flush()
for n in range(options.lines):
    print(f"line {n} of rank {rank}")
for i in range(1, options.iterations + 1):
    run.step(i)
    run.log({"main/loss": 1.0 / i})
    time.sleep(options.sleep)
print(f"last line of rank {rank}", flush=True)
if options.wait:
    print("ready", flush=True)
    for tick in range(600):  # a live job's console grows while the page watches
        print(f"tick {tick}", flush=True)
        time.sleep(0.2)
if options.crash:
    raise RuntimeError(f"deliberate crash on rank {rank}")
run.close()
if distributed:
    dist.destroy_process_group()
