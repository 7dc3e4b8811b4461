"""Lightning adapters: ``TrainuiLogger`` for logs, ``TrainuiCallback`` for commands.

Two lines for a LightningModule user::

    logger = TrainuiLogger("results/run1")
    trainer = Trainer(logger=logger, callbacks=[TrainuiCallback()])

The logger and the callback share one ``trainui.Run`` (the callback finds the logger among the
trainer's loggers). The callback polls once per training batch on every rank, gives the run the
trainer's optimizers and its schedulers (``trainer.lr_scheduler_configs``) so ``adjust_hyperparams``
reaches them and holds under them (see trainer/schedules.py), and turns ``stop`` into
``trainer.should_stop`` (set on every rank in the same batch, so DDP ranks stop together).
``take_snapshot`` is Lightning's own checkpoint (``trainer.save_checkpoint``, on every rank as
Lightning requires), written as ``snapshot_iter_<N>.ckpt``: listed by trainui and loadable with
``trainer.fit(..., ckpt_path=...)``, which also restores a changed schedule (it rides in the
optimizer state). Lightning is imported when this module is, never by ``import trainui``.
"""
from __future__ import annotations

import os
from typing import Any

from trainui import protocol
from trainui.trainer.restore import refusal as restore_refusal
from trainui.trainer.run import Run

try:  # the unified package first, the standalone one second
    from lightning.pytorch.callbacks import Callback
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # pragma: no cover - depends on which distribution is installed
    from pytorch_lightning.callbacks import Callback
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment
    from pytorch_lightning.utilities import rank_zero_only

__all__ = ["TrainuiLogger", "TrainuiCallback"]


class TrainuiLogger(Logger):
    """Writes Lightning's metrics to ``<out>/log`` and its hyperparameters to ``<out>/args``.

    ``run_kwargs`` go to ``trainui.Run`` (e.g. ``progress=True``, ``flush_interval``); the
    progress bar is off by default because Lightning draws its own.
    """

    def __init__(self, out: str, **run_kwargs: Any):
        super().__init__()
        self._out = os.path.abspath(out)
        self._run_kwargs = {"progress": False, **run_kwargs}
        self._run: Run | None = None

    @property
    def run(self) -> Run:
        """The shared Run, created on first use (on every rank that asks for it)."""
        if self._run is None:
            self._run = Run(self._out, **self._run_kwargs)
        return self._run

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        return self.run

    @property
    def name(self) -> str:
        return "trainui"

    @property
    def version(self) -> str:
        return os.path.basename(self.log_dir)

    @property
    def save_dir(self) -> str:
        return self.log_dir

    @property
    def log_dir(self) -> str:
        """Where the run writes: ``out``, or its numbered sibling once the Run found ``out`` taken."""
        return self._run.out if self._run is not None else self._out

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        if params is None:
            return
        if not isinstance(params, dict):
            params = vars(params)
        self.run.write_args(_flatten(params))

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Lightning's ``step`` is the 0-based index of the batch; trainui's (and Chainer's)
        iteration counts updates done, so it is ``step + 1`` -- the ``trainer.global_step`` the
        callback polls with after the same batch."""
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        iteration = step + 1 if step is not None else None
        self.run.log(metrics, iteration=iteration, epoch=int(epoch) if epoch is not None else None)

    @rank_zero_only
    def save(self) -> None:
        if self._run is not None:
            self._run.flush()

    def finalize(self, status: str) -> None:
        if self._run is None:
            return
        if status == "failed":
            self._run.close(protocol.CRASHED, "Lightning reported the run as failed")
        else:
            self._run.close()


class TrainuiCallback(Callback):
    """Polls trainui commands every training batch and applies them to the trainer.

    Without a ``TrainuiLogger`` on the trainer, pass ``out`` and the callback makes its own Run.
    """

    def __init__(self, out: str | None = None, **run_kwargs: Any):
        self._out = out
        self._run_kwargs = {"progress": False, **run_kwargs}
        self._run: Run | None = None
        self._owns_run = False

    @property
    def run(self) -> Run | None:
        return self._run

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._run = self._resolve(trainer)
        self._run.attach(model=pl_module, optimizer=list(trainer.optimizers),
                         scheduler=[config.scheduler for config in trainer.lr_scheduler_configs])
        self._run.command("take_snapshot", lambda body: self._save_checkpoint(trainer, body))
        self._run.command("restore", restore_refusal(
            "the Lightning Trainer owns the training loop and its data position, and cannot go back to an earlier "
            "step; resume from a checkpoint with trainer.fit(..., ckpt_path=...) instead"))

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._run is not None and self._run.step(iteration=trainer.global_step, epoch=trainer.current_epoch):
            trainer.should_stop = True

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self._run is not None:
            self._run.close(protocol.CRASHED, f"{type(exception).__name__}: {exception}"[:2000])

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self._run is not None and self._owns_run:
            self._run.close()

    def _save_checkpoint(self, trainer: Any, body: dict) -> dict:
        """Lightning's checkpoint as ``snapshot_iter_<N>.ckpt``, renamed into place once written, so
        no reader sees half of it. Runs on every rank in the same batch (a collective in Lightning)."""
        if body.get("per_rank", False) is not False:
            raise ValueError("per_rank snapshots: Lightning writes one checkpoint for all ranks; send take_snapshot "
                             "without per_rank")
        run = self._run
        name = protocol.snapshot_name(run.iteration or 0, ".ckpt")
        temporary = os.path.join(run.out, f".tmp-{name}")
        trainer.save_checkpoint(temporary)  # every rank; the main one writes, then all meet at a barrier
        if trainer.is_global_zero:
            os.replace(temporary, os.path.join(run.out, name))
        return {"path": name, "iteration": run.iteration}

    def _resolve(self, trainer: Any) -> Run:
        for logger in getattr(trainer, "loggers", []):
            if isinstance(logger, TrainuiLogger):
                return logger.run
        if self._out is None:
            raise ValueError("TrainuiCallback needs a TrainuiLogger on the trainer or an 'out' directory")
        self._owns_run = True
        return Run(self._out, **self._run_kwargs)


def _flatten(params: dict, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat
