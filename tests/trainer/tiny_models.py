"""Tiny models built from configs and tiny in-memory data sets for the framework tests (no hub
download: ``HF_HUB_OFFLINE=1`` is set before transformers is imported). Used in-process by the tests
and by the job scripts under ``jobs/`` that torchrun starts."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch  # noqa: E402


def tiny_gpt2():
    """A 2-layer GPT-2 of a few thousand parameters, from its config."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=64, n_positions=16, n_embd=16, n_layer=2, n_head=2, resid_pdrop=0.0,
                        embd_pdrop=0.0, attn_pdrop=0.0)
    return GPT2LMHeadModel(config)


class TokenDataset(torch.utils.data.Dataset):
    """Fixed random token sequences; the labels are the inputs (language modelling)."""

    def __init__(self, n: int = 64, length: int = 8, seed: int = 0):
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 64, (n, length), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict:
        return {"input_ids": self.ids[index], "labels": self.ids[index]}


def training_args(output_dir, max_steps: int = 80, **overrides):
    """TrainingArguments for a quick CPU run: linear warmup then decay, a log every step, no saving."""
    from transformers import TrainingArguments

    settings = dict(output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=4,
                    learning_rate=1e-3, lr_scheduler_type="linear", warmup_steps=5, logging_steps=1,
                    save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True, seed=0,
                    dataloader_num_workers=0)
    settings.update(overrides)
    return TrainingArguments(**settings)


def lr_recorder():
    """A TrainerCallback that keeps the optimizer's lr after each step (what the next step uses)."""
    from transformers import TrainerCallback

    class LrRecorder(TrainerCallback):
        def __init__(self):
            self.lrs: dict[int, float] = {}

        def on_step_end(self, args, state, control, optimizer=None, **kwargs):
            self.lrs[state.global_step] = float(optimizer.param_groups[0]["lr"])

    return LrRecorder()


def ignite_training(out, schedule: str = "cosine", register: bool = True, max_epochs: int = 5):
    """An Ignite trainer of a linear regression on 64 samples (16 iterations per epoch, 80 in all)
    with trainui's logger on every rank. ``schedule``: "cosine" (Ignite's CosineAnnealingScheduler at
    ITERATION_STARTED), "torch" (torch's LambdaLR through Ignite's LRScheduler) or "warmup" (Ignite's
    create_lr_scheduler_with_warmup). Returns (trainer engine, run of it, logger, lrs dict, objects)."""
    import ignite.distributed as idist
    from ignite.engine import Events, create_supervised_trainer
    from ignite.handlers import param_scheduler as ps

    from trainui.integrations.ignite import TrainuiLogger

    torch.manual_seed(0)
    model = idist.auto_model(torch.nn.Linear(4, 1))
    optimizer = idist.auto_optim(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    data = torch.utils.data.TensorDataset(torch.randn(64 * idist.get_world_size(), 4),
                                          torch.randn(64 * idist.get_world_size(), 1))
    loader = idist.auto_dataloader(data, batch_size=4 * idist.get_world_size(), shuffle=False)
    trainer = create_supervised_trainer(model, optimizer, torch.nn.functional.mse_loss)
    if schedule == "cosine":
        scheduler = ps.CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=100)
    elif schedule == "torch":
        scheduler = ps.LRScheduler(torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0 / (1.0 + 0.05 * s)))
    else:
        cosine = ps.CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=100)
        scheduler = ps.create_lr_scheduler_with_warmup(cosine, warmup_start_value=0.01, warmup_duration=10)
    trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    logger = TrainuiLogger(str(out), args={"lr": 0.1, "schedule": schedule})
    logger.attach_output_handler(trainer, Events.ITERATION_COMPLETED, tag="train",
                                 output_transform=lambda loss: {"loss": loss})
    logger.attach_opt_params_handler(trainer, Events.ITERATION_STARTED, optimizer=optimizer)
    to_save = {"model": model, "optimizer": optimizer, "trainer": trainer, "scheduler": scheduler}
    logger.attach_commands(trainer, optimizer=optimizer, scheduler=scheduler if register else None, model=model,
                           to_save=to_save)
    lrs: dict = {}
    # the lr the next iteration uses, once its ITERATION_STARTED scheduler call has run
    trainer.add_event_handler(Events.ITERATION_STARTED,
                              lambda engine: lrs.__setitem__(engine.state.iteration, optimizer.param_groups[0]["lr"]))
    return trainer, loader, logger, lrs, to_save
