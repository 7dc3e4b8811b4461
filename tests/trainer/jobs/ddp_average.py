"""Under torchrun: each rank reports ``value = rank``; with average_over_ranks the log holds the
mean, without it rank 0's own value. Writes two result directories under ``--out``."""
import argparse
import os

import torch.distributed as dist

import trainui

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
args = parser.parse_args()
dist.init_process_group("gloo")
rank = dist.get_rank()
for average in (True, False):
    run = trainui.Run(os.path.join(args.out, f"average_{average}"), progress=False, average_over_ranks=average)
    for it in range(1, 4):
        run.log({"value": float(rank * it), "tag": f"rank{rank}"}, iteration=it)
        run.step(iteration=it)
    run.close()
dist.destroy_process_group()
