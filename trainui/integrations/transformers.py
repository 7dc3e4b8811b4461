"""Hugging Face Transformers: ``TrainuiCallback`` logs a ``Trainer`` run and steers it.

One line for a Trainer user::

    trainer = Trainer(model, args, train_dataset=..., callbacks=[TrainuiCallback()])

(or ``report_to="trainui"`` after ``import trainui.integrations.transformers``). The result
directory is ``args.output_dir`` unless ``out`` is given, so the Trainer's checkpoints lie inside it.

- Logs under the names Hugging Face's own integrations use (``train/loss``,
  ``train/learning_rate``, ``eval/loss``, ...), at ``iteration = state.global_step``; ``args`` is
  the model config overlaid with the TrainingArguments, as the Weights & Biases callback records them.
- Commands run in ``on_step_end`` on every rank at the same ``global_step`` (the Run's one
  collective), so under ``torchrun`` every process applies them together; only the main process
  writes. ``stop`` sets ``control.should_training_stop``; ``take_snapshot`` sets
  ``control.should_save`` and is answered once the Trainer saved the checkpoint; ``adjust_hyperparams``
  reaches the Trainer's optimizer and holds under its scheduler (registered by the callback,
  see trainer/schedules.py); ``@callback.command("name")`` adds your own.
- Every Trainer checkpoint (``checkpoint-<N>``) is listed as a snapshot: its weights file is linked
  as ``snapshot_iter_<N>.<weights file>`` (a hard link, so no copy and downloadable; a symbolic one
  across file systems), and the link goes when the Trainer rotates the checkpoint away. The
  checkpoint folder stays the thing to resume from (``trainer.train(resume_from_checkpoint=...)``);
  a change made under the scheduler rides in its ``optimizer.pt``, so the resumed run keeps it.
"""
from __future__ import annotations

import os
import re
from typing import Any, Callable

from transformers import TrainerCallback
from transformers.integrations import integration_utils

from trainui import protocol
from trainui.trainer.commands import Pending
from trainui.trainer.restore import refusal as restore_refusal
from trainui.trainer.run import Run, _warn

__all__ = ["TrainuiCallback"]

CHECKPOINT_PREFIX = "checkpoint"  # transformers.trainer_utils.PREFIX_CHECKPOINT_DIR
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors",
                "pytorch_model.bin", "pytorch_model.bin.index.json", "adapter_model.bin")
_LINK = re.compile(r"^snapshot_iter_(\d+)\.(" + "|".join(re.escape(w) for w in WEIGHT_FILES) + r")$")


class TrainuiCallback(TrainerCallback):
    """Logs and steers a ``transformers.Trainer``; see the module docstring.

    ``run_kwargs`` go to ``trainui.Run`` (``server=...``, ``verify_steps``, ...). With
    ``close_on_train_end=False`` the run stays open after ``train()`` (for a ``trainer.evaluate()``
    after it) and closes when the process ends.
    """

    def __init__(self, out: str | None = None, *, close_on_train_end: bool = True, **run_kwargs: Any):
        self._out = out
        self._close_on_train_end = close_on_train_end
        self._run_kwargs = {"progress": False, **run_kwargs}
        self._run: Run | None = None
        self._commands: dict[str, Callable[[dict], Any]] = {}
        self._control: Any = None
        self._snapshots: list[_CheckpointSaved] = []  # asked for in this step, saved by the Trainer after it

    @property
    def run(self) -> Run | None:
        return self._run

    def command(self, name: str, handler: Callable[[dict], Any] | None = None):
        """Register your own command (``@callback.command("name")``); the handler gets the body dict
        on every rank and returns a JSON-able dict."""
        def register(fn):
            self._commands[name] = fn
            if self._run is not None:
                self._run.command(name, fn)
            return fn

        return register(handler) if handler is not None else register

    # ------------------------------------------------------------------------------ events
    def on_train_begin(self, args, state, control, model=None, optimizer=None, lr_scheduler=None, **kwargs):
        if self._run is None or self._run.closed:
            self._run = Run(self._out or args.output_dir, **self._run_kwargs)
            for name, handler in self._commands.items():
                self._run.command(name, handler)
            self._run.command("take_snapshot", self._take_snapshot)
            self._run.command("restore", restore_refusal(
                "the Hugging Face Trainer owns the training loop and its data position, and cannot go back to an "
                "earlier step; resume from a checkpoint with trainer.train(resume_from_checkpoint=...) instead"))
        self._run.attach(model=model, optimizer=optimizer, scheduler=lr_scheduler)
        if state.is_world_process_zero:
            self._run.write_args(_args_of(args, model))

    def on_step_end(self, args, state, control, **kwargs):
        self._control = control
        if self._run.step(iteration=state.global_step, epoch=_epoch(state)):
            control.should_training_stop = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if self._run is None or self._run.closed:
            _warn("a Trainer logged after the trainui run closed at the end of train() (for example "
                  "trainer.evaluate()): pass TrainuiCallback(close_on_train_end=False) to record it")
            return
        values = integration_utils.rewrite_logs(logs)
        if "learning_rate" in logs:  # trainui's lr column: the value the step used, as Transformers reports it
            values["lr"] = logs["learning_rate"]
        self._run.log(values, iteration=state.global_step, epoch=_epoch(state))

    def on_save(self, args, state, control, **kwargs):
        checkpoint = os.path.join(os.path.abspath(args.output_dir), f"{CHECKPOINT_PREFIX}-{state.global_step}")
        link = None
        if state.is_world_process_zero and self._run is not None:
            link = _link_checkpoint(self._run.out, checkpoint, state.global_step)
            _unlink_rotated(self._run.out, os.path.abspath(args.output_dir))
        snapshots, self._snapshots = self._snapshots, []
        for snapshot in snapshots:
            snapshot.saved(checkpoint, link, self._run.out if self._run else None)

    def on_train_end(self, args, state, control, **kwargs):
        if self._run is None:
            return
        if self._close_on_train_end:
            self._run.close()
        else:
            self._run.flush()

    # ------------------------------------------------------------------------------ commands
    def _take_snapshot(self, body: dict) -> Pending:
        if body.get("per_rank", False) is not False:
            raise ValueError("per_rank snapshots: a Hugging Face checkpoint already holds every rank's state "
                             "(its rng_state_<rank>.pth); send take_snapshot without per_rank")
        if self._control is None:
            raise RuntimeError("take_snapshot arrived outside a training step")
        self._control.should_save = True  # every rank, this step: the Trainer saves after on_step_end
        self._snapshots.append(_CheckpointSaved(self._run.iteration))
        return self._snapshots[-1]


