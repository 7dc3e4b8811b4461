"""Commands in one process: schedules, validation, user commands, bad input, exactly-once."""
from __future__ import annotations

import os

import pytest
import torch

import trainui
from trainui import protocol
from trainui_job_helpers import post_command, read_rank_records, read_responses


def make_run(out, optimizer="sgd", **kwargs):
    model = torch.nn.Linear(3, 2)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    run = trainui.Run(str(out), model=model, optimizer=opt, progress=False, poll_interval=0.0,
                      handle_signals=False, **kwargs)
    return run, model, opt


def drive(run, start, stop, epoch_every=None):
    for it in range(start, stop + 1):
        if run.step(iteration=it, epoch=(it // epoch_every if epoch_every else 0)):
            return it
    return None


def test_adjust_lr_and_momentum_applied_and_answered(tmp_path):
    run, _, opt = make_run(tmp_path)
    uid = post_command(str(tmp_path), "adjust_hyperparams", {"lr": 0.01, "momentum": 0.5})
    drive(run, 1, 1)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["momentum"] == 0.5
    assert uid not in read_responses(str(tmp_path))  # answered once it held through the next steps
    drive(run, 2, 3)
    response = read_responses(str(tmp_path))[uid]
    assert response["status"] == "SUCCESS" and response["iteration"] == 1 and response["ranks"] == 1
    assert response["body"]["hyperparams"][0]["lr"] == 0.01
    run.log({"main/loss": 1.0}, iteration=1)
    run.close()
    status = protocol.read_json(os.path.join(tmp_path, protocol.STATUS))
    assert status["status"] == "finished" and status["hyperparams"][0]["lr"] == 0.01
    with open(tmp_path / "log") as f:
        assert '"lr":0.01' in f.read()


def test_schedule_runs_at_first_poll_at_or_after(tmp_path):
    run, _, opt = make_run(tmp_path)
    at_iter = post_command(str(tmp_path), "adjust_hyperparams", {"lr": 0.5}, {"key": "iteration", "value": 7})
    at_epoch = post_command(str(tmp_path), "adjust_hyperparams", {"lr": 0.25}, {"key": "epoch", "value": 2})
    for it in (1, 3, 5, 8, 9, 10):  # iteration 7 is never polled: runs at 8 (answered after 2 more steps)
        run.step(iteration=it, epoch=it // 4)
        if it < 8:
            assert opt.param_groups[0]["lr"] == 0.1
    responses = read_responses(str(tmp_path))
    assert responses[at_iter]["iteration"] == 8 and responses[at_epoch]["epoch"] == 2
    assert responses[at_epoch]["iteration"] == 8  # epoch 2 first seen at iteration 8
    run.close()


@pytest.mark.parametrize("body, message", [
    # each with a valid momentum too: a failing command must not apply any part of its body
    ({"momentum": 0.1, "lrr": 0.1}, "unknown hyperparameter 'lrr'"),
    ({"momentum": 0.1, "lr": "fast"}, "'lr' must be a number"),
    ({"momentum": 0.1, "lr": True}, "'lr' must be a number"),
    ({"momentum": 0.1, "lr": None}, "'lr' must be a number"),
    ({"momentum": 0.1, "nesterov": 1}, "'nesterov' must be true or false"),
    ({"params": []}, "cannot be adjusted"),
    ({}, "needs at least one"),
    ({"param_groups": {"3": {"lr": 0.1}}}, "no param group '3'"),
])
def test_invalid_hyperparams_fail_with_message_and_change_nothing(tmp_path, body, message):
    run, _, opt = make_run(tmp_path)
    uid = post_command(str(tmp_path), "adjust_hyperparams", body)
    assert drive(run, 1, 3) is None
    response = read_responses(str(tmp_path))[uid]
    assert response["status"] == "FAILURE"
    assert message in response["body"]["error"]
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.9  # all or nothing
    run.close()


def test_adam_betas_from_json_list_and_param_group_form(tmp_path):
    run, _, opt = make_run(tmp_path, optimizer="adam")
    ok = post_command(str(tmp_path), "adjust_hyperparams", {"betas": [0.8, 0.95], "weight_decay": 0})
    by_group = post_command(str(tmp_path), "adjust_hyperparams", {"param_groups": {"0": {"eps": 1e-6}}})
    bad = post_command(str(tmp_path), "adjust_hyperparams", {"betas": [0.8]})
    drive(run, 1, 3)
    responses = read_responses(str(tmp_path))
    assert responses[ok]["status"] == "SUCCESS" and responses[by_group]["status"] == "SUCCESS"
    assert opt.param_groups[0]["betas"] == (0.8, 0.95)  # a tuple again, as Adam expects
    assert opt.param_groups[0]["eps"] == 1e-6
    assert responses[bad]["status"] == "FAILURE" and "list of 2" in responses[bad]["body"]["error"]
    run.close()


def test_user_command_unknown_command_and_bad_records_fail_but_training_goes_on(tmp_path):
    run, _, _ = make_run(tmp_path)
    calls = []

    @run.command("double_batch")
    def double_batch(body):
        calls.append(body)
        return {"batch_size": body["batch_size"] * 2}

    @run.command("explode")
    def explode(body):
        raise RuntimeError("boom")

    out = str(tmp_path)
    user = post_command(out, "double_batch", {"batch_size": 16})
    unknown = post_command(out, "no_such_command")
    exploding = post_command(out, "explode")
    inbox = os.path.join(out, protocol.COMMANDS_INBOX)
    with open(os.path.join(inbox, "garbage.json"), "w") as f:
        f.write("{not json")
    protocol.atomic_write_json(os.path.join(inbox, "wrongbody.json"),
                               {"uid": "wrongbody", "name": "adjust_hyperparams", "body": [0.1]})
    protocol.atomic_write_json(os.path.join(inbox, "noname.json"), {"uid": "noname"})
    with open(os.path.join(inbox, "ignored.txt"), "w") as f:
        f.write("not a command file")
    assert drive(run, 1, 5) is None
    responses = read_responses(out)
    assert set(responses) == {user, unknown, exploding, "garbage", "wrongbody", "noname"}
    assert responses[user]["status"] == "SUCCESS" and responses[user]["body"] == {"batch_size": 32}
    assert calls == [{"batch_size": 16}]
    for uid, text in [(unknown, "unknown command 'no_such_command'"), (exploding, "boom"),
                      ("garbage", "unreadable"), ("wrongbody", "body must be an object"), ("noname", "no 'name'")]:
        assert responses[uid]["status"] == "FAILURE", uid
        assert text in responses[uid]["body"]["error"], responses[uid]
    assert responses["wrongbody"]["name"] == "adjust_hyperparams"
    assert "double_batch" in run.commands
    run.close()
    assert protocol.read_json(os.path.join(out, protocol.STATUS))["commands"][-2:] == ["double_batch", "explode"]


def test_stop_ends_the_loop_and_status_is_stopped(tmp_path):
    run, _, _ = make_run(tmp_path)
    uid = post_command(str(tmp_path), "stop", schedule={"key": "iteration", "value": 4})
    assert drive(run, 1, 100) == 4
    run.close()
    assert read_responses(str(tmp_path))[uid]["iteration"] == 4
    assert protocol.read_json(os.path.join(tmp_path, protocol.STATUS))["status"] == "stopped"


def test_restart_into_the_same_directory_does_not_apply_twice(tmp_path):
    out = str(tmp_path)
    run, _, opt = make_run(out)
    done = post_command(out, "adjust_hyperparams", {"lr": 0.2})
    later = post_command(out, "adjust_hyperparams", {"lr": 0.3}, {"key": "iteration", "value": 50})
    drive(run, 1, 5)
    run.close()  # `later` is still waiting when the job ends
    assert opt.param_groups[0]["lr"] == 0.2

    run, _, opt = make_run(out, resume=True)  # the job restarted into its directory, resuming it
    drive(run, 6, 60)
    run.close()
    assert opt.param_groups[0]["lr"] == 0.3  # only the unanswered one ran again
    records = read_rank_records(out)[0]
    assert [r["uid"] for r in records] == [done, later]
    assert read_responses(out)[later]["iteration"] == 50


def test_snapshot_command_writes_a_loadable_snapshot(tmp_path):
    run, model, opt = make_run(tmp_path)
    uid = post_command(str(tmp_path), "take_snapshot")
    drive(run, 1, 3)
    run.close()
    response = read_responses(str(tmp_path))[uid]
    assert response["body"]["path"] == "snapshot_iter_1.pt"
    other = torch.nn.Linear(3, 2)
    state = trainui.load_snapshot(str(tmp_path / "snapshot_iter_1.pt"), model=other)
    assert state["iteration"] == 1
    assert torch.equal(other.weight, model.weight)


def test_poll_every_n_steps(tmp_path):
    run, _, opt = make_run(tmp_path, poll_every=5)
    uid = post_command(str(tmp_path), "adjust_hyperparams", {"lr": 0.5}, {"key": "iteration", "value": 2})
    drive(run, 1, 12)
    run.close()
    assert read_responses(str(tmp_path))[uid]["iteration"] == 5  # the first polling step at or after 2
