"""Hyperparameters per (dataset, model): the real-size configurations and the `--smoke` ones.

Real sizes follow Chainer Chemistry's examples (16 hidden units, 4 layers, batch 32, Adam) except
SchNet, which uses the paper's wider atoms. Smoke settings are tuned to finish in about a minute
on 2 CPU cores while still learning enough to beat the mean predictor clearly.
"""
from __future__ import annotations

DEFAULTS = {"hidden": 16, "layers": 4, "batch_size": 32, "epochs": 20, "lr": 1e-3, "limit": 0}

REAL = {
    "schnet": {"hidden": 64, "layers": 3, "lr": 5e-4},
}

SMOKE = {  # `limit` molecules are drawn (seeded) before featurizing, so a smoke run featurizes only those
    ("qm9", "nfp"): {"hidden": 32, "layers": 3, "epochs": 6, "limit": 3000, "batch_size": 32, "lr": 2e-3},
    ("qm9", "ggnn"): {"hidden": 32, "layers": 3, "epochs": 6, "limit": 3000, "batch_size": 32, "lr": 2e-3},
    ("qm9", "weave"): {"hidden": 32, "layers": 2, "epochs": 6, "limit": 3000, "batch_size": 32, "lr": 2e-3},
    ("qm9", "schnet"): {"hidden": 32, "layers": 2, "epochs": 6, "limit": 2000, "batch_size": 32, "lr": 3e-3},
    ("tox21", "nfp"): {"hidden": 32, "layers": 3, "epochs": 4, "limit": 4000, "batch_size": 64, "lr": 5e-3},
    ("tox21", "ggnn"): {"hidden": 32, "layers": 3, "epochs": 4, "limit": 4000, "batch_size": 64, "lr": 5e-3},
    ("tox21", "weave"): {"hidden": 32, "layers": 2, "epochs": 2, "limit": 800, "batch_size": 32, "lr": 5e-3},
    ("tox21", "schnet"): {"hidden": 32, "layers": 2, "epochs": 2, "limit": 400, "batch_size": 32, "lr": 5e-3},
}


def resolve(dataset: str, model: str, smoke: bool, given: dict) -> dict:
    """Explicit command-line values win over the preset, the preset over the defaults."""
    values = dict(DEFAULTS)
    values.update(REAL.get(model, {}))
    if smoke:
        values.update(SMOKE[(dataset, model)])
    values.update({k: v for k, v in given.items() if v is not None})
    return values
