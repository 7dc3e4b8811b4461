"""SchNet (Schuett et al. 2017): continuous-filter convolutions over interatomic distances."""
from __future__ import annotations

import math

import torch
from torch import nn


def shifted_softplus(x: torch.Tensor) -> torch.Tensor:
    return nn.functional.softplus(x) - math.log(2.0)


class Interaction(nn.Module):
    def __init__(self, hidden: int, n_rbf: int):
        super().__init__()
        self.filter1, self.filter2 = nn.Linear(n_rbf, hidden), nn.Linear(hidden, hidden)
        self.in2f = nn.Linear(hidden, hidden, bias=False)
        self.f2out, self.out = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)

    def forward(self, x, rbf, envelope):
        w = self.filter2(shifted_softplus(self.filter1(rbf))) * envelope.unsqueeze(-1)  # [B,N,N,H]
        conv = (w * self.in2f(x).unsqueeze(1)).sum(2)  # sum over neighbours j
        return x + self.out(shifted_softplus(self.f2out(conv)))


class SchNet(nn.Module):
    """Readout averages atoms: HOMO/LUMO are intensive (do not grow with molecule size)."""

    def __init__(self, hidden: int, interactions: int, n_targets: int, n_rbf: int = 50,
                 cutoff: float = 5.0, gamma: float = 10.0):
        super().__init__()
        self.cutoff, self.gamma = cutoff, gamma
        self.register_buffer("centers", torch.linspace(0.0, cutoff, n_rbf))
        self.embed = nn.Embedding(100, hidden, padding_idx=0)
        self.interactions = nn.ModuleList(Interaction(hidden, n_rbf) for _ in range(interactions))
        self.atomwise1, self.atomwise2 = nn.Linear(hidden, hidden // 2), nn.Linear(hidden // 2, n_targets)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["mask"].float()
        pos = batch["pos"]
        d = torch.cdist(pos, pos)
        rbf = torch.exp(-self.gamma * (d.unsqueeze(-1) - self.centers) ** 2)
        eye = torch.eye(pos.shape[1], device=pos.device)
        envelope = 0.5 * (torch.cos(d * math.pi / self.cutoff) + 1.0) * (d < self.cutoff).float()
        envelope = envelope * mask.unsqueeze(1) * mask.unsqueeze(2) * (1 - eye)
        x = self.embed(batch["z"])
        for interaction in self.interactions:
            x = interaction(x, rbf, envelope) * mask.unsqueeze(-1)
        per_atom = self.atomwise2(shifted_softplus(self.atomwise1(x)))
        return (per_atom * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
