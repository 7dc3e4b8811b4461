"""One rank's share of attack-network training: its batches, its target classifier(s), its statistics.

Data parallel for the attack network (DDP averages its gradients), model parallel across the
classifier ensemble (each rank backpropagates through a different frozen classifier), as in
PFN's 128-GPU ChainerMN run. With fewer ranks than targets a rank cycles through its share,
one target per iteration, so a single process still trains against every target.
"""
from __future__ import annotations

import time
from collections import defaultdict

import torch
import torch.nn as nn

from attack_net import AttackNetwork, attack_loss, check_linf_bound, gradient_hint
from evaluation import Target


def share(targets: list[Target], rank: int, world_size: int) -> list[Target]:
    """This rank's targets: a disjoint slice when there are enough targets, else one reused target."""
    if world_size <= len(targets):
        return targets[rank::world_size]
    return [targets[rank % len(targets)]]


class RankTrainer:
    """Runs training iterations and accumulates this rank's statistics between two log calls."""

    def __init__(self, ddp_net: nn.Module, net: AttackNetwork, optimizer: torch.optim.Optimizer,
                 targets: list[Target], train_x: torch.Tensor, train_y: torch.Tensor, batch_size: int,
                 seed: int, device: torch.device):
        self.ddp_net, self.net, self.optimizer, self.targets = ddp_net, net, optimizer, targets
        self.train_x, self.train_y, self.batch_size, self.device = train_x, train_y, batch_size, device
        self.generator = torch.Generator().manual_seed(seed)
        self.bound_checks = 0
        self._reset()

    def _reset(self) -> None:
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.max_delta_ratio = 0.0
        self.images, self.started = 0, time.perf_counter()

    def step(self, iteration: int) -> None:
        index = torch.randint(len(self.train_x), (self.batch_size,), generator=self.generator)
        x, y = self.train_x[index].to(self.device), self.train_y[index].to(self.device)
        target = self.targets[iteration % len(self.targets)]
        hint = gradient_hint(target.model, x)
        outputs = self.ddp_net(x, hint)
        for eps, x_adv in zip(self.net.epsilons, outputs):
            self.max_delta_ratio = max(self.max_delta_ratio, check_linf_bound(x, x_adv.detach(), eps))
            self.bound_checks += 1
        logits = target.model(torch.cat(outputs)).view(len(outputs), len(x), -1)
        with torch.no_grad():
            clean_prediction = target.model(x).argmax(1)
        loss = torch.stack([attack_loss(l, clean_prediction) for l in logits]).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._record(target, x, y, outputs, logits, clean_prediction, loss.item())

    @torch.no_grad()
    def _record(self, target, x, y, outputs, logits, clean_prediction, loss) -> None:
        self._add("main/loss", loss)
        correct = clean_prediction == y
        for eps, x_adv, eps_logits in zip(self.net.epsilons, outputs, logits):
            fooled = float(((eps_logits.argmax(1) != y) & correct).sum())
            self._add(f"main/success/eps{eps:g}", fooled, int(correct.sum()))
            self._add(f"main/success/{target.name}/eps{eps:g}", fooled, int(correct.sum()))
            self._add(f"main/delta_ratio/eps{eps:g}", float((x_adv - x).abs().mean()) / eps)
        self.images += len(x)

    def _add(self, key: str, value: float, count: int = 1) -> None:
        self.sums[key] += value
        self.counts[key] += count

    def take_stats(self) -> dict:
        """This rank's statistics since the last call, in a form ``merge_stats`` can add up across ranks."""
        stats = {"sums": dict(self.sums), "counts": dict(self.counts), "max_delta_ratio": self.max_delta_ratio,
                 "images_per_sec": self.images / max(time.perf_counter() - self.started, 1e-9),
                 "bound_checks": self.bound_checks}
        self._reset()
        return stats


def merge_stats(per_rank: list[dict]) -> dict[str, float]:
    """Log values of all ranks: means weighted by counts, the worst bound ratio, total throughput."""
    sums, counts = defaultdict(float), defaultdict(int)
    for stats in per_rank:
        for key, value in stats["sums"].items():
            sums[key] += value
            counts[key] += stats["counts"][key]
    values = {key: sums[key] / counts[key] for key in sums if counts[key]}
    values["main/max_delta_ratio"] = max(stats["max_delta_ratio"] for stats in per_rank)
    values["main/images_per_sec"] = sum(stats["images_per_sec"] for stats in per_rank)
    values["main/bound_checked_batches"] = sum(stats["bound_checks"] for stats in per_rank)
    return values
