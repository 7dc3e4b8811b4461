"""Helpers shared by the benchmark scripts: synthetic Chainer-format logs and timing."""
from __future__ import annotations

import json
import math
import statistics
import time

KEYS = ("epoch", "iteration", "elapsed_time", "main/loss", "main/accuracy",
        "validation/main/loss", "validation/main/accuracy", "lr")


def entry(i: int) -> dict:
    return {"epoch": i // 1000, "iteration": i, "elapsed_time": round(i * 0.0123, 6),
            "main/loss": 1.0 / (1 + i * 1e-3) + 0.01 * math.sin(i), "main/accuracy": 1 - 0.5 / (1 + i * 1e-3),
            "validation/main/loss": 1.1 / (1 + i * 1e-3), "validation/main/accuracy": 1 - 0.6 / (1 + i * 1e-3),
            "lr": 0.1 * 0.5 ** (i // 20000)}


def write_log(path, n: int, start: int = 0, indent: int | None = 4) -> None:
    """A log as Chainer's LogReport writes it (indent=4): about 300 bytes per 8-key entry."""
    with open(path, "w") as f:
        f.write("[")
        for i in range(start, start + n):
            if i > start:
                f.write(",")
            f.write("\n" + json.dumps(entry(i), indent=indent))
        f.write("\n]")


def append_entries(path, entries: list[dict]) -> None:
    """Append in place as the trainer library does: overwrite the closing bracket."""
    with open(path, "rb+") as f:
        f.seek(-1, 2)
        f.write(b"".join(b",\n" + json.dumps(e).encode() for e in entries) + b"\n]")


def timed(fn, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(samples: list[float]) -> str:
    s = sorted(samples)
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))]
    return f"median {ms(statistics.median(s))}, p99 {ms(p99)}, max {ms(s[-1])} (n={len(s)})"


def wait(predicate, timeout: float = 600.0, interval: float = 0.05):
    """The first truthy value of ``predicate()``, polled every ``interval`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met")
