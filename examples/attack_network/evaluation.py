"""Success rates and throughput of the attack network and the baselines, white-box and black-box.

Two settings, as in the NIPS'17 competition, where the defenses were unknown to the attacks:

- **white-box**: each training target is attacked with its own gradients (the baselines) or with
  a hint from itself (the attack network, which was trained against it);
- **transfer** (black-box): each held-out classifier, among them an adversarially trained
  defense, is attacked by methods that see only the training targets: the baselines use the
  gradients of the training ensemble (logits averaged, as Dong et al. attack an ensemble), the
  attack network its hint from one training target. The adversarial images do not depend on
  the defense, so each method makes them once and every held-out classifier is scored on them.

Success rate: among the test images a classifier gets right when clean, the fraction it gets
wrong after the attack. The competition-style score is the mean transfer success over the
held-out classifiers. Images/s: test images attacked per second at one epsilon, wall-clock, with
the same batch size on the same device for every method; the methods take turns batch by batch,
so load from other processes hits them alike. The attack network's one pass yields every
epsilon's image, which this figure does not count (its time is not divided by the number of
epsilons, the baselines' time is).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from attack_net import AttackNetwork, check_linf_bound
from baselines import baseline_attacks

ATTACK_NETWORK = "attack network"
WHITE_BOX, TRANSFER = "white-box", "transfer"


@dataclass
class Classifier:
    """A frozen classifier and what the table says about it."""

    name: str
    model: nn.Module
    clean_accuracy: float
    adversarially_trained: bool = False
    held_out: bool = False


class Ensemble(nn.Module):
    """Mean logits of frozen classifiers: the source model of the black-box baselines."""

    def __init__(self, models: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(models)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(0)


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    return torch.cat([model(xb).argmax(1) for xb in x.split(batch_size)])


def generate(net: AttackNetwork, hint_model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """All epsilons' adversarial images for ``x``; the bound is checked on this batch too."""
    hint = net.make_hint(hint_model, x)
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


def evaluate_attack_network(net: AttackNetwork, targets: list[Classifier], held_out: list[Classifier],
                            hint_model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                            batch_size: int = 256) -> dict[str, float]:
    """Validation log values: white-box success per target, transfer success per held-out classifier."""
    was_training = net.training
    net.eval()
    values: dict[str, float] = {}
    for target in targets:
        batches = [generate(net, target.model, xb) for xb in x.split(batch_size)]
        _score(values, "validation/success", target, batches, net.epsilons, x, y)
    if held_out:
        batches = [generate(net, hint_model, xb) for xb in x.split(batch_size)]
        for classifier in held_out:
            _score(values, "validation/transfer", classifier, batches, net.epsilons, x, y)
        for eps in net.epsilons:
            rates = [values[f"validation/transfer/{c.name}/eps{eps:g}"] for c in held_out]
            values[f"validation/transfer_score/eps{eps:g}"] = sum(rates) / len(rates)
    for eps in net.epsilons:
        rates = [values[f"validation/success/{t.name}/eps{eps:g}"] for t in targets]
        values[f"validation/success/eps{eps:g}"] = sum(rates) / len(rates)
    net.train(was_training)
    return values


def _score(values, prefix, classifier, batches, epsilons, x, y) -> None:
    correct = predict(classifier.model, x) == y
    values[f"validation/clean_accuracy/{classifier.name}"] = float(correct.float().mean())
    for i, eps in enumerate(epsilons):
        x_adv = torch.cat([b[i] for b in batches])
        values[f"{prefix}/{classifier.name}/eps{eps:g}"] = success_rate(classifier.model, x_adv, y, correct)
        values[f"validation/delta_ratio/{classifier.name}/eps{eps:g}"] = float((x_adv - x).abs().mean()) / eps


def comparison_jobs(targets: list[Classifier], held_out: list[Classifier]) -> list[tuple[str, str | None]]:
    """The units of the final comparison, to share among ranks: one per target, one for transfer."""
    return [(WHITE_BOX, t.name) for t in targets] + ([(TRANSFER, None)] if held_out else [])


def compare(net: AttackNetwork, job: tuple[str, str | None], targets: list[Classifier], held_out: list[Classifier],
            hint_model: nn.Module, x: torch.Tensor, y: torch.Tensor, iterations: int = 10,
            batch_size: int = 64) -> list[dict]:
    """Table rows of one job: every method attacks the same images in the same batches."""
    setting, name = job
    if setting == WHITE_BOX:
        target = next(t for t in targets if t.name == name)
        source, hint, scored = target.model, target.model, [target]
    else:
        source, hint, scored = Ensemble([t.model for t in targets]), hint_model, held_out
    net.eval()
    labels = predict(source, x)  # label-free, as in the competition: attack the source's own prediction
    attacks = baseline_attacks(iterations)
    methods = [ATTACK_NETWORK, *attacks]
    seconds = dict.fromkeys(methods, 0.0)
    adversarial = {method: [[] for _ in net.epsilons] for method in methods}
    _warm_up(net, hint, source, attacks, x[:8], labels[:8], net.epsilons[-1])
    for xb, lb in zip(x.split(batch_size), labels.split(batch_size)):
        started = _clock(xb)
        outputs = generate(net, hint, xb)
        seconds[ATTACK_NETWORK] += _clock(xb) - started
        for i, x_adv in enumerate(outputs):
            adversarial[ATTACK_NETWORK][i].append(x_adv)
        for method, attack in attacks.items():
            for i, eps in enumerate(net.epsilons):
                started = _clock(xb)
                x_adv = attack(source, xb, lb, eps)
                seconds[method] += (_clock(xb) - started) / len(net.epsilons)
                check_linf_bound(xb, x_adv, eps)
                adversarial[method][i].append(x_adv)
    rows = []
    for classifier in scored:
        correct = predict(classifier.model, x) == y
        for method in methods:
            rates = [success_rate(classifier.model, torch.cat(parts), y, correct) for parts in adversarial[method]]
            rows.append({"method": method, "setting": setting, "classifier": classifier.name,
                         "adversarially_trained": classifier.adversarially_trained,
                         "gradients_from": [t.name for t in targets] if setting == TRANSFER else [classifier.name],
                         "clean_accuracy": classifier.clean_accuracy, "images": len(x), "batch_size": batch_size,
                         "device": str(x.device), "images_per_sec": len(x) / max(seconds[method], 1e-9),
                         "success": {f"{eps:g}": rate for eps, rate in zip(net.epsilons, rates)}})
    return rows


def _clock(x: torch.Tensor) -> float:
    """Wall-clock seconds after the device has finished its queued work (CUDA runs asynchronously)."""
    if x.is_cuda:
        torch.cuda.synchronize(x.device)
    return time.perf_counter()


def _warm_up(net, hint, source, attacks, x, labels, eps) -> None:
    """First calls pay for allocator and kernel set-up; keep that out of every method's timing."""
    generate(net, hint, x)
    for attack in attacks.values():
        attack(source, x, labels, eps)
