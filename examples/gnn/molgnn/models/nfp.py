"""Neural fingerprints (Duvenaud et al. 2015): degree-specific updates, softmax fingerprint readout."""
from __future__ import annotations

import torch
from torch import nn

from ..featurize import MAX_DEGREE
from .common import masked_sum, mlp


class NFP(nn.Module):
    def __init__(self, in_dim: int, hidden: int, layers: int, fp_dim: int, n_targets: int):
        super().__init__()
        self.hidden, self.degrees = hidden, MAX_DEGREE + 1
        self.embed = nn.Linear(in_dim, hidden)
        # One weight matrix per atom degree, stored side by side in a single Linear.
        self.updates = nn.ModuleList(nn.Linear(hidden, hidden * self.degrees) for _ in range(layers))
        self.fingerprints = nn.ModuleList(nn.Linear(hidden, fp_dim) for _ in range(layers + 1))
        self.head = mlp(fp_dim, hidden, n_targets)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["mask"]
        adjacency = (batch["bonds"] > 0).float()
        degree = adjacency.sum(-1).clamp(max=self.degrees - 1).long()
        degree_one_hot = nn.functional.one_hot(degree, self.degrees).float().unsqueeze(-1)
        h = torch.relu(self.embed(batch["atoms"])) * mask.unsqueeze(-1)
        fp = masked_sum(torch.softmax(self.fingerprints[0](h), -1), mask)
        for update, readout in zip(self.updates, self.fingerprints[1:]):
            summed = h + adjacency @ h
            per_degree = update(summed).view(*summed.shape[:2], self.degrees, self.hidden)
            h = torch.relu((per_degree * degree_one_hot).sum(2)) * mask.unsqueeze(-1)
            fp = fp + masked_sum(torch.softmax(readout(h), -1), mask)
        return self.head(fp)
