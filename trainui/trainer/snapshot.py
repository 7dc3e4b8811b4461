"""Snapshots a job can resume from: model, optimizer(s), scheduler(s), AMP grad scaler, iteration,
epoch and RNG states.

Written to a temporary file and renamed, so the server (which lists ``snapshot_iter_*``) and a
job resuming after a crash never see half a snapshot. The RNG states make a resumed run draw
the same batches and dropout masks it would have drawn. A hyperparameter change made under a
scheduler lives in the optimizer's param groups (see schedules.py), so the optimizer and scheduler
states together resume the changed schedule. The same files feed the ``restore`` command (see
restore.py); snapshots written before the scaler was saved hold no ``scaler`` key and still load.
"""
from __future__ import annotations

import os
import random
import sys
import time
from typing import Any

from trainui import protocol
from trainui.trainer import schedules
from trainui.trainer.result_dir import note_snapshot_loaded


def save_snapshot(
    out: str,
    iteration: int,
    epoch: int | None = None,
    model: Any = None,
    optimizers: list | None = None,
    rank: int | None = None,
    extra: dict | None = None,
    schedulers: list | None = None,
    scaler: Any = None,
) -> str:
    """Write ``snapshot_iter_<N>.pt`` (``snapshot_iter_<N>.rank<k>.pt`` when ``rank`` is given)."""
    import torch

    ext = ".pt" if rank is None else f".rank{int(rank)}.pt"
    path = os.path.join(out, protocol.snapshot_name(iteration, ext))
    optimizers = optimizers or []
    state = {
        "format": "trainui-snapshot-1",
        "iteration": int(iteration),
        "epoch": epoch,
        "created_at": time.time(),
        "model": unwrap(model).state_dict() if model is not None else None,
        "optimizer": optimizers[0].state_dict() if len(optimizers) == 1 else [o.state_dict() for o in optimizers],
        "schedulers": [s.state_dict() if hasattr(s, "state_dict") else None for s in schedulers or []],
        "scaler": scaler.state_dict() if scaler is not None else None,
        "rng": rng_states(),
        "extra": extra or {},
    }
    protocol.atomic_write(path, lambda f: torch.save(state, f))
    return path


def load_snapshot(path: str, model: Any = None, optimizer: Any = None, restore_rng: bool = True,
                  map_location: Any = "cpu", scheduler: Any = None) -> dict:
    """Load a snapshot into ``model``/``optimizer``/``scheduler`` (one or a list, in the order the
    run registered them) and return its contents.

    The returned dict has ``iteration`` and ``epoch`` (continue from ``iteration + 1``).
    ``weights_only=False`` because the file holds Python and NumPy RNG states: load only
    snapshots you wrote yourself. Loaded before the ``trainui.Run`` of the snapshot's own
    directory is opened, it makes that Run resume the run there (see trainer/result_dir.py).
    """
    import torch

    state = torch.load(path, map_location=map_location, weights_only=False)
    note_snapshot_loaded(path)
    if model is not None and state.get("model") is not None:
        unwrap(model).load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer") is not None:
        saved = state["optimizer"]
        optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
        saved_list = saved if isinstance(saved, list) else [saved]
        if len(saved_list) != len(optimizers):
            raise ValueError(f"snapshot has {len(saved_list)} optimizer states, got {len(optimizers)} optimizers")
        for opt, opt_state in zip(optimizers, saved_list):
            opt.load_state_dict(opt_state)
    if scheduler is not None:
        schedulers = list(scheduler) if isinstance(scheduler, (list, tuple)) else [scheduler]
        saved = state.get("schedulers") or []
        if len(saved) != len(schedulers):
            raise ValueError(f"snapshot has {len(saved)} scheduler states, got {len(schedulers)} schedulers "
                             "(a snapshot holds the schedulers given to trainui.Run(scheduler=...))")
        for sched, sched_state in zip(schedulers, saved):
            if sched_state is not None:
                schedules.unwrap(sched).load_state_dict(sched_state)
    if restore_rng and state.get("rng"):
        restore_rng_states(state["rng"])
    return state


def read_snapshot_file(path: str, map_location: Any = "cpu") -> dict:
    """The contents of a snapshot file, refusing anything but a regular file (no device, FIFO or
    directory is opened); ValueError when it is not a trainui snapshot."""
    import torch

    from trainui.protocol.safe_io import open_regular

    with open_regular(path) as f:
        state = torch.load(f, map_location=map_location, weights_only=False)
    if not isinstance(state, dict) or not str(state.get("format", "")).startswith("trainui-snapshot"):
        raise ValueError(f"{os.path.basename(path)} is not a trainui snapshot")
    return state


def find_latest_snapshot(out: str) -> str | None:
    """The rank-0 snapshot with the highest iteration in ``out``, or None."""
    best, best_iteration = None, -1
    try:
        names = os.listdir(out)
    except FileNotFoundError:
        return None
    for name in names:
        match = protocol.SNAPSHOT_PATTERN.match(name)
        if match and (match.group(2) or "") == ".pt" and int(match.group(1)) > best_iteration:
            best, best_iteration = os.path.join(out, name), int(match.group(1))
    return best


def unwrap(model: Any) -> Any:
    """The module inside DistributedDataParallel/DataParallel, so snapshots load anywhere."""
    inner = getattr(model, "module", None)
    return inner if inner is not None and hasattr(inner, "state_dict") else model


def rng_states() -> dict:
    import torch

    states: dict = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if "numpy" in sys.modules:
        states["numpy"] = sys.modules["numpy"].random.get_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict) -> None:
    import torch

    if "python" in states:
        random.setstate(states["python"])
    if "torch" in states:
        torch.set_rng_state(states["torch"])
    if "numpy" in states:
        import numpy

        numpy.random.set_state(states["numpy"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
