"""Seeded splits, label standardization, and dense padded batches.

A batch pads every molecule to the largest one in the batch; `mask` marks real atoms. Graph
models get atom features, a bond-type matrix and a topological distance matrix; SchNet gets
atomic numbers and positions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data import MoleculeSet
from .featurize import ATOM_FEATURES


@dataclass
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def seeded_split(n: int, seed: int, fractions=(0.8, 0.1, 0.1)) -> Split:
    """Random split of `n` molecules (a smoke run's subset is drawn earlier, before featurizing)."""
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * len(order)))
    n_val = int(round(fractions[1] * len(order)))
    return Split(order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])


class Standardizer:
    """Per-target mean/std from the training labels; missing labels (NaN) are ignored."""

    def __init__(self, labels: np.ndarray, regression: bool):
        if regression:
            self.mean = np.nanmean(labels, axis=0).astype(np.float32)
            self.std = np.nanstd(labels, axis=0).astype(np.float32) + 1e-8
        else:  # classification labels stay 0/1
            self.mean = np.zeros(labels.shape[1], np.float32)
            self.std = np.ones(labels.shape[1], np.float32)

    def transform(self, y: np.ndarray) -> np.ndarray:
        return (y - self.mean) / self.std

    def inverse(self, y: np.ndarray) -> np.ndarray:
        return y * self.std + self.mean


def collate(data: MoleculeSet, indices: np.ndarray, standardizer: Standardizer,
            geometry: bool) -> dict[str, torch.Tensor]:
    records = [data.records[i] for i in indices]
    key = "z" if geometry else "atoms"
    n = max(len(r[key]) for r in records)
    b = len(records)
    batch: dict[str, torch.Tensor] = {}
    mask = np.zeros((b, n), dtype=bool)
    if geometry:
        z = np.zeros((b, n), dtype=np.int64)
        pos = np.zeros((b, n, 3), dtype=np.float32)
        for k, r in enumerate(records):
            m = len(r["z"])
            z[k, :m], pos[k, :m], mask[k, :m] = r["z"], r["pos"], True
        batch["z"], batch["pos"] = torch.from_numpy(z), torch.from_numpy(pos)
    else:
        atoms = np.zeros((b, n, ATOM_FEATURES), dtype=np.float32)
        bonds = np.zeros((b, n, n), dtype=np.int64)
        distance = np.zeros((b, n, n), dtype=np.int64)
        for k, r in enumerate(records):
            m = len(r["atoms"])
            atoms[k, :m], mask[k, :m] = r["atoms"], True
            bonds[k, :m, :m], distance[k, :m, :m] = r["bonds"], r["distance"]
        batch["atoms"] = torch.from_numpy(atoms)
        batch["bonds"], batch["distance"] = torch.from_numpy(bonds), torch.from_numpy(distance)
    batch["mask"] = torch.from_numpy(mask)
    y = data.labels[indices]
    batch["label_mask"] = torch.from_numpy(~np.isnan(y))
    batch["y"] = torch.from_numpy(np.nan_to_num(standardizer.transform(y)).astype(np.float32))
    return batch


def shard(indices: np.ndarray, rank: int, world: int, epoch_seed: int | None) -> np.ndarray:
    """This rank's share of `indices`, shuffled per epoch, padded so every rank gets as many.

    Equal lengths matter under DDP: a rank with one batch more would wait forever in all_reduce.
    """
    order = indices if epoch_seed is None else np.random.default_rng(epoch_seed).permutation(indices)
    if world > 1 and len(order) % world:
        pad = world - len(order) % world
        order = np.concatenate([order, order[:pad]]) if epoch_seed is not None else order
    return order[rank::world]


def batches(order: np.ndarray, batch_size: int):
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]

