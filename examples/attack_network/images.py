"""The images the classifiers learn and the attack network attacks, as float tensors in [0, 1].

Two sources, one shape: the 8x8 handwritten digits that ship in this repository
(``examples/data/digits.csv.gz``, the copy scikit-learn ships; no download, so the example runs
offline and in CI, and needs no scikit-learn) or a directory of the user's own labelled images, one folder per class.
Both end as ``(N, C, size, size)`` float32 in [0, 1]: the epsilons of the attack are stated in
that pixel scale (0.3 means 30% of the full range), as in the NIPS'17 competition's L-infinity
budget rescaled from 0..255.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

DIGITS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data", "digits.csv.gz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass
class ImageSplit:
    """Train and test images of one data set; the test part is never trained on by anyone."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    class_names: list[str]

    @property
    def channels(self) -> int:
        return int(self.train_x.shape[1])

    @property
    def size(self) -> int:
        return int(self.train_x.shape[-1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def describe(self) -> str:
        return (f"{len(self.train_x)} train / {len(self.test_x)} test images, {self.channels}x{self.size}x{self.size}, "
                f"{self.num_classes} classes")


def load_images(data_dir: str | None, size: int, channels: int = 1, test_fraction: float = 0.2,
                seed: int = 0) -> ImageSplit:
    """Load digits (``data_dir`` None) or a folder-per-class directory, resized to ``size``."""
    if data_dir:
        x, y, names = _read_class_folders(data_dir, size, channels)
    else:
        x, y, names = _bundled_digits(size)
    return _split(x, y, names, test_fraction, seed)


def _bundled_digits(size: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    table = np.loadtxt(DIGITS_FILE, delimiter=",", dtype=np.float32)  # 64 pixel counts 0..16, then the label
    x = torch.from_numpy(table[:, :64].reshape(-1, 1, 8, 8) / 16.0)  # 0..16 -> [0, 1]
    if size != x.shape[-1]:
        # Bilinear upsampling keeps strokes smooth, so a larger image has real spatial structure
        # for the convolutional encoder rather than blocky copies of 8x8 pixels.
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp_(0.0, 1.0)
    y = torch.from_numpy(table[:, 64].astype(np.int64))
    return x, y, [str(i) for i in range(10)]


def _read_class_folders(data_dir: str, size: int, channels: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Read ``data_dir/<class>/<image>``; the sorted folder names are the classes."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the user's environment
        raise SystemExit("--data needs Pillow to decode images: pip install pillow") from exc
    names = sorted(d for d in os.listdir(data_dir) if os.path.isdir(os.path.join(data_dir, d)))
    if len(names) < 2:
        raise SystemExit(f"--data {data_dir}: expected one sub-directory per class, found {len(names)}")
    mode = "L" if channels == 1 else "RGB"
    images, labels = [], []
    for label, name in enumerate(names):
        folder = os.path.join(data_dir, name)
        for filename in sorted(os.listdir(folder)):
            if not filename.lower().endswith(IMAGE_SUFFIXES):
                continue
            with Image.open(os.path.join(folder, filename)) as image:
                pixels = np.asarray(image.convert(mode).resize((size, size), Image.BILINEAR), dtype=np.float32)
            images.append(pixels.reshape(size, size, channels).transpose(2, 0, 1) / 255.0)
            labels.append(label)
    if not images:
        raise SystemExit(f"--data {data_dir}: no images found (suffixes {', '.join(IMAGE_SUFFIXES)})")
    return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64), names


def _split(x: torch.Tensor, y: torch.Tensor, names: list[str], test_fraction: float, seed: int) -> ImageSplit:
    """A seeded split, identical on every rank and every run, so cached classifiers stay valid."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = max(1, int(round(len(x) * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return ImageSplit(x[train].contiguous(), y[train].contiguous(), x[test].contiguous(), y[test].contiguous(), names)
