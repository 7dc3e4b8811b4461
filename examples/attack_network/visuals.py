"""Image triplets (original / adversarial / noise) for the trainui image panel.

One picture per epsilon with three rows, so the three versions of an image sit in one column
and can be compared at a glance; the noise row maps delta from [-eps, +eps] to [0, 1] (grey is
zero), which is where the attack network's "jigsaw-puzzle" patterns show.
"""
from __future__ import annotations

import numpy as np
import torch

GAP = 0.5  # grey separators between tiles


def triplet_grid(x: torch.Tensor, x_adv: torch.Tensor, eps: float, columns: int = 8, scale: int = 4) -> np.ndarray:
    """An (H, W) or (H, W, 3) float array in [0, 1]: rows original, adversarial, noise."""
    x, x_adv = x[:columns].detach().cpu().float(), x_adv[:columns].detach().cpu().float()
    noise = 0.5 + (x_adv - x) / (2 * eps)
    rows = [_row(images, scale) for images in (x, x_adv, noise.clamp(0, 1))]
    gap = np.full((2, *rows[0].shape[1:]), GAP, dtype=np.float32)
    grid = np.concatenate([rows[0], gap, rows[1], gap, rows[2]], axis=0)
    return grid[..., 0] if grid.shape[-1] == 1 else grid


def _row(images: torch.Tensor, scale: int) -> np.ndarray:
    tiles = []
    for image in images.numpy():
        tile = image.transpose(1, 2, 0).repeat(scale, axis=0).repeat(scale, axis=1)  # nearest: keep pixels visible
        tiles.append(tile)
        tiles.append(np.full((tile.shape[0], 2, tile.shape[2]), GAP, dtype=np.float32))
    return np.concatenate(tiles[:-1], axis=1).astype(np.float32)