class _CheckpointSaved(Pending):
    """take_snapshot under a Trainer: answered once ``on_save`` saw the checkpoint (the same step)."""

    def __init__(self, iteration):
        self._iteration = iteration
        self._seen = 0
        self._body: dict | None = None

    def saved(self, checkpoint: str, link: str | None, out: str | None) -> None:
        where = os.path.relpath(checkpoint, out) if out and _inside(checkpoint, out) else checkpoint
        self._body = {"checkpoint": where, "path": os.path.relpath(link, out) if link and out else None,
                      "iteration": self._iteration}

    def observe(self, iteration, epoch) -> None:
        self._seen += 1

    @property
    def due(self) -> bool:
        return self._body is not None or self._seen >= 1

    def verdict(self) -> tuple[bool, dict]:
        if self._body is None:
            return False, {"error": f"the Trainer did not save a checkpoint at step {self._iteration} although "
                                    "trainui asked it to (control.should_save)"}
        return True, dict(self._body)

    def unfinished(self) -> tuple[bool, dict]:
        if self._body is None:
            return False, {"error": "training ended before the Trainer saved the checkpoint"}
        return self.verdict()


# ---------------------------------------------------------------------------------- helpers
def _epoch(state) -> int:
    return int(state.epoch or 0)


def _args_of(args, model) -> dict:
    """The model config overlaid with the TrainingArguments, flat, as Hugging Face's loggers record them."""
    combined: dict = {}
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        combined.update(config.to_dict())
    combined.update(args.to_dict())
    return combined


def _link_checkpoint(out: str, checkpoint: str, step: int) -> str | None:
    """``snapshot_iter_<step>.<weights file>`` in ``out`` for the checkpoint's weights (see the
    module docstring); None when the checkpoint has none of the known weight files."""
    for name in WEIGHT_FILES:
        source = os.path.join(checkpoint, name)
        if os.path.isfile(source):
            break
    else:
        return None
    link = os.path.join(out, protocol.snapshot_name(step, "." + name))
    temporary = os.path.join(out, f".tmp-{os.path.basename(link)}")
    try:
        if os.path.lexists(temporary):
            os.remove(temporary)
        try:
            os.link(source, temporary)
        except OSError:  # another file system, or one without hard links
            target = os.path.relpath(source, out) if _inside(source, out) else source
            os.symlink(target, temporary)
        os.replace(temporary, link)
    except OSError as exc:
        _warn(f"cannot list checkpoint {checkpoint} as a snapshot: {exc}")
        return None
    return link


def _unlink_rotated(out: str, output_dir: str) -> None:
    """Drop the links of checkpoints the Trainer deleted (``save_total_limit``)."""
    try:
        names = os.listdir(out)
    except OSError:
        return
    for name in names:
        match = _LINK.match(name)
        if match and not os.path.isdir(os.path.join(output_dir, f"{CHECKPOINT_PREFIX}-{match.group(1)}")):
            try:
                os.remove(os.path.join(out, name))
            except OSError:
                pass


def _inside(path: str, directory: str) -> bool:
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


# report_to="trainui" (Trainer asks this table for the callback class of each name)
integration_utils.INTEGRATION_TO_CALLBACK.setdefault("trainui", TrainuiCallback)
