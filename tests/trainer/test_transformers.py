"""The real Hugging Face Trainer with TrainuiCallback, on a tiny GPT-2 built from its config: an lr
change read from the optimizer 50 steps later follows the meaning asked for (alone and under
``torchrun --nproc_per_node=2``); logs under Hugging Face's names, args, status; stop, a snapshot
that is the Trainer's checkpoint (listed, downloadable, rotated with it), a command of one's own;
a run resumed from the checkpoint keeps the changed schedule; ``report_to="trainui"``."""
from __future__ import annotations

import json
import os
import sys

import pytest

pytest.importorskip("transformers")
pytest.importorskip("accelerate", reason="the Trainer needs accelerate (pip install -e '.[transformers]')")

import tiny_models  # noqa: E402  (HF_HUB_OFFLINE=1 before transformers is imported)
from transformers import Trainer  # noqa: E402

from trainui import protocol  # noqa: E402
from trainui.integrations.transformers import TrainuiCallback  # noqa: E402
from trainui_job_helpers import (  # noqa: E402
    finish, post_command, read_log, read_rank_records, read_responses, start_job,
)

pytestmark = pytest.mark.slow
CHANGE_AT, LATER, ASKED = 20, 50, 2e-4
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "hf_job.py")


def train(out, *callbacks, max_steps=80, resume=None, **overrides):
    recorder = tiny_models.lr_recorder()
    trainer = Trainer(tiny_models.tiny_gpt2(), tiny_models.training_args(out, max_steps=max_steps, **overrides),
                      train_dataset=tiny_models.TokenDataset(), eval_dataset=tiny_models.TokenDataset(16, seed=1),
                      callbacks=[*callbacks, recorder])
    trainer.train(resume_from_checkpoint=resume)
    return trainer, recorder.lrs


@pytest.fixture(scope="module")
def reference_lrs(tmp_path_factory):
    """The schedule as it is (linear warmup over 5 steps, then linear decay to 0 at step 80)."""
    return train(tmp_path_factory.mktemp("reference"))[1]


@pytest.mark.parametrize("mode", ["scale", "hold"])
def test_an_lr_change_follows_the_chosen_meaning_50_steps_later(tmp_path, reference_lrs, mode):
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": ASKED, "mode": mode}, {"key": "iteration", "value": CHANGE_AT})
    _, lrs = train(out, TrainuiCallback())
    assert lrs[CHANGE_AT] == pytest.approx(ASKED)
    later = CHANGE_AT + LATER
    want = ASKED if mode == "hold" else reference_lrs[later] * ASKED / reference_lrs[CHANGE_AT]
    assert lrs[later] == pytest.approx(want, rel=1e-9)
    assert lrs[later] != pytest.approx(reference_lrs[later])  # not the schedule as it was
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["iteration"] == CHANGE_AT and answer["ranks"] == 1
    assert answer["body"]["mode"] == mode and "LambdaLR" in answer["body"]["changes"][0]["schedule"]
    # the log's learning rate (Transformers' own figure) shows the change from the next step on
    logged = {e["iteration"]: e["train/learning_rate"] for e in read_log(out) if "train/learning_rate" in e}
    assert logged[later + 1] == pytest.approx(lrs[later])


def test_logs_args_status_stop_snapshot_and_own_command(tmp_path):
    out = str(tmp_path / "run")
    callback = TrainuiCallback()
    calls = []

    @callback.command("note")
    def note(body):
        calls.append(body)
        return {"noted": body.get("text")}

    mine = post_command(out, "note", {"text": "hi"}, {"key": "iteration", "value": 5})
    snapshot = post_command(out, "take_snapshot", schedule={"key": "iteration", "value": 15})
    per_rank = post_command(out, "take_snapshot", {"per_rank": True}, {"key": "iteration", "value": 16})
    stop = post_command(out, "stop", schedule={"key": "iteration", "value": 25})
    trainer, _ = train(out, callback, eval_strategy="steps", eval_steps=10)

    assert trainer.state.global_step == 25  # stopped by the command, not by max_steps
    answers = read_responses(out)
    assert answers[mine]["status"] == "SUCCESS" and answers[mine]["body"] == {"noted": "hi"} and calls == [{"text": "hi"}]
    assert answers[stop]["status"] == "SUCCESS" and answers[stop]["iteration"] == 25
    assert answers[per_rank]["status"] == "FAILURE" and "already holds every rank" in answers[per_rank]["body"]["error"]

    # the snapshot is the Trainer's checkpoint, listed as snapshot_iter_15 and downloadable as a plain file
    answer = answers[snapshot]
    assert answer["status"] == "SUCCESS" and answer["iteration"] == 15
    assert answer["body"]["checkpoint"] == "checkpoint-15"
    link = os.path.join(out, answer["body"]["path"])
    assert os.path.basename(link) == "snapshot_iter_15.model.safetensors" and os.path.isfile(link)
    weights = os.path.join(out, "checkpoint-15", "model.safetensors")
    assert os.stat(link).st_ino == os.stat(weights).st_ino  # a hard link: no copy
    for name in ("optimizer.pt", "scheduler.pt", "trainer_state.json"):
        assert os.path.exists(os.path.join(out, "checkpoint-15", name))  # a full checkpoint to resume from
    from trainui.protocol import list_snapshots  # what the server lists

    assert [(name, it) for name, it, *_ in list_snapshots(out)] == [("snapshot_iter_15.model.safetensors", 15)]

    entries = read_log(out)
    train_entries = [e for e in entries if "train/loss" in e]
    assert [e["iteration"] for e in train_entries] == list(range(1, 26))
    assert all("train/learning_rate" in e and "train/grad_norm" in e and "train/epoch" in e for e in train_entries)
    evals = [e for e in entries if "eval/loss" in e]
    assert [e["iteration"] for e in evals] == [10, 20] and all("eval/runtime" in e for e in evals)
    args = protocol.read_json(os.path.join(out, protocol.ARGS))
    assert args["n_layer"] == 2 and args["n_embd"] == 16  # the model config
    assert args["learning_rate"] == 1e-3 and args["lr_scheduler_type"] == "linear"  # the TrainingArguments
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "stopped"


