"""trainui: a dashboard for PyTorch training that can steer running jobs.

In a training script::

    import trainui
    with trainui.Run("results/run1", args=vars(args), model=model, optimizer=opt) as run:
        for it in range(1, n + 1):
            ...
            run.log({"main/loss": loss.item()}, iteration=it, epoch=epoch)
            if run.step(iteration=it, epoch=epoch):
                break

``trainui.Client(url, token)`` reads a server's results and posts commands from a notebook.

Names are loaded on first use (PEP 562): the server imports ``trainui.protocol``, which imports
this package, and must not pay for (or ever import) torch; ``import trainui`` imports neither
torch nor any server dependency.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Run",
    "Client",
    "load_snapshot",
    "find_latest_snapshot",
    "encode_png",
    "__version__",
]

_LAZY = {
    "Run": ("trainui.trainer.run", "Run"),
    "Client": ("trainui.client", "Client"),
    "load_snapshot": ("trainui.trainer.snapshot", "load_snapshot"),
    "find_latest_snapshot": ("trainui.trainer.snapshot", "find_latest_snapshot"),
    "encode_png": ("trainui.trainer.images", "encode_png"),
}

if TYPE_CHECKING:  # pragma: no cover
    from trainui.client import Client
    from trainui.trainer.images import encode_png
    from trainui.trainer.run import Run
    from trainui.trainer.snapshot import find_latest_snapshot, load_snapshot


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'trainui' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
