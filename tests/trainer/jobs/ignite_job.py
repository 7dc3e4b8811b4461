"""An Ignite trainer on ``--nproc`` processes started by ``ignite.distributed.Parallel`` (gloo), with
trainui's logger on every rank; each rank writes the lr its optimizer used at every iteration to
``lrs.rank<k>.json``."""
import argparse
import gc
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/trainer

import ignite.distributed as idist  # noqa: E402

import tiny_models  # noqa: E402


def training(local_rank, out):
    trainer, loader, logger, lrs, _ = tiny_models.ignite_training(out, "cosine")
    trainer.run(loader, max_epochs=5)
    logger.close()
    with open(os.path.join(out, f"lrs.rank{idist.get_rank()}.json"), "w") as f:
        json.dump({"world_size": idist.get_world_size(), "iterations": trainer.state.iteration, "lrs": lrs}, f)
    # Ignite's engine and its handlers hold the DDP model in reference cycles: collect them before
    # Parallel tears the process group down, or gloo can abort a rank (as the examples say).
    del trainer, loader, logger
    gc.collect()
    idist.barrier()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--nproc", type=int, default=2)
    options = parser.parse_args()
    with idist.Parallel(backend="gloo", nproc_per_node=options.nproc) as parallel:
        parallel.run(training, options.out)
