"""The per-image gradient attacks the attack network competes with: FGSM, iterative FGSM, MI-FGSM.

These are what most NIPS'17 teams ran (MI-FGSM, by Dong et al., won both attack tracks). Each
needs one forward and backward pass through the classifier per iteration and per image; the
attack network needs one pass of its own plus one for the gradient hint, which is where its
speed comes from. Like the attack network, they attack the classifier's own prediction, and
the result is bounded in L-infinity by epsilon and clipped to [0, 1].
"""
from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


def _input_gradient(classifier: nn.Module, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(classifier(x), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(classifier: nn.Module, x: torch.Tensor, labels: torch.Tensor, eps: float) -> torch.Tensor:
    """Goodfellow et al. 2015: one step of size epsilon along the gradient's sign."""
    return (x + eps * _input_gradient(classifier, x, labels).sign()).clamp(0.0, 1.0)


def iterative_fgsm(classifier: nn.Module, x: torch.Tensor, labels: torch.Tensor, eps: float,
                   iterations: int = 10) -> torch.Tensor:
    """Kurakin et al. 2017: ``iterations`` signed steps of epsilon / iterations, projected each time."""
    step, x_adv = eps / iterations, x.clone()
    for _ in range(iterations):
        x_adv = x_adv + step * _input_gradient(classifier, x_adv, labels).sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0.0, 1.0)
    return x_adv


def mi_fgsm(classifier: nn.Module, x: torch.Tensor, labels: torch.Tensor, eps: float, iterations: int = 10,
            decay: float = 1.0) -> torch.Tensor:
    """Dong et al. 2018: iterative FGSM with a momentum of L1-normalised gradients."""
    step, x_adv, momentum = eps / iterations, x.clone(), torch.zeros_like(x)
    for _ in range(iterations):
        grad = _input_gradient(classifier, x_adv, labels)
        momentum = decay * momentum + grad / grad.flatten(1).abs().sum(1).clamp_min(1e-12).view(-1, 1, 1, 1)
        x_adv = x_adv + step * momentum.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0.0, 1.0)
    return x_adv


def baseline_attacks(iterations: int = 10) -> dict:
    """Name -> attack(classifier, x, labels, eps); the names carry the iteration count shown in the table."""
    return {
        "FGSM": fgsm,
        f"I-FGSM ({iterations} it.)": partial(iterative_fgsm, iterations=iterations),
        f"MI-FGSM ({iterations} it.)": partial(mi_fgsm, iterations=iterations),
    }
