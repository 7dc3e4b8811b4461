"""PNG assets (decoded back with zlib to check every pixel) and the progress bar."""
from __future__ import annotations

import io
import json
import os
import struct
import zlib

import numpy as np
import pytest
import torch

import trainui
from trainui import protocol
from trainui.trainer.images import encode_png
from trainui.trainer.progress import ProgressBar


def decode_png(data: bytes) -> np.ndarray:
    """A strict reader for what encode_png writes: checks signature, CRCs, filter bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    assert depth == 8 and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)


@pytest.mark.parametrize("image, expected", [
    (np.arange(12, dtype=np.uint8).reshape(3, 4), np.arange(12, dtype=np.uint8).reshape(3, 4, 1)),
    (np.full((2, 3, 3), 1.0, dtype=np.float32), np.full((2, 3, 3), 255, dtype=np.uint8)),
    (torch.zeros(3, 5, 7), np.zeros((5, 7, 3), dtype=np.uint8)),  # CxHxW tensor
    (np.array([[0.0, 0.5, 2.0, -1.0]]), np.array([[[0], [128], [255], [0]]], dtype=np.uint8)),
    (np.ones((4, 4, 4), dtype=np.uint8) * 7, np.ones((4, 4, 4), dtype=np.uint8) * 7),  # RGBA
])
def test_png_round_trip(image, expected):
    assert np.array_equal(decode_png(encode_png(image)), expected)


def test_png_rejects_bad_shapes():
    with pytest.raises(ValueError):
        encode_png(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError):
        encode_png(np.zeros((6, 6, 5)))


def test_log_image_writes_asset_and_index(tmp_path):
    run = trainui.Run(str(tmp_path), progress=False, handle_signals=False)
    run.step(iteration=7, epoch=1)
    image = np.random.default_rng(0).integers(0, 255, (8, 9, 3), dtype=np.uint8)
    path = run.log_image("adversarial/examples", image, step=7)
    run.log_image("adversarial/examples", encode_png(image), step=8)  # PNG bytes as they are
    run.close()
    assert path == os.path.join("assets", "adversarial_examples", "7.png")
    with open(tmp_path / path, "rb") as f:
        assert np.array_equal(decode_png(f.read()), image)
    with open(tmp_path / protocol.ASSETS_INDEX) as f:
        records = [json.loads(line) for line in f]
    assert [(r["tag"], r["step"], r["iteration"], r["epoch"]) for r in records] == [
        ("adversarial/examples", 7, 7, 1), ("adversarial/examples", 8, 7, 1)]
    assert all(os.path.exists(tmp_path / r["path"]) for r in records)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_shows_iteration_rate_eta_and_loss():
    bar = ProgressBar(total=100, stream=io.StringIO())
    bar.update(0)
    bar._start_time -= 10.0  # as if 10 s had passed
    bar.update(None, loss=0.25)
    line = bar.line(50)
    assert "iter 50/100" in line and "5.0 it/s" in line and "ETA 0:00:10" in line and "loss 0.25" in line


def test_progress_on_terminal_redraws_in_place_and_ends_with_newline():
    stream = FakeTerminal()
    bar = ProgressBar(total=10, stream=stream, refresh=0.0)
    for i in range(1, 11):
        bar.update(i, loss=1.0 / i)
    bar.close(10)
    text = stream.getvalue()
    assert text.count("\r") >= 10 and text.endswith("\n") and "iter 10/10" in text


def test_progress_off_a_terminal_prints_rarely():
    stream = io.StringIO()
    bar = ProgressBar(total=1000, stream=stream, plain_every=10.0)
    for i in range(1, 1001):
        bar.update(i)
    assert stream.getvalue() == ""  # under 10 s: nothing yet
    bar.close(1000)
    assert stream.getvalue().count("\n") == 1


def test_run_without_progress_prints_nothing(tmp_path, capsys):
    run = trainui.Run(str(tmp_path), progress=False, handle_signals=False)
    for i in range(1, 50):
        run.log({"main/loss": 1.0}, iteration=i)
        run.step(iteration=i)
    run.close()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
