"""PyTorch-Ignite: ``TrainuiLogger``, a logger in Ignite's own conventions that also steers the engine.

As with Ignite's TensorBoard or MLflow loggers::

    logger = TrainuiLogger("results/run1", args=config)
    logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="train",
                                 output_transform=lambda loss: {"loss": loss})
    logger.attach_output_handler(evaluator, Events.EPOCH_COMPLETED, tag="validation", metric_names="all",
                                 global_step_transform=global_step_from_engine(trainer))
    logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer=optimizer)
    logger.attach_commands(trainer, optimizer=optimizer, scheduler=scheduler,
                           to_save={"model": model, "optimizer": optimizer, "trainer": trainer})

Keys are ``<tag>/<name>`` (``train/loss``, ``validation/accuracy``, ``lr/group_0``) at the step the
handler's ``global_step_transform`` gives. ``attach_commands`` polls trainui's commands at
``Events.ITERATION_COMPLETED`` on every rank (create the logger on every rank: it writes on rank 0
only, and under ``ignite.distributed`` every rank applies a command at the same iteration);
``stop`` calls ``engine.terminate()``; ``take_snapshot`` saves through an Ignite ``Checkpoint`` of
``to_save`` written as ``snapshot_iter_<N>.pt`` (or the ``checkpoint`` you pass), loadable with
``Checkpoint.load_objects``; ``adjust_hyperparams`` holds under ``scheduler`` (torch schedulers and
Ignite's parameter schedulers alike, see trainer/schedules.py).
"""
from __future__ import annotations

import os
from typing import Any, Callable

from ignite.engine import Engine, Events
from ignite.handlers.base_logger import BaseLogger, BaseOptimizerParamsHandler, BaseOutputHandler
from ignite.handlers.checkpoint import Checkpoint, DiskSaver
from ignite.handlers.utils import global_step_from_engine

from trainui.trainer.restore import refusal as restore_refusal
from trainui.trainer.run import Run

__all__ = ["TrainuiLogger", "OutputHandler", "OptimizerParamsHandler", "global_step_from_engine"]


class TrainuiLogger(BaseLogger):
    """A trainui result directory as an Ignite logger; ``run_kwargs`` go to ``trainui.Run``."""

    def __init__(self, out: str, args: Any = None, **run_kwargs: Any):
        self._out = out
        self._args = args
        self._run_kwargs = {"progress": False, **run_kwargs}
        self._run: Run | None = None

    @property
    def run(self) -> Run:
        """The Run, made on first use: inside ``idist.Parallel``'s processes, once the process group exists."""
        if self._run is None:
            self._run = Run(self._out, args=self._args, **self._run_kwargs)
        return self._run

    def log_params(self, params: dict) -> None:
        """(Re)write ``args``, as ``MLflowLogger.log_params`` does."""
        self.run.write_args(params)

    def command(self, name: str, handler: Callable[[dict], Any] | None = None):
        """Register your own command (``@logger.command("name")``); it runs on every rank."""
        return self.run.command(name, handler)

    def checkpoint(self, to_save: dict, **kwargs: Any) -> Checkpoint:
        """An Ignite ``Checkpoint`` of ``to_save`` that writes ``snapshot_iter_<iteration>.pt`` into
        the result directory (all of them kept), so trainui lists each as a snapshot."""
        saver = DiskSaver(self.run.out, require_empty=False, create_dir=True)
        options = {"n_saved": None, "filename_pattern": "snapshot_iter_{global_step}.{ext}",
                   "global_step_transform": lambda engine, _: engine.state.iteration, **kwargs}
        return Checkpoint(to_save, saver, **options)

    def attach_commands(self, engine: Engine, optimizer: Any = None, scheduler: Any = None, model: Any = None,
                        to_save: dict | None = None, checkpoint: Checkpoint | None = None,
                        event_name: Any = Events.ITERATION_COMPLETED):
        """Apply trainui's commands to ``engine`` at ``event_name`` (every rank); returns the handle."""
        run = self.run
        run.attach(model=model, optimizer=optimizer, scheduler=scheduler)
        if checkpoint is None and to_save is not None:
            checkpoint = self.checkpoint(to_save)
        if checkpoint is not None:
            run.command("take_snapshot", lambda body: _save(checkpoint, engine, run, body))
        run.command("restore", restore_refusal(
            "Ignite's Engine owns the loop: its iteration counter could be set back, but the data loader's "
            "position and the epoch's remaining batches cannot be rewound with it mid-epoch; resume from a "
            "checkpoint with Checkpoint.load_objects before engine.run(...) instead"))

        def poll(engine: Engine) -> None:
            if run.step(iteration=engine.state.iteration, epoch=engine.state.epoch):
                engine.terminate()

        handle = engine.add_event_handler(event_name, poll)
        engine.add_event_handler(Events.COMPLETED, lambda _: run.flush())
        return handle

    def close(self) -> None:
        if self._run is not None:
            self._run.close()

    def _create_output_handler(self, *args: Any, **kwargs: Any) -> "OutputHandler":
        return OutputHandler(*args, **kwargs)

    def _create_opt_params_handler(self, *args: Any, **kwargs: Any) -> "OptimizerParamsHandler":
        return OptimizerParamsHandler(*args, **kwargs)