def test_rotated_checkpoints_leave_the_snapshot_list(tmp_path):
    out = str(tmp_path / "run")
    train(out, TrainuiCallback(), max_steps=20, save_strategy="steps", save_steps=5, save_total_limit=2)
    assert sorted(n for n in os.listdir(out) if n.startswith("checkpoint-")) == ["checkpoint-15", "checkpoint-20"]
    assert sorted(n for n in os.listdir(out) if n.startswith("snapshot_iter_")) == [
        "snapshot_iter_15.model.safetensors", "snapshot_iter_20.model.safetensors"]


def test_a_run_resumed_from_the_checkpoint_keeps_the_changed_schedule(tmp_path):
    whole = str(tmp_path / "whole")
    post_command(whole, "adjust_hyperparams", {"lr": ASKED}, {"key": "iteration", "value": 10})
    _, uninterrupted = train(whole, TrainuiCallback(), max_steps=60)

    out = str(tmp_path / "resumed")
    post_command(out, "adjust_hyperparams", {"lr": ASKED}, {"key": "iteration", "value": 10})
    snapshot = post_command(out, "take_snapshot", schedule={"key": "iteration", "value": 30})
    stop = post_command(out, "stop", schedule={"key": "iteration", "value": 30})
    first, _ = train(out, TrainuiCallback(), max_steps=60)
    assert first.state.global_step == 30 and read_responses(out)[stop]["status"] == "SUCCESS"
    checkpoint = os.path.join(out, read_responses(out)[snapshot]["body"]["checkpoint"])

    _, resumed = train(out, TrainuiCallback(), max_steps=60, resume=checkpoint)  # a new Trainer, from the checkpoint
    assert sorted(resumed) == list(range(31, 61))
    for step in range(31, 61):
        assert resumed[step] == pytest.approx(uninterrupted[step], rel=1e-9), step


def test_report_to_trainui_adds_the_callback(tmp_path):
    out = str(tmp_path / "run")
    trainer, _ = train(out, max_steps=5, report_to="trainui")
    assert any(isinstance(c, TrainuiCallback) for c in trainer.callback_handler.callbacks)
    assert [e["iteration"] for e in read_log(out) if "train/loss" in e] == [1, 2, 3, 4, 5]
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "finished"


@pytest.mark.parametrize("mode", ["scale", "hold"])
def test_torchrun_two_ranks_apply_the_change_at_the_same_step(tmp_path, reference_lrs, mode):
    out = str(tmp_path / "ddp")
    uid = post_command(out, "adjust_hyperparams", {"lr": ASKED, "mode": mode}, {"key": "iteration", "value": CHANGE_AT})
    job = start_job([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", JOB,
                     "--out", out])
    finish(job, timeout=240)
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["ranks"] == 2 and answer["iteration"] == CHANGE_AT
    records = read_rank_records(out)
    assert {rank: [r["iteration"] for r in records[rank]] for rank in records} == {0: [CHANGE_AT], 1: [CHANGE_AT]}
    later = CHANGE_AT + LATER
    for rank in (0, 1):
        with open(os.path.join(out, f"lrs.rank{rank}.json")) as f:
            seen = json.load(f)
        assert seen["world_size"] == 2 and seen["global_step"] == 80
        lrs = {int(k): v for k, v in seen["lrs"].items()}
        want = ASKED if mode == "hold" else reference_lrs[later] * ASKED / reference_lrs[CHANGE_AT]
        assert lrs[later] == pytest.approx(want, rel=1e-9), rank
    assert len([n for n in os.listdir(out) if n == "log"]) == 1  # the main process alone writes
