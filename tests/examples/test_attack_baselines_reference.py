"""The attack example's baselines against a maintained implementation: IBM's Adversarial Robustness Toolbox.

ART installs beside the pinned torch (torchattacks needs torchvision, which does not); it is the
``attack-reference`` extra. On the same trained classifier and the same test images, attacking
the classifier's own predictions, the example's FGSM, I-FGSM and MI-FGSM must give the success
rates of ART's FastGradientMethod, BasicIterativeMethod and ProjectedGradientDescent with
``decay=1.0`` (ART's momentum, Dong et al.'s MI-FGSM), and nearly the same images.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("art", reason="ART is not installed: pip install -e '.[attack-reference]'")

from art.attacks.evasion import BasicIterativeMethod, FastGradientMethod, ProjectedGradientDescent  # noqa: E402
from art.estimators.classification import PyTorchClassifier  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "attack_network"
EPSILONS = (0.1, 0.2, 0.3)
ITERATIONS = 10


@pytest.fixture(scope="module")
def example_baselines():
    sys.path.insert(0, str(EXAMPLE))
    try:
        yield importlib.import_module("baselines"), importlib.import_module("images")
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in ("baselines", "images", "attack_net"):
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def classifier_and_images(example_baselines):
    """A small CNN trained for a few seconds on the bundled digits (16x16), and 200 test images."""
    _, images = example_baselines
    data = images.load_images(None, size=16, seed=0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 4 * 4, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(4):
        for index in torch.randperm(len(data.train_x), generator=generator).split(64):
            loss = torch.nn.functional.cross_entropy(model(data.train_x[index]), data.train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x, y = data.test_x[:200], data.test_y[:200]
    with torch.no_grad():
        accuracy = float((model(x).argmax(1) == y).float().mean())
    assert accuracy >= 0.9, accuracy  # a real classifier, or success rates mean little
    return model, x, y


def success(model, x_adv, y, correct) -> float:
    with torch.no_grad():
        fooled = model(torch.as_tensor(x_adv)).argmax(1) != y
    return float((fooled & correct).sum()) / float(correct.sum())


def reference_attack(name: str, estimator, eps: float):
    if name == "FGSM":
        return FastGradientMethod(estimator, norm=np.inf, eps=eps, targeted=False, batch_size=64)
    if name.startswith("I-FGSM"):
        return BasicIterativeMethod(estimator, eps=eps, eps_step=eps / ITERATIONS, max_iter=ITERATIONS,
                                    batch_size=64, verbose=False)
    return ProjectedGradientDescent(estimator, norm=np.inf, eps=eps, eps_step=eps / ITERATIONS, max_iter=ITERATIONS,
                                    decay=1.0, num_random_init=0, batch_size=64, verbose=False)


def test_fgsm_ifgsm_mifgsm_match_the_adversarial_robustness_toolbox(example_baselines, classifier_and_images):
    baselines, _ = example_baselines
    model, x, y = classifier_and_images
    estimator = PyTorchClassifier(model=model, loss=torch.nn.CrossEntropyLoss(), input_shape=tuple(x.shape[1:]),
                                  nb_classes=10, clip_values=(0.0, 1.0), device_type="cpu")
    with torch.no_grad():
        labels = model(x).argmax(1)  # both attack the classifier's own prediction (label-free)
    correct = labels == y
    one_hot = np.eye(10, dtype=np.float32)[labels.numpy()]
    compared = []
    for name, attack in baselines.baseline_attacks(ITERATIONS).items():
        for eps in EPSILONS:
            ours = attack(model, x, labels, eps)
            theirs = reference_attack(name, estimator, eps).generate(x.numpy(), y=one_hot)
            ours_rate, their_rate = success(model, ours, y, correct), success(model, theirs, y, correct)
            compared.append((name, eps, ours_rate, their_rate))
            assert float((ours - x).abs().max()) <= eps + 1e-6
            assert abs(ours_rate - their_rate) <= 0.02, compared
            # nearly the same images: float32 rounding may flip a sign where a gradient is ~0
            assert float((ours - torch.from_numpy(theirs)).abs().mean()) <= 0.01 * eps, (name, eps)
    rates = {(name, eps): ours for name, eps, ours, _ in compared}
    # the comparison means something: attacks succeed more with a larger budget and with iterations
    assert rates[("FGSM", 0.1)] < rates[("FGSM", 0.3)]
    assert rates[(f"I-FGSM ({ITERATIONS} it.)", 0.1)] >= rates[("FGSM", 0.1)]
