"""One rank's share of attack-network training: its batches, its target classifier(s), its statistics.

Data parallel for the attack network (DDP averages its gradients), model parallel across the
classifier ensemble (each rank backpropagates through a different frozen classifier), as in
PFN's 128-GPU ChainerMN run. With fewer ranks than targets a rank attacks every target of its
share in each iteration (multi-target: one optimizer step for the summed losses), so a single
process trains against the same ensemble as many ranks would. The per-epsilon losses are
weighted (``eps_weights``): the smallest budget is the hardest and gains most from more weight.
"""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import nullcontext

import torch
import torch.nn as nn

from attack_net import AttackNetwork, attack_loss, check_linf_bound
from evaluation import Classifier


def share(targets: list[Classifier], rank: int, world_size: int) -> list[Classifier]:
    """This rank's targets: a disjoint slice when there are enough targets, else one reused target."""
    if world_size <= len(targets):
        return targets[rank::world_size]
    return [targets[rank % len(targets)]]


class RankTrainer:
    """Runs training iterations and accumulates this rank's statistics between two log calls."""

    def __init__(self, ddp_net: nn.Module, net: AttackNetwork, optimizer: torch.optim.Optimizer,
                 targets: list[Classifier], train_x: torch.Tensor, train_y: torch.Tensor, batch_size: int,
                 seed: int, device: torch.device, eps_weights: list[float] | None = None):
        self.ddp_net, self.net, self.optimizer, self.targets = ddp_net, net, optimizer, targets
        weights = torch.tensor(eps_weights or [1.0] * len(net.epsilons), dtype=torch.float32)
        self.eps_weights = (weights / weights.sum()).to(device)
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
        self.optimizer.zero_grad(set_to_none=True)
        for k, target in enumerate(self.targets):
            # DDP averages gradients over ranks at a backward; with several targets per rank only the
            # last backward of the iteration synchronises, the earlier ones accumulate locally.
            last = k == len(self.targets) - 1
            with (nullcontext() if last or not hasattr(self.ddp_net, "no_sync") else self.ddp_net.no_sync()):
                self._attack(target, x, y)
        self.optimizer.step()
        self.images += len(x)

    def _attack(self, target: Classifier, x: torch.Tensor, y: torch.Tensor) -> None:
        """Forward and backward for one target; the gradients add up over this rank's targets."""
        hint = self.net.make_hint(target.model, x)
        outputs = self.ddp_net(x, hint)
        for eps, x_adv in zip(self.net.epsilons, outputs):
            self.max_delta_ratio = max(self.max_delta_ratio, check_linf_bound(x, x_adv.detach(), eps))
            self.bound_checks += 1
        logits = target.model(torch.cat(outputs)).view(len(outputs), len(x), -1)
        with torch.no_grad():
            clean_prediction = target.model(x).argmax(1)
        losses = torch.stack([attack_loss(l, clean_prediction) for l in logits])
        loss = (losses * self.eps_weights).sum() / len(self.targets)
        loss.backward()
        self._record(target, x, y, outputs, logits, clean_prediction, float(losses.detach().mean()))

    @torch.no_grad()
    def _record(self, target, x, y, outputs, logits, clean_prediction, loss) -> None:
        self._add("main/loss", loss)
        correct = clean_prediction == y
        for eps, x_adv, eps_logits in zip(self.net.epsilons, outputs, logits):
            fooled = float(((eps_logits.argmax(1) != y) & correct).sum())
            self._add(f"main/success/eps{eps:g}", fooled, int(correct.sum()))
            self._add(f"main/success/{target.name}/eps{eps:g}", fooled, int(correct.sum()))
            self._add(f"main/delta_ratio/eps{eps:g}", float((x_adv - x).abs().mean()) / eps)

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