class OutputHandler(BaseOutputHandler):
    """Logs an engine's output, metrics or state attributes as ``<tag>/<name>`` (Ignite's arguments)."""

    def __init__(self, tag: str, metric_names: Any = None, output_transform: Callable | None = None,
                 global_step_transform: Callable | None = None, state_attributes: list[str] | None = None):
        super().__init__(tag, metric_names, output_transform, global_step_transform, state_attributes)
        self._own_clock = global_step_transform is None  # else the step (and epoch) are another engine's

    def __call__(self, engine: Engine, logger: TrainuiLogger, event_name: Any) -> None:
        if not isinstance(logger, TrainuiLogger):
            raise TypeError("trainui's OutputHandler works only with TrainuiLogger")
        values = self._setup_output_metrics_state_attrs(engine, key_tuple=False)
        step = self.global_step_transform(engine, event_name)
        if not isinstance(step, int):
            raise TypeError(f"global_step must be int, got {type(step)}; check global_step_transform")
        logger.run.log(values, iteration=step, epoch=engine.state.epoch if self._own_clock else None)


class OptimizerParamsHandler(BaseOptimizerParamsHandler):
    """Logs ``param_name`` of every param group as ``[<tag>/]<param_name>/group_<i>``."""

    def __call__(self, engine: Engine, logger: TrainuiLogger, event_name: Any) -> None:
        if not isinstance(logger, TrainuiLogger):
            raise TypeError("trainui's OptimizerParamsHandler works only with TrainuiLogger")
        prefix = f"{self.tag}/" if self.tag else ""
        values = {}
        for i, group in enumerate(self.optimizer.param_groups):
            value = group[self.param_name]
            if isinstance(value, (list, tuple)):  # betas
                values.update({f"{prefix}{self.param_name}/group_{i}/{j}": float(v) for j, v in enumerate(value)})
            else:
                values[f"{prefix}{self.param_name}/group_{i}"] = float(value)
        logger.run.log(values, iteration=engine.state.get_event_attrib_value(event_name))


def _save(checkpoint: Checkpoint, engine: Engine, run: Run, body: dict) -> dict:
    if body.get("per_rank", False) is not False:
        raise ValueError("per_rank snapshots: an Ignite Checkpoint is written by one rank; send take_snapshot "
                         "without per_rank")
    checkpoint(engine)  # every rank, as Ignite's Checkpoint expects; its DiskSaver writes on one
    last = checkpoint.last_checkpoint  # known on the rank that wrote it
    path = None
    if last is not None:
        path = os.path.join(str(getattr(checkpoint.save_handler, "dirname", run.out)), str(last))
        inside = os.path.commonpath([os.path.realpath(path), os.path.realpath(run.out)]) == os.path.realpath(run.out)
        path = os.path.relpath(path, run.out) if inside else path
    return {"path": path, "iteration": engine.state.iteration}
