"""The frozen target classifiers: architectures, training (logged as trainui results) and the cache.

The attack is only as interesting as the models it fools, so the example trains several
architectures of different families (a fully-connected net, a small and a wide CNN) and an
adversarially trained CNN: the attack network is trained against some of them, and its success
on the held-out ones (which it never saw, as the NIPS'17 defenses were unknown to the attacks)
shows whether it learned something about the data rather than one model's quirks. The
adversarially trained defense is what most competition defenses were: a classifier trained on
its own adversarial examples (Kurakin et al. 2017, *Adversarial machine learning at scale*:
half of each batch replaced by FGSM images at a random epsilon, with the model's own predictions
as labels to avoid label leaking).
Each classifier's training is its own trainui result (curves for loss and accuracy) inside
the cache directory; a finished classifier is reused by any later run with the same data and
architecture, so the attack experiments do not pay for classifier training twice.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import trainui
from images import ImageSplit

WEIGHTS_FILE = "classifier.pt"


class MLP(nn.Module):
    """Two hidden layers on the flattened image: a different inductive bias from the CNNs."""

    def __init__(self, channels: int, size: int, num_classes: int, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(channels * size * size, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    """Two conv stages with max pooling, then a fully-connected head (learns faster than global pooling)."""

    def __init__(self, channels: int, size: int, num_classes: int, width: int = 32):
        super().__init__()

        def stage(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2)]

        self.features = nn.Sequential(*stage(channels, width), *stage(width, 2 * width))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * (size // 4) ** 2, 128), nn.ReLU(),
                                  nn.Linear(128, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


ARCHITECTURES = {
    "mlp": lambda c, s, k: MLP(c, s, k),
    "cnn": lambda c, s, k: CNN(c, s, k, width=24),
    "wide_cnn": lambda c, s, k: CNN(c, s, k, width=48),
}
ADVERSARIAL_PREFIX = "adv_"  # adv_cnn, adv_mlp, ...: that architecture, adversarially trained
ADVERSARIAL_MAX_EPS = 0.3  # the training epsilons are drawn from U(0, 0.3): every budget the example attacks with


def is_adversarial(name: str) -> bool:
    return name.startswith(ADVERSARIAL_PREFIX)


def architecture(name: str) -> str:
    arch = name[len(ADVERSARIAL_PREFIX):] if is_adversarial(name) else name
    if arch not in ARCHITECTURES:
        choices = [*ARCHITECTURES, *(ADVERSARIAL_PREFIX + a for a in ARCHITECTURES)]
        raise SystemExit(f"unknown classifier {name!r}; choose from {', '.join(choices)}")
    return arch


def build(name: str, data: ImageSplit) -> nn.Module:
    return ARCHITECTURES[architecture(name)](data.channels, data.size, data.num_classes)


def adversarial_batch(model: nn.Module, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The second half of ``x`` replaced by FGSM images of the model as it is now, epsilon ~ U(0, 0.3)."""
    half = len(x) // 2
    clean, attacked = x[:half], x[half:].detach().requires_grad_(True)
    eps = torch.rand(len(attacked), *[1] * (x.dim() - 1), generator=generator) * ADVERSARIAL_MAX_EPS
    was_training = model.training
    model.eval()
    logits = model(attacked)
    (grad,) = torch.autograd.grad(F.cross_entropy(logits, logits.argmax(1).detach(), reduction="sum"), attacked)
    model.train(was_training)
    return torch.cat([clean, (attacked + eps * grad.sign()).clamp(0.0, 1.0).detach()])


def cache_key(arch: str, data_source: str, data: ImageSplit, epochs: int, seed: int) -> str:
    """A directory name that changes whenever anything that shapes the weights changes."""
    source = "digits" if not data_source else "data-" + hashlib.sha1(os.path.abspath(data_source).encode()).hexdigest()[:8]
    return f"classifier_{arch}_{source}_{data.channels}x{data.size}_e{epochs}_s{seed}"


def ensure_trained(arch: str, result_dir: str, data: ImageSplit, epochs: int, seed: int, lr: float = 2e-3,
                   batch_size: int = 64) -> None:
    """Train classifier ``arch`` (e.g. ``cnn``, ``adv_cnn``) into ``result_dir`` unless its weights are there.

    The weights file is written last and atomically, so its presence means a complete
    classifier; a directory left by an interrupted run is cleared and trained again.
    """
    if os.path.exists(os.path.join(result_dir, WEIGHTS_FILE)):
        return
    shutil.rmtree(result_dir, ignore_errors=True)
    print(f"training classifier {arch} into {result_dir}", flush=True)
    torch.manual_seed(seed)
    adversarial = is_adversarial(arch)
    model = build(arch, data)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    iterations_per_epoch = -(-len(data.train_x) // batch_size)
    args = {"arch": arch, "epochs": epochs, "lr": lr, "batch_size": batch_size, "seed": seed,
            "size": data.size, "channels": data.channels, "role": "target classifier for examples/attack_network",
            "adversarial_training": f"FGSM, half of each batch, eps ~ U(0, {ADVERSARIAL_MAX_EPS})" if adversarial else "none"}
    generator = torch.Generator().manual_seed(seed)
    iteration = 0
    # single_process: under torchrun each rank trains classifiers of its own, before the process group exists
    with trainui.Run(out=result_dir, args=args, model=model, optimizer=optimizer,
                     total_iterations=epochs * iterations_per_epoch, progress=False, single_process=True) as run:
        for epoch in range(1, epochs + 1):
            started, losses, correct = time.perf_counter(), [], 0
            model.train()
            for index in torch.randperm(len(data.train_x), generator=generator).split(batch_size):
                x, y = data.train_x[index], data.train_y[index]
                if adversarial:
                    x = adversarial_batch(model, x, generator)
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                iteration += 1
                losses.append(loss.item())
                correct += int((logits.argmax(1) == y).sum())
            accuracy = clean_accuracy(model, data.test_x, data.test_y)
            run.log({"main/loss": sum(losses) / len(losses), "main/accuracy": correct / len(data.train_x),
                     "validation/main/accuracy": accuracy,
                     "images_per_sec": len(data.train_x) / (time.perf_counter() - started)},
                    iteration=iteration, epoch=epoch)
            if run.step(iteration=iteration, epoch=epoch):
                break
        _save_atomically(model, arch, accuracy, os.path.join(result_dir, WEIGHTS_FILE))


def load(arch: str, result_dir: str, data: ImageSplit) -> tuple[nn.Module, float]:
    """The frozen classifier (eval mode, no parameter gradients) and its clean test accuracy."""
    state = torch.load(os.path.join(result_dir, WEIGHTS_FILE), map_location="cpu", weights_only=True)
    model = build(arch, data)
    model.load_state_dict(state["model"])
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, float(state["test_accuracy"])


@torch.no_grad()
def clean_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    was_training = model.training
    model.eval()
    correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in zip(x.split(batch_size), y.split(batch_size)))
    model.train(was_training)
    return correct / len(x)


def _save_atomically(model: nn.Module, arch: str, accuracy: float, path: str) -> None:
    tmp = path + f".tmp-{os.getpid()}"
    torch.save({"model": model.state_dict(), "arch": arch, "test_accuracy": accuracy}, tmp)
    os.replace(tmp, path)
