"""A tiny LightningModule with TrainuiLogger + TrainuiCallback applies an lr command and stops."""
from __future__ import annotations

import os

import pytest
import torch

from trainui import protocol
from trainui_job_helpers import post_command, read_log, read_rank_records, read_responses

pl = pytest.importorskip("lightning.pytorch", reason="Lightning is an optional extra (pip install lightning)")


class TinyRegression(pl.LightningModule):
    def __init__(self, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("main/loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def test_logger_and_callback_apply_lr_command_and_stop(tmp_path):
    from trainui.integrations.lightning import TrainuiCallback, TrainuiLogger

    out = str(tmp_path / "lightning")
    lr = post_command(out, "adjust_hyperparams", {"lr": 0.01}, {"key": "iteration", "value": 4})
    stop = post_command(out, "stop", schedule={"key": "iteration", "value": 9})
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    model = TinyRegression()
    trainer = pl.Trainer(
        max_steps=50, logger=TrainuiLogger(out), callbacks=[TrainuiCallback()], log_every_n_steps=1,
        enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False,
        accelerator="cpu", devices=1,
    )
    trainer.fit(model, torch.utils.data.DataLoader(data, batch_size=4))

    assert trainer.optimizers[0].param_groups[0]["lr"] == 0.01
    assert trainer.global_step == 9  # stopped by the command, not by max_steps
    responses = read_responses(out)
    assert responses[lr]["status"] == "SUCCESS" and responses[lr]["iteration"] == 4
    assert responses[stop]["status"] == "SUCCESS"
    assert [r["uid"] for r in read_rank_records(out)[0]] == [lr, stop]
    entries = read_log(out)
    assert [e["iteration"] for e in entries] == list(range(1, 10))  # iterations = updates done
    assert all("main/loss" in e for e in entries)
    # Lightning logs after the callbacks, so the entry of iteration 4 already shows the new lr
    assert [e["lr"] for e in entries] == [0.1] * 3 + [0.01] * 6
    assert protocol.read_json(os.path.join(out, protocol.ARGS)) == {"lr": 0.1}
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "stopped"
