"""Success rates and throughput of the attack network and the baselines, on the same test images.

Success rate: among the test images a classifier gets right when clean, the fraction it gets
wrong after the attack (images it already misclassifies are not counted as successes).
Images/s: input images attacked per second at one epsilon, wall-clock, on the same test images
in the same batches for every method; the attack network's single pass also yields the images
for the other epsilons, which this figure does not count (so it understates its advantage).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from attack_net import AttackNetwork, check_linf_bound, gradient_hint
from baselines import baseline_attacks

ATTACK_NETWORK = "attack network"


@dataclass
class Target:
    """A frozen classifier, and the classifier whose gradient serves as the hint when attacking it.

    For a training target the hint comes from the target itself (white box); for the held-out
    classifier it comes from a training target, so its success rate measures transfer.
    """

    name: str
    model: nn.Module
    hint_model: nn.Module
    clean_accuracy: float
    held_out: bool = False


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    return torch.cat([model(xb).argmax(1) for xb in x.split(batch_size)])


def generate(net: AttackNetwork, target: Target, x: torch.Tensor) -> list[torch.Tensor]:
    """All epsilons' adversarial images for ``x``; the bound is checked on this batch too."""
    hint = gradient_hint(target.hint_model, x)
    with torch.no_grad():
        outputs = net(x, hint)
    for eps, x_adv in zip(net.epsilons, outputs):
        check_linf_bound(x, x_adv, eps)
    return outputs


def success_rate(model: nn.Module, x_adv: torch.Tensor, labels: torch.Tensor, correct: torch.Tensor) -> float:
    if int(correct.sum()) == 0:
        return float("nan")
    fooled = predict(model, x_adv) != labels
    return float((fooled & correct).sum()) / float(correct.sum())


def evaluate_attack_network(net: AttackNetwork, targets: list[Target], x: torch.Tensor, y: torch.Tensor,
                            batch_size: int = 256) -> dict[str, float]:
    """Log values for ``targets``: clean accuracy, success and mean |delta|/eps per epsilon."""
    was_training = net.training
    net.eval()
    values: dict[str, float] = {}
    for target in targets:
        correct = predict(target.model, x) == y
        batches = [generate(net, target, xb) for xb in x.split(batch_size)]
        values[f"validation/clean_accuracy/{target.name}"] = float(correct.float().mean())
        for i, eps in enumerate(net.epsilons):
            x_adv = torch.cat([b[i] for b in batches])
            rate = success_rate(target.model, x_adv, y, correct)
            values[f"validation/success/{target.name}/eps{eps:g}"] = rate
            if target.held_out:
                values[f"validation/transfer_success/eps{eps:g}"] = rate
            values[f"validation/delta_ratio/{target.name}/eps{eps:g}"] = float((x_adv - x).abs().mean()) / eps
    net.train(was_training)
    return values


def benchmark(net: AttackNetwork, targets: list[Target], x: torch.Tensor, y: torch.Tensor, iterations: int = 10,
              batch_size: int = 32) -> list[dict]:
    """One row per (method, classifier): success per epsilon and images/s, all on the same images.

    The methods take turns batch by batch, so a burst of load from other processes on the
    machine slows all of them alike instead of skewing one method's figure.
    """
    net.eval()
    rows = []
    for target in targets:
        labels = predict(target.model, x)
        correct = labels == y
        attacks = baseline_attacks(iterations)
        methods = [ATTACK_NETWORK, *attacks]
        seconds = dict.fromkeys(methods, 0.0)
        adversarial = {method: [[] for _ in net.epsilons] for method in methods}
        _warm_up(net, target, attacks, x[:8], labels[:8], net.epsilons[-1])
        for xb, lb in zip(x.split(batch_size), labels.split(batch_size)):
            started = _clock(xb)
            outputs = generate(net, target, xb)
            seconds[ATTACK_NETWORK] += _clock(xb) - started
            for i, x_adv in enumerate(outputs):
                adversarial[ATTACK_NETWORK][i].append(x_adv)
            for method, attack in attacks.items():
                for i, eps in enumerate(net.epsilons):
                    started = _clock(xb)
                    x_adv = attack(target.model, xb, lb, eps)
                    seconds[method] += (_clock(xb) - started) / len(net.epsilons)
                    check_linf_bound(xb, x_adv, eps)
                    adversarial[method][i].append(x_adv)
        for method in methods:
            rates = [success_rate(target.model, torch.cat(parts), y, correct) for parts in adversarial[method]]
            rows.append(_row(method, target, net.epsilons, seconds[method], len(x), rates))
    return rows


def _row(method: str, target: Target, epsilons: list[float], seconds: float, n: int, rates: list[float]) -> dict:
    return {"method": method, "classifier": target.name, "held_out": target.held_out,
            "clean_accuracy": target.clean_accuracy, "images": n, "images_per_sec": n / max(seconds, 1e-9),
            "success": {f"{eps:g}": rate for eps, rate in zip(epsilons, rates)}}


def _clock(x: torch.Tensor) -> float:
    """Wall-clock seconds after the device has finished its queued work (CUDA runs asynchronously)."""
    if x.is_cuda:
        torch.cuda.synchronize(x.device)
    return time.perf_counter()


def _warm_up(net, target, attacks, x, labels, eps) -> None:
    """First calls pay for allocator and kernel set-up; keep that out of every method's timing."""
    generate(net, target, x)
    for attack in attacks.values():
        attack(target.model, x, labels, eps)
