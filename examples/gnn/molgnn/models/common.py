"""Pieces the models share: a small MLP head and masked sums over padded atoms."""
from __future__ import annotations

import torch
from torch import nn

from ..featurize import NUM_BOND_TYPES


def mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))


def masked_sum(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum over atoms (dim 1) ignoring padding; x is [B, N, H], mask [B, N]."""
    return (x * mask.unsqueeze(-1).to(x.dtype)).sum(1)


def typed_adjacency(bonds: torch.Tensor) -> torch.Tensor:
    """[B, N, N] bond-type codes (0 = none) -> [B, types, N, N] 0/1 adjacency per bond type."""
    one_hot = nn.functional.one_hot(bonds, NUM_BOND_TYPES + 1)[..., 1:]
    return one_hot.permute(0, 3, 1, 2).float()
