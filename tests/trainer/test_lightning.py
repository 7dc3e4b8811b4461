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


class ScheduledRegression(TinyRegression):
    """The same module with a per-step schedule, as Lightning users configure one."""

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + 0.05 * step))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


class LrRecorder(pl.Callback):
    def __init__(self):
        self.lrs = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.lrs[trainer.global_step] = trainer.optimizers[0].param_groups[0]["lr"]


def fit_scheduled(out, max_steps=80, ckpt_path=None, logger=True):
    from trainui.integrations.lightning import TrainuiCallback, TrainuiLogger

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    recorder = LrRecorder()
    trainer = pl.Trainer(
        max_steps=max_steps, logger=TrainuiLogger(out) if logger else False,
        callbacks=[TrainuiCallback(), recorder] if logger else [recorder], log_every_n_steps=1,
        enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False, accelerator="cpu", devices=1,
    )
    trainer.fit(ScheduledRegression(), torch.utils.data.DataLoader(data, batch_size=4), ckpt_path=ckpt_path)
    return trainer, recorder.lrs


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["scale", "hold"])
def test_an_lr_change_holds_under_lightnings_own_scheduler(tmp_path, mode):
    _, reference = fit_scheduled(str(tmp_path / "reference"), logger=False)
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": 0.02, "mode": mode}, {"key": "iteration", "value": 20})
    _, lrs = fit_scheduled(out)
    assert lrs[20] == pytest.approx(0.02)
    want = 0.02 if mode == "hold" else reference[70] * 0.02 / reference[20]
    assert lrs[70] == pytest.approx(want, rel=1e-9) and lrs[70] != pytest.approx(reference[70])
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["iteration"] == 20
    assert "LambdaLR" in answer["body"]["changes"][0]["schedule"]  # registered by the callback


@pytest.mark.slow
def test_a_snapshot_is_a_lightning_checkpoint_that_resumes_the_changed_schedule(tmp_path):
    whole = str(tmp_path / "whole")
    post_command(whole, "adjust_hyperparams", {"lr": 0.02}, {"key": "iteration", "value": 10})
    _, uninterrupted = fit_scheduled(whole, max_steps=60)

    out = str(tmp_path / "run")
    post_command(out, "adjust_hyperparams", {"lr": 0.02}, {"key": "iteration", "value": 10})
    snapshot = post_command(out, "take_snapshot", schedule={"key": "iteration", "value": 30})
    per_rank = post_command(out, "take_snapshot", {"per_rank": True}, {"key": "iteration", "value": 31})
    post_command(out, "stop", schedule={"key": "iteration", "value": 32})
    first, _ = fit_scheduled(out, max_steps=60)
    assert first.global_step == 32
    answers = read_responses(out)
    assert answers[snapshot]["status"] == "SUCCESS" and answers[snapshot]["body"]["path"] == "snapshot_iter_30.ckpt"
    assert answers[per_rank]["status"] == "FAILURE" and "one checkpoint" in answers[per_rank]["body"]["error"]
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]
    checkpoint = torch.load(os.path.join(out, "snapshot_iter_30.ckpt"), weights_only=False)
    assert checkpoint["global_step"] == 30 and checkpoint["lr_schedulers"]  # Lightning's own format

    _, resumed = fit_scheduled(out, max_steps=60, ckpt_path=os.path.join(out, "snapshot_iter_30.ckpt"))
    assert sorted(resumed) == list(range(31, 61))
    for step in range(31, 61):
        assert resumed[step] == pytest.approx(uninterrupted[step], rel=1e-9), step
