"""A tiny GPT-2 trained by the real Hugging Face Trainer with TrainuiCallback, alone or under
``torchrun``; each rank writes the lr its optimizer held after every step to ``lrs.rank<k>.json``."""
import argparse
import gc
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/trainer

import tiny_models  # noqa: E402  (sets HF_HUB_OFFLINE before transformers is imported)
from transformers import Trainer  # noqa: E402

from trainui.integrations.transformers import TrainuiCallback  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--max-steps", type=int, default=80)
options = parser.parse_args()

recorder = tiny_models.lr_recorder()
args = tiny_models.training_args(options.out, max_steps=options.max_steps, ddp_backend="gloo")
trainer = Trainer(tiny_models.tiny_gpt2(), args, train_dataset=tiny_models.TokenDataset(),
                  callbacks=[TrainuiCallback(), recorder])
trainer.train()
rank = int(os.environ.get("RANK", "0"))
with open(os.path.join(options.out, f"lrs.rank{rank}.json"), "w") as f:
    json.dump({"world_size": args.world_size, "global_step": trainer.state.global_step, "lrs": recorder.lrs}, f)

import torch.distributed as dist  # noqa: E402

if dist.is_initialized():  # under torchrun: nothing may hold the process group when it is torn down
    del trainer
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()
