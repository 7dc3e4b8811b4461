"""A real PyTorch-Ignite engine with trainui's logger in Ignite's conventions: an lr change under
Ignite's own schedulers (and a torch scheduler through Ignite's LRScheduler) follows the meaning
asked for 50 iterations later, alone and on 2 ranks under ``ignite.distributed``; logs, stop
(``engine.terminate()``), a snapshot through Ignite's ``Checkpoint`` that resumes the changed
schedule; an unregistered scheduler gets a FAILURE that says what to do."""
from __future__ import annotations

import json
import os
import sys

import pytest

pytest.importorskip("ignite")

import torch  # noqa: E402
import tiny_models  # noqa: E402
from ignite.engine import Events  # noqa: E402
from ignite.handlers import Checkpoint  # noqa: E402

from trainui import protocol  # noqa: E402
from trainui_job_helpers import finish, post_command, read_log, read_responses, start_job  # noqa: E402

CHANGE_AT, LATER, ASKED = 20, 50, 0.02
JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs", "ignite_job.py")


def fit(out, schedule="cosine", register=True, max_epochs=5):
    trainer, loader, logger, lrs, to_save = tiny_models.ignite_training(out, schedule, register)
    trainer.run(loader, max_epochs=max_epochs)
    logger.close()
    return trainer, lrs, to_save


def expected(reference, mode):
    later = CHANGE_AT + LATER
    return ASKED if mode == "hold" else reference[later] * ASKED / reference[CHANGE_AT]


@pytest.mark.parametrize("mode", ["scale", "hold"])
@pytest.mark.parametrize("schedule", ["cosine", "torch", "warmup"])
def test_an_lr_change_follows_the_chosen_meaning_50_iterations_later(tmp_path, schedule, mode):
    _, reference, _ = fit(tmp_path / "reference", schedule)
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": ASKED, "mode": mode}, {"key": "iteration", "value": CHANGE_AT})
    _, lrs, _ = fit(out, schedule)
    later = CHANGE_AT + LATER
    assert lrs[later] == pytest.approx(expected(reference, mode), rel=1e-9)
    assert lrs[later] != pytest.approx(reference[later])
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["iteration"] == CHANGE_AT, answer
    # Ignite's naming: <tag>/<name> at the engine's iteration
    entries = read_log(out)
    losses = [e for e in entries if "train/loss" in e]
    assert [e["iteration"] for e in losses] == list(range(1, 81))
    logged = {e["iteration"]: e["lr/group_0"] for e in entries if "lr/group_0" in e}
    assert logged[later] == pytest.approx(lrs[later])


def test_an_unregistered_ignite_scheduler_is_a_failure_with_the_fix(tmp_path):
    out = str(tmp_path / "run")
    uid = post_command(out, "adjust_hyperparams", {"lr": ASKED}, {"key": "iteration", "value": CHANGE_AT})
    fit(out, "cosine", register=False)
    answer = read_responses(out)[uid]
    assert answer["status"] == "FAILURE"
    assert f"was set to {ASKED:g} at iteration {CHANGE_AT}, but at iteration {CHANGE_AT + 1} it is" in answer["body"]["error"]
    assert "scheduler=scheduler" in answer["body"]["error"]


def test_stop_terminates_and_a_checkpoint_snapshot_resumes_the_changed_schedule(tmp_path):
    whole = str(tmp_path / "changed-whole")
    post_command(whole, "adjust_hyperparams", {"lr": ASKED}, {"key": "iteration", "value": 10})
    _, uninterrupted, _ = fit(whole, "torch")

    out = str(tmp_path / "run")
    post_command(out, "adjust_hyperparams", {"lr": ASKED}, {"key": "iteration", "value": 10})
    snapshot = post_command(out, "take_snapshot", schedule={"key": "iteration", "value": 30})
    stop = post_command(out, "stop", schedule={"key": "iteration", "value": 30})
    trainer, _, _ = fit(out, "torch")
    assert trainer.state.iteration == 30  # engine.terminate() at the stop's iteration
    answers = read_responses(out)
    assert answers[stop]["status"] == "SUCCESS"
    assert answers[snapshot]["status"] == "SUCCESS" and answers[snapshot]["body"]["path"] == "snapshot_iter_30.pt"
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["status"] == "stopped"

    # a new process: build everything again, load Ignite's checkpoint, register the scheduler again
    trainer, loader, logger, lrs, to_save = tiny_models.ignite_training(out, "torch")
    Checkpoint.load_objects(to_load=to_save, checkpoint=torch.load(os.path.join(out, "snapshot_iter_30.pt"),
                                                                   weights_only=False))
    trainer.run(loader, max_epochs=5)
    logger.close()
    assert sorted(lrs) == list(range(31, 81))
    for iteration in range(31, 81):
        assert lrs[iteration] == pytest.approx(uninterrupted[iteration], rel=1e-9), iteration


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["scale", "hold"])
def test_two_ranks_under_ignite_distributed_apply_the_change_together(tmp_path, mode):
    _, reference, _ = fit(tmp_path / "reference", "cosine")
    out = str(tmp_path / "ddp")
    uid = post_command(out, "adjust_hyperparams", {"lr": ASKED, "mode": mode}, {"key": "iteration", "value": CHANGE_AT})
    finish(start_job([sys.executable, JOB, "--out", out, "--nproc", "2"]), timeout=240)
    answer = read_responses(out)[uid]
    assert answer["status"] == "SUCCESS" and answer["ranks"] == 2 and answer["iteration"] == CHANGE_AT, answer
    later = CHANGE_AT + LATER
    for rank in (0, 1):
        with open(os.path.join(out, f"lrs.rank{rank}.json")) as f:
            seen = json.load(f)
        assert seen["world_size"] == 2 and seen["iterations"] == 80
        assert seen["lrs"][str(later)] == pytest.approx(expected(reference, mode), rel=1e-9), rank
    records = {r: [json.loads(line)["iteration"] for line in open(os.path.join(out, protocol.rank_record_path(r)))]
               for r in (0, 1)}
    assert records == {0: [CHANGE_AT], 1: [CHANGE_AT]}


@pytest.mark.slow
def test_two_ranks_stop_together(tmp_path):
    out = str(tmp_path / "ddp")
    stop = post_command(out, "stop", schedule={"key": "iteration", "value": 33})
    finish(start_job([sys.executable, JOB, "--out", out, "--nproc", "2"]), timeout=240)
    assert read_responses(out)[stop]["ranks"] == 2
    for rank in (0, 1):
        with open(os.path.join(out, f"lrs.rank{rank}.json")) as f:
            assert json.load(f)["iterations"] == 33
