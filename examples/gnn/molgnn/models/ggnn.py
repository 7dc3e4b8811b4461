"""Gated graph neural network (Li et al. 2015): bond-type messages, a shared GRU, gated readout."""
from __future__ import annotations

import torch
from torch import nn

from ..featurize import NUM_BOND_TYPES
from .common import masked_sum, mlp, typed_adjacency


class GGNN(nn.Module):
    def __init__(self, in_dim: int, hidden: int, steps: int, n_targets: int):
        super().__init__()
        self.hidden, self.steps = hidden, steps
        self.embed = nn.Linear(in_dim, hidden)
        self.message = nn.Linear(hidden, hidden * NUM_BOND_TYPES)
        self.gru = nn.GRUCell(hidden, hidden)
        self.gate = nn.Linear(2 * hidden, hidden)
        self.value = nn.Linear(2 * hidden, hidden)
        self.head = mlp(hidden, hidden, n_targets)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["mask"]
        adjacency = typed_adjacency(batch["bonds"])  # [B, T, N, N]
        b, n = mask.shape
        h0 = torch.tanh(self.embed(batch["atoms"])) * mask.unsqueeze(-1)
        h = h0
        for _ in range(self.steps):
            per_type = self.message(h).view(b, n, NUM_BOND_TYPES, self.hidden).transpose(1, 2)
            m = (adjacency @ per_type).sum(1)  # [B, N, H]
            h = self.gru(m.reshape(b * n, -1), h.reshape(b * n, -1)).view(b, n, -1)
            h = h * mask.unsqueeze(-1)
        both = torch.cat([h, h0], -1)
        return self.head(masked_sum(torch.sigmoid(self.gate(both)) * self.value(both), mask))
