"""``restore`` in real jobs: a job driven to NaN is restored to its last snapshot with its lr halved
by one command, alone and under ``torchrun --nproc_per_node=2`` (gloo), and finishes with a finite
loss, every rank at the same iteration with identical weights, one log entry per iteration. A loop
that passes its own iteration, the Hugging Face Trainer and Lightning answer FAILURE with the reason."""
from __future__ import annotations

import json
import math
import os
import sys
import time

import pytest

from trainui import protocol
from trainui_job_helpers import finish, post_command, read_log, read_rank_records, read_responses, start_job

pytestmark = pytest.mark.slow
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "restore_job.py")


def argv(out, *args, nproc=1):
    script = [JOB, "--out", out, *args]
    if nproc == 1:
        return [sys.executable, *script]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *script]


def guard_nan(out, job, body, timeout=120.0):
    """The NaN-guard rule, played by the test: the first NaN loss in ``log`` gets one ``restore``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and job.poll() is None:
        try:
            entries = read_log(out)
        except (OSError, ValueError):
            entries = []
        bad = [e for e in entries if "main/loss" in e and e["main/loss"] in (None, "NaN")]  # how logs spell NaN
        if bad:
            return bad[0]["iteration"], post_command(out, "restore", body)
        time.sleep(0.02)
    raise AssertionError(f"no NaN in the log (job exit {job.poll()}): {job.stderr.read()[-3000:] if job.poll() else ''}")


@pytest.mark.parametrize("nproc, per_rank", [(1, False), (2, False), (2, True)])
def test_a_job_driven_to_nan_is_restored_with_lr_halved_and_finishes_finite(tmp_path, nproc, per_rank):
    out = str(tmp_path / "run")
    extra = ["--per-rank"] if per_rank else []
    job = start_job(argv(out, "--iterations", "50", "--poison-at", "25", "--sleep", "0.05", *extra, nproc=nproc))
    nan_at, uid = guard_nan(out, job, {"multiply": {"lr": 0.5}})
    finish(job, timeout=180)
    assert nan_at == 25
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["ranks"] == nproc, answer
    body = answer["body"]
    assert body["snapshot"] == ("snapshot_iter_20.rank0.pt" if per_rank else "snapshot_iter_20.pt")
    assert body["iteration"] == 20 and ("rng" in body["restored"]) is True and body["from_iteration"] >= 25
    assert body["hyperparams"][0]["lr"] == pytest.approx(0.05)
    finals = [protocol.read_json(os.path.join(out, f"final.rank{r}.json")) for r in range(nproc)]
    assert all(f["iteration"] == 50 and math.isfinite(f["loss"]) for f in finals), finals
    assert all(f["weights"] == finals[0]["weights"] for f in finals)  # DDP ranks identical after the restore
    assert all(math.isfinite(w) for p in finals[0]["weights"] for w in p)
    entries = read_log(out)
    assert [e["iteration"] for e in entries] == list(range(1, 51))
    assert all(isinstance(e["main/loss"], float) and math.isfinite(e["main/loss"]) for e in entries)
    assert entries[20]["lr"] == pytest.approx(0.05) and entries[19]["lr"] == pytest.approx(0.1)
    # every rank applied it at the same iteration (its own record, written before the rewind)
    records = read_rank_records(out)
    applied = {rank: [r["iteration"] for r in lines if r["uid"] == uid] for rank, lines in records.items()}
    assert len(applied) == nproc and len({tuple(v) for v in applied.values()}) == 1, applied
    with open(os.path.join(out, protocol.META_DIR, "rewinds.jsonl")) as f:
        rewinds = [json.loads(line) for line in f]
    assert len(rewinds) == 1 and rewinds[0]["to_iteration"] == 20
    assert rewinds[0]["abandoned_entries"] == rewinds[0]["from_iteration"] - 20


def test_a_loop_with_its_own_counter_answers_failure_under_torchrun(tmp_path):
    out = str(tmp_path / "run")
    job = start_job(argv(out, "--iterations", "40", "--poison-at", "15", "--own-counter", nproc=2))
    _, uid = guard_nan(out, job, {})
    finish(job, timeout=180)
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE"
    assert "this loop passes its own iteration to step(); use run.iterations(...) to allow restore" in \
        answer["body"]["error"]
    assert not os.path.exists(os.path.join(out, protocol.META_DIR, "rewinds.jsonl"))
    entries = read_log(out)
    assert [e["iteration"] for e in entries] == list(range(1, 41))


def test_hugging_face_trainer_answers_restore_with_failure(tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    import tiny_models
    from transformers import Trainer

    from trainui.integrations.transformers import TrainuiCallback

    out = str(tmp_path / "run")
    uid = post_command(out, "restore", {}, {"key": "iteration", "value": 5})
    trainer = Trainer(tiny_models.tiny_gpt2(), tiny_models.training_args(out, max_steps=10),
                      train_dataset=tiny_models.TokenDataset(), callbacks=[TrainuiCallback()])
    trainer.train()
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE" and answer["iteration"] == 5
    assert "Hugging Face Trainer owns the training loop" in answer["body"]["error"]
    assert "nothing was changed" in answer["body"]["error"]
    assert trainer.state.global_step == 10


def test_lightning_answers_restore_with_failure(tmp_path):
    pl = pytest.importorskip("lightning.pytorch")
    import torch

    from trainui.integrations.lightning import TrainuiCallback, TrainuiLogger

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    out = str(tmp_path / "run")
    uid = post_command(out, "restore", {"iteration": 2}, {"key": "iteration", "value": 4})
    data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.randn(32, 1))
    trainer = pl.Trainer(max_steps=8, logger=TrainuiLogger(out), callbacks=[TrainuiCallback()],
                         enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False,
                         accelerator="cpu", devices=1)
    trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=4))
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE" and answer["iteration"] == 4
    assert "Lightning Trainer owns the training loop" in answer["body"]["error"]
    assert trainer.global_step == 8


def test_ignite_answers_restore_with_failure(tmp_path):
    pytest.importorskip("ignite")
    import tiny_models

    out = str(tmp_path / "run")
    uid = post_command(out, "restore", {}, {"key": "iteration", "value": 6})
    trainer, loader, logger, _, _ = tiny_models.ignite_training(out, "cosine", True)
    trainer.run(loader, max_epochs=1)
    logger.close()
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE" and answer["iteration"] == 6
    assert "Ignite's Engine owns the loop" in answer["body"]["error"]
