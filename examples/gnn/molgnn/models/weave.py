"""Weave (Kearnes et al. 2016): atom and atom-pair representations that update each other."""
from __future__ import annotations

import torch
from torch import nn

from ..featurize import NUM_BOND_TYPES
from .common import masked_sum, mlp

DISTANCE_BINS = 7  # topological distance 1..6, and 7+


def pair_features(bonds: torch.Tensor, distance: torch.Tensor) -> torch.Tensor:
    """Bond type (incl. none) and binned graph distance, one-hot: [B, N, N, 5 + 7]."""
    bond = nn.functional.one_hot(bonds, NUM_BOND_TYPES + 1)
    dist = nn.functional.one_hot((distance.clamp(1, DISTANCE_BINS) - 1), DISTANCE_BINS)
    return torch.cat([bond, dist], -1).float()


class WeaveLayer(nn.Module):
    def __init__(self, atom_in: int, pair_in: int, hidden: int):
        super().__init__()
        self.atom_atom = nn.Linear(atom_in, hidden)
        self.pair_atom = nn.Linear(pair_in, hidden)
        self.atom_pair = nn.Linear(2 * atom_in, hidden)
        self.pair_pair = nn.Linear(pair_in, hidden)
        self.atom_out = nn.Linear(2 * hidden, hidden)
        self.pair_out = nn.Linear(2 * hidden, hidden)

    def forward(self, a, p, mask, pair_mask):
        n = a.shape[1]
        from_pairs = (torch.relu(self.pair_atom(p)) * pair_mask.unsqueeze(-1)).sum(2)
        a_new = torch.relu(self.atom_out(torch.cat([torch.relu(self.atom_atom(a)), from_pairs], -1)))
        ai = a.unsqueeze(2).expand(-1, -1, n, -1)
        aj = a.unsqueeze(1).expand(-1, n, -1, -1)
        # Both orders, summed, so the pair representation does not depend on atom order.
        from_atoms = torch.relu(self.atom_pair(torch.cat([ai, aj], -1))) + \
            torch.relu(self.atom_pair(torch.cat([aj, ai], -1)))
        p_new = torch.relu(self.pair_out(torch.cat([from_atoms, torch.relu(self.pair_pair(p))], -1)))
        return a_new * mask.unsqueeze(-1), p_new * pair_mask.unsqueeze(-1)


class WeaveNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, layers: int, n_targets: int):
        super().__init__()
        pair_dim = NUM_BOND_TYPES + 1 + DISTANCE_BINS
        self.layers = nn.ModuleList(
            WeaveLayer(in_dim if i == 0 else hidden, pair_dim if i == 0 else hidden, hidden)
            for i in range(layers))
        self.readout = nn.Linear(hidden, hidden)
        self.head = mlp(hidden, hidden, n_targets)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["mask"]
        maskf = mask.float()
        eye = torch.eye(mask.shape[1], device=mask.device)
        pair_mask = maskf.unsqueeze(2) * maskf.unsqueeze(1) * (1 - eye)
        a, p = batch["atoms"], pair_features(batch["bonds"], batch["distance"])
        for layer in self.layers:
            a, p = layer(a, p, mask, pair_mask)
        return self.head(masked_sum(torch.relu(self.readout(a)), mask))
