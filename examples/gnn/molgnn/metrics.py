"""Losses and metrics: masked losses (Tox21 has missing labels), MAE in reported units, ROC-AUC.

ROC-AUC is computed here (rank statistic with ties averaged) to avoid importing scikit-learn
in every training process.
"""
from __future__ import annotations

import numpy as np
import torch


def masked_loss(pred: torch.Tensor, y: torch.Tensor, label_mask: torch.Tensor,
                regression: bool) -> torch.Tensor:
    """Mean over the labels that exist; a batch without any label contributes zero."""
    if regression:
        per_label = (pred - y) ** 2
    else:
        per_label = torch.nn.functional.binary_cross_entropy_with_logits(pred, y, reduction="none")
    m = label_mask.to(pred.dtype)
    return (per_label * m).sum() / m.sum().clamp(min=1.0)


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative; NaN if one class is absent."""
    labels = labels.astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average ranks over ties so equal scores count half.
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def regression_report(pred: np.ndarray, y: np.ndarray, names: list[str], units: list[str],
                      prefix: str) -> dict[str, float]:
    """MAE per target in reported units (eV for HOMO/LUMO/gap), e.g. `validation/main/homo_mae_eV`."""
    out = {}
    for k, (name, unit) in enumerate(zip(names, units)):
        ok = ~np.isnan(y[:, k])
        out[f"{prefix}/{name}_mae_{unit}"] = float(np.abs(pred[ok, k] - y[ok, k]).mean())
    return out


def classification_report(logits: np.ndarray, y: np.ndarray, names: list[str],
                          prefix: str) -> dict[str, float]:
    """ROC-AUC per task, their mean over tasks, and one AUC over all labels pooled."""
    out, aucs = {}, []
    for k, name in enumerate(names):
        ok = ~np.isnan(y[:, k])
        auc = roc_auc(logits[ok, k], y[ok, k])
        out[f"{prefix}/roc_auc/{name}"] = auc
        if not np.isnan(auc):
            aucs.append(auc)
    ok = ~np.isnan(y)
    out[f"{prefix}/roc_auc_mean"] = float(np.mean(aucs)) if aucs else float("nan")
    out[f"{prefix}/roc_auc_pooled"] = roc_auc(logits[ok], y[ok])
    return out
