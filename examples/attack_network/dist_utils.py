"""The little torch.distributed the example needs, so it runs the same with and without torchrun."""
from __future__ import annotations

import gc
import os
from datetime import timedelta

import torch
import torch.distributed as dist


def world() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) for a plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def init(world_size: int, device: torch.device) -> None:
    """Join the process group. The long timeout covers classifier training on other ranks before it."""
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timedelta(minutes=60))


def gather(obj, world_size: int) -> list:
    """Every rank's ``obj`` on every rank (pickled; only small dicts and lists go through here)."""
    if world_size == 1:
        return [obj]
    objects = [None] * world_size
    dist.all_gather_object(objects, obj)
    return objects


def barrier(world_size: int) -> None:
    if world_size > 1:
        dist.barrier()


def shutdown(world_size: int) -> None:
    """Tear the process group down once nothing holds it (gloo can abort a rank at interpreter
    exit otherwise), after every rank is done with its last collective."""
    if dist.is_initialized():
        gc.collect()
        barrier(world_size)
        dist.destroy_process_group()
