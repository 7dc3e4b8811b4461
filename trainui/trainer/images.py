"""Images a job records (``assets/<tag>/<step>.png``), encoded with zlib alone.

PNG needs only zlib and CRC-32, both in the standard library, so recording an image does not
pull Pillow into a training environment. Each image is written atomically, then one
``AssetRecord`` line is appended to ``.trainui/assets.jsonl``, which the server follows.
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Any

from trainui import protocol
from trainui.trainer.logfile import append_jsonl

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def record_image(out: str, tag: str, image: Any, step: int, iteration=None, epoch=None) -> str:
    """Write the image and index it; returns its path relative to ``out``."""
    data = image if isinstance(image, (bytes, bytearray)) else encode_png(image)
    if not bytes(data[:8]) == PNG_SIGNATURE:
        raise ValueError("image bytes are not a PNG")
    relative = protocol.asset_path(tag, step)
    protocol.atomic_write_bytes(os.path.join(out, relative), bytes(data))
    record = protocol.AssetRecord(tag=tag, step=int(step), path=relative, iteration=iteration, epoch=epoch)
    append_jsonl(os.path.join(out, protocol.ASSETS_INDEX), record.to_json())
    return relative


def encode_png(image: Any) -> bytes:
    """PNG bytes for an HxW, HxWxC or CxHxW array or tensor (uint8, or float in [0, 1])."""
    pixels = to_uint8_hwc(image)
    height, width, channels = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def to_uint8_hwc(image: Any):
    """A C-contiguous uint8 array of shape (H, W, C) with C in 1..4."""
    import numpy as np

    if hasattr(image, "detach"):  # a torch tensor, without importing torch here
        image = image.detach().cpu().numpy()
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim == 3:
        if array.shape[0] in (1, 2, 3, 4) and array.shape[2] not in (1, 2, 3, 4):
            array = np.transpose(array, (1, 2, 0))  # CxHxW
    else:
        raise ValueError(f"image must be HxW, HxWxC or CxHxW, got shape {array.shape}")
    if array.shape[2] not in _COLOR_TYPES:
        raise ValueError(f"image must have 1 to 4 channels, got {array.shape[2]}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError("image is empty")
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.bool_:
        pixels = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        pixels = (np.nan_to_num(np.clip(array, 0.0, 1.0)) * 255.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        pixels = np.clip(array, 0, 255).astype(np.uint8)
    else:
        raise ValueError(f"unsupported image dtype {array.dtype}")
    return np.ascontiguousarray(pixels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
