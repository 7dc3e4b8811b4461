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
