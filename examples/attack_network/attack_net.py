"""The attack network: one forward pass turns an image into adversarial images, one per epsilon.

Following Preferred Networks' NIPS'17 entry: a fully convolutional encoder-decoder with skip
connections (so it works at any image size divisible by 2**depth and keeps pixel-level detail),
a gradient hint (a classifier's input gradient, fed as extra channels: it tells the network
where the classifier is sensitive, which it could not infer from the image alone), and one
output head per epsilon sharing the trunk (multi-task: a single pass serves every budget).
The L-infinity bound holds by construction: delta = epsilon * tanh(h), then the image is
clipped to [0, 1], which can only shrink |delta|. ``check_linf_bound`` verifies it anyway, on
every batch, because a silent violation would make every success rate meaningless.
"""
from __future__ import annotations

from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

BOUND_TOLERANCE = 1e-5  # float32 rounding of x + eps * tanh(h) near the clip


def _block(cin: int, cout: int, stride: int = 1, norm: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1)]
    return nn.Sequential(*layers, *([nn.BatchNorm2d(cout)] if norm else []), nn.ReLU(inplace=True))


class AttackNetwork(nn.Module):
    """Encoder-decoder (U-Net style) with ``len(epsilons)`` output heads."""

    def __init__(self, channels: int, epsilons: list[float], width: int = 16, depth: int = 2, norm: bool = True,
                 use_hint: bool = True):
        super().__init__()
        self.use_hint = use_hint
        block = partial(_block, norm=norm)
        self.epsilons = [float(e) for e in epsilons]
        self.channels, self.depth = channels, depth
        widths = [width * 2 ** level for level in range(depth + 1)]
        self.stem = block(2 * channels, widths[0])
        self.down = nn.ModuleList(
            nn.Sequential(block(widths[i], widths[i + 1], stride=2), block(widths[i + 1], widths[i + 1]))
            for i in range(depth))
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth)))
        self.merge = nn.ModuleList(block(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.heads = nn.ModuleList(nn.Conv2d(widths[0], channels, 3, padding=1) for _ in self.epsilons)

    def make_hint(self, classifier: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The gradient hint from ``classifier``; zeros (and no classifier pass) for a hint-free network."""
        return gradient_hint(classifier, x) if self.use_hint else torch.zeros_like(x)

    def forward(self, x: torch.Tensor, hint: torch.Tensor) -> list[torch.Tensor]:
        """Adversarial images in [0, 1], one per epsilon, each within epsilon of ``x`` in L-infinity."""
        if x.shape[-1] % 2 ** self.depth or x.shape[-2] % 2 ** self.depth:
            raise ValueError(f"image size {tuple(x.shape[-2:])} must be divisible by {2 ** self.depth}")
        h = self.stem(torch.cat([x, hint], dim=1))
        skips = [h]
        for down in self.down:
            h = down(h)
            skips.append(h)
        skips.pop()
        for up, merge in zip(self.up, self.merge):
            h = merge(torch.cat([up(h), skips.pop()], dim=1))
        return [(x + eps * torch.tanh(head(h))).clamp(0.0, 1.0) for eps, head in zip(self.epsilons, self.heads)]


def gradient_hint(classifier: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The classifier's input gradient of its loss at its own prediction, scaled to [-1, 1] per image.

    The predicted label (not the true one) keeps the attack label-free, as in the competition;
    on correctly classified images they coincide. Scaling by the per-image maximum keeps the
    pattern and drops the magnitude, which varies by orders between architectures.
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = classifier(x)
        loss = F.cross_entropy(logits, logits.argmax(1).detach(), reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    scale = grad.flatten(1).abs().amax(1).clamp_min(1e-12).view(-1, *[1] * (grad.dim() - 1))
    return grad / scale


def check_linf_bound(x: torch.Tensor, x_adv: torch.Tensor, eps: float) -> float:
    """Raise if any pixel moved more than ``eps`` or left [0, 1]; return max |delta| / eps.

    An explicit raise, not ``assert``, so ``python -O`` cannot switch the check off.
    """
    x, x_adv = x.detach(), x_adv.detach()
    max_delta = float((x_adv - x).abs().max())
    if max_delta > eps + BOUND_TOLERANCE:
        raise AssertionError(f"L-infinity bound violated: max |delta| = {max_delta:.6f} > epsilon = {eps}")
    if float(x_adv.min()) < 0.0 or float(x_adv.max()) > 1.0:
        raise AssertionError("adversarial image left the pixel range [0, 1]")
    return max_delta / eps


def attack_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log(1 - p(label)): small once the label is improbable, and bounded below, unlike -CE.

    Maximising cross-entropy rewards pushing already-fooled images further; this loss spends
    the gradient on the images that still resist.
    """
    log_p = F.log_softmax(logits, dim=1).gather(1, labels[:, None]).squeeze(1)
    return -torch.log1p(-log_p.exp().clamp(max=1 - 1e-6)).mean()
