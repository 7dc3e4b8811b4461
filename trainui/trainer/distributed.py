"""Sharing commands between ranks so every rank applies them at the same iteration.

Only rank 0 reads files. On every ``step()`` it broadcasts one int64 (the length of the JSON
payload of due commands, 0 almost always); only when that is non-zero does a second broadcast
carry the payload, and after applying, one ``all_reduce`` counts the ranks that applied each
command. So a poll with nothing pending costs exactly one scalar collective, and ranks cannot
disagree about when a command ran, because they all see it in the same ``step()`` call.

A command answered after later steps (a hyperparameter change that must hold, see steering.py)
needs every rank's verdict: in the step where it is due, the length broadcast becomes one
``all_reduce`` of ``[length, verdict, ...]`` (rank 0 alone adds the length), so that step still
costs one collective.

Works with any backend torch.distributed offers; with nccl the tensors live on the current CUDA
device, as nccl requires.
"""
from __future__ import annotations

import json
import os
import sys


class LocalComm:
    """A single process: rank 0 of 1, no collectives."""

    rank = 0
    world_size = 1
    distributed = False

    def share(self, payload: list | None) -> list:
        return payload or []

    def count_applied(self, flags: list[int]) -> list[int]:
        return list(flags)

    def share_counting(self, payload: list | None, flags: list[int]) -> tuple[list, list[int]]:
        return payload or [], list(flags)

    def average(self, values: list[float]) -> list[float]:
        return list(values)


class TorchComm:
    """torch.distributed's default process group."""

    distributed = True

    def __init__(self):
        import torch
        import torch.distributed as dist

        self._torch, self._dist = torch, dist
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        if dist.get_backend() == "nccl":
            self.device = torch.device("cuda", torch.cuda.current_device())
        else:
            self.device = torch.device("cpu")
        self._length = torch.zeros(1, dtype=torch.int64, device=self.device)

    def share(self, payload: list | None) -> list:
        """Rank 0 passes the due records (JSON-able); every rank gets the same list back."""
        torch, dist = self._torch, self._dist
        data = b""
        if self.rank == 0:
            data = json.dumps(payload).encode("utf-8") if payload else b""
            self._length.fill_(len(data))
        dist.broadcast(self._length, src=0)
        return self._payload(data, int(self._length.item()))

    def share_counting(self, payload: list | None, flags: list[int]) -> tuple[list, list[int]]:
        """``share`` and ``count_applied(flags)`` in one all_reduce (plus the payload when there is one)."""
        torch, dist = self._torch, self._dist
        data = json.dumps(payload).encode("utf-8") if self.rank == 0 and payload else b""
        counts = torch.tensor([len(data), *flags], dtype=torch.int64, device=self.device)
        dist.all_reduce(counts)
        values = [int(c) for c in counts.cpu().tolist()]
        return self._payload(data, values[0]), values[1:]

    def _payload(self, data: bytes, length: int) -> list:
        torch, dist = self._torch, self._dist
        if length == 0:
            return []
        if self.rank == 0:
            buffer = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(self.device)
        else:
            buffer = torch.empty(length, dtype=torch.uint8, device=self.device)
        dist.broadcast(buffer, src=0)
        return json.loads(buffer.cpu().numpy().tobytes().decode("utf-8"))

    def count_applied(self, flags: list[int]) -> list[int]:
        """Per command, how many ranks applied it (1 from each rank that succeeded)."""
        counts = self._torch.tensor(flags, dtype=self._torch.int64, device=self.device)
        self._dist.all_reduce(counts)
        return [int(c) for c in counts.cpu().tolist()]

    def average(self, values: list[float]) -> list[float]:
        tensor = self._torch.tensor(values, dtype=self._torch.float64, device=self.device)
        self._dist.all_reduce(tensor)
        return [v / self.world_size for v in tensor.cpu().tolist()]


class NoProcessGroup(RuntimeError):
    """Started as one of several processes (torchrun) without a process group: every process would
    think it is rank 0 and write the same result files, corrupting them."""


def detect() -> LocalComm | TorchComm:
    """The comm for this process, without importing torch if the script has not."""
    if "torch" in sys.modules:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return TorchComm() if dist.get_world_size() > 1 else LocalComm()
    world_size = os.environ.get("WORLD_SIZE", "1")
    if world_size.isdigit() and int(world_size) > 1:
        raise NoProcessGroup(
            f"trainui.Run: this process is one of {world_size} started by torchrun (WORLD_SIZE={world_size}, "
            f"RANK={os.environ.get('RANK', '?')}), but torch.distributed is not initialised, so every process would "
            "write the same result files. Call torch.distributed.init_process_group('gloo') (or 'nccl' on GPUs) "
            "before trainui.Run(...); then rank 0 writes the result and every rank applies each command at the "
            "same iteration.")
    return LocalComm()
