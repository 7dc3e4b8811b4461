"""The four models behind one constructor, so the training script stays model-agnostic."""
from __future__ import annotations

from torch import nn

from ..featurize import ATOM_FEATURES
from .ggnn import GGNN
from .nfp import NFP
from .schnet import SchNet
from .weave import WeaveNet

MODELS = ("nfp", "ggnn", "weave", "schnet")


def build(name: str, *, hidden: int, layers: int, n_targets: int, fp_dim: int = 32,
          rbf: int = 50, cutoff: float = 5.0) -> nn.Module:
    if name == "nfp":
        return NFP(ATOM_FEATURES, hidden, layers, fp_dim, n_targets)
    if name == "ggnn":
        return GGNN(ATOM_FEATURES, hidden, layers, n_targets)
    if name == "weave":
        return WeaveNet(ATOM_FEATURES, hidden, layers, n_targets)
    if name == "schnet":
        return SchNet(hidden, layers, n_targets, n_rbf=rbf, cutoff=cutoff)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


def uses_geometry(name: str) -> bool:
    return name == "schnet"
