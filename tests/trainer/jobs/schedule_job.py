"""A plain loop under torchrun: SGD with a LambdaLR schedule, registered with trainui.Run or not;
``--rewrite-on-rank K`` makes rank K's own code set the lr every iteration (what an unregistered
scheduler does). Each rank writes its lr after every iteration to ``lrs.rank<k>.json``."""
import argparse
import gc
import json
import os

import torch
import torch.distributed as dist

import trainui

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--iterations", type=int, default=80)
parser.add_argument("--no-register", action="store_true")
parser.add_argument("--rewrite-on-rank", type=int, default=None)
options = parser.parse_args()

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
weight = torch.nn.Parameter(torch.ones(3))
optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + 0.05 * step))
run = trainui.Run(options.out, optimizer=optimizer, scheduler=None if options.no_register else schedule,
                  progress=False, poll_interval=0)
lrs = {}
for it in range(1, options.iterations + 1):
    weight.grad = torch.full_like(weight, 0.1)
    optimizer.step()
    schedule.step()
    if options.rewrite_on_rank == rank and it > 20:
        optimizer.param_groups[0]["lr"] = 0.05  # the training script's own lr rule, on this rank only
    if run.step(iteration=it):
        break
    lrs[it] = optimizer.param_groups[0]["lr"]
run.close()
with open(os.path.join(options.out, f"lrs.rank{rank}.json"), "w") as f:
    json.dump(lrs, f)
del run, optimizer, schedule
gc.collect()  # nothing may hold the process group when it is torn down (as the examples do)
dist.barrier()
dist.destroy_process_group()
